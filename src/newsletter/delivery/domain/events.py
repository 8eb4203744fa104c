"""Provider events: what happened to a message after we handed it over, in our own words.

A transport's adapter turns its provider's raw events into :class:`ProviderEvent` (SendGrid's:
``delivery/transports/sendgrid/events.py``); this module decides, without I/O, what an event
changes: the delivery row it confirms, the member it suppresses, the topic subscription it
ends. Every event carries a content key (:func:`dedupe_key`) beside the provider's own event
id, and the store keeps both unique, so a replayed or retried event changes nothing twice.
Nothing here reads a clock or a setting.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

#: Complaint rate at which staff are warned, and at which new campaigns are blocked until a
#: person acknowledges (Gmail: stay below 0.1 %, never reach 0.3 %;
#: support.google.com/a/answer/81126).
COMPLAINT_WARN = 0.001
COMPLAINT_BLOCK = 0.003


class EventKind(StrEnum):
    """Our vocabulary, stored in ``events.event``."""

    ACCEPTED = "accepted"  # SendGrid: processed
    DELIVERED = "delivered"
    DEFERRED = "deferred"
    BOUNCED = "bounced"  # bounce, type "bounce": the address does not exist (hard)
    BLOCKED = "blocked"  # bounce, type "blocked": refused this time (soft)
    DROPPED = "dropped"  # SendGrid never tried (suppressed there, invalid...)
    OPENED = "opened"
    CLICKED = "clicked"
    COMPLAINED = "complained"  # spamreport
    UNSUBSCRIBED = "unsubscribed"  # everything (SendGrid global), or one topic (our one-click)
    GROUP_UNSUBSCRIBED = "group_unsubscribed"
    GROUP_RESUBSCRIBED = "group_resubscribed"


#: ``dropped`` reasons that mean the address itself is bad or has complained (SendGrid's event
#: reference).
_DROPPED_BOUNCED = ("bounced address", "invalid")
_DROPPED_COMPLAINED = ("spam reporting address",)


class Action(StrEnum):
    #: ``unknown``/``sending`` -> ``sent``: the provider has the message.
    CONFIRM_SENT = "confirm_sent"
    #: ``unknown``/``sending`` -> ``failed`` (permanent): the provider has it and will not send.
    CONFIRM_DROPPED = "confirm_dropped"
    #: Member status ``bounced`` and the address on the suppression list.
    SUPPRESS_BOUNCED = "suppress_bounced"
    #: Member status ``complained`` and the address on the suppression list.
    SUPPRESS_COMPLAINED = "suppress_complained"
    #: End one topic subscription (``topic``; None: the topic of the delivery's campaign).
    END_TOPIC = "end_topic"
    #: End every topic subscription.
    END_ALL_TOPICS = "end_all_topics"
    #: Subscribe to the topic again (the person did it on SendGrid's preference page).
    RESUME_TOPIC = "resume_topic"


@dataclass(frozen=True, slots=True)
class Effect:
    action: Action
    topic: str | None = None


@dataclass(frozen=True, slots=True)
class ProviderEvent:
    kind: EventKind
    email: str
    occurred_at: dt.datetime
    dedupe_key: str
    delivery_id: int | None = None
    provider_event_id: str | None = None
    provider_message_id: str | None = None
    url: str | None = None
    reason: str = ""
    unsubscribe_group: int | None = None
    #: The raw event minus the address (the member row holds it; erasure removes both).
    payload: Mapping[str, Any] = field(default_factory=dict)

    @property
    def message_id(self) -> str | None:
        """The request's X-Message-Id: ``sg_message_id`` starts with it, then ``.filter...``."""
        if not self.provider_message_id:
            return None
        return self.provider_message_id.split(".", 1)[0]


class EventProblem(ValueError):
    """A raw event we cannot use; the message says why."""


def dedupe_key(*parts: object) -> str:
    """A stable 64-character key over the parts that make an event the same event."""
    raw = json.dumps([("" if p is None else str(p)) for p in parts], ensure_ascii=False)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def effects(event: ProviderEvent, *, group_topics: Mapping[int, str]) -> tuple[Effect, ...]:
    """What an event changes. Events only ever move things forward: a ``delivered`` never
    re-activates a bounced address, a late ``processed`` never un-fails a row."""
    kind = event.kind
    found: list[Effect] = []
    if kind is EventKind.DROPPED:
        found.append(Effect(Action.CONFIRM_DROPPED))
        reason = event.reason.casefold()
        if any(r in reason for r in _DROPPED_BOUNCED):
            found.append(Effect(Action.SUPPRESS_BOUNCED))
        elif any(r in reason for r in _DROPPED_COMPLAINED):
            found.append(Effect(Action.SUPPRESS_COMPLAINED))
        return tuple(found)
    # Every other event proves the provider has the message.
    found.append(Effect(Action.CONFIRM_SENT))
    if kind is EventKind.BOUNCED:
        found.append(Effect(Action.SUPPRESS_BOUNCED))
    elif kind is EventKind.COMPLAINED:
        found.append(Effect(Action.SUPPRESS_COMPLAINED))
    elif kind is EventKind.UNSUBSCRIBED:
        found.append(Effect(Action.END_ALL_TOPICS))
    elif kind is EventKind.GROUP_UNSUBSCRIBED:
        topic = (
            group_topics.get(event.unsubscribe_group)
            if event.unsubscribe_group is not None
            else None
        )
        found.append(Effect(Action.END_TOPIC, topic))
    elif kind is EventKind.GROUP_RESUBSCRIBED:
        topic = (
            group_topics.get(event.unsubscribe_group)
            if event.unsubscribe_group is not None
            else None
        )
        found.append(Effect(Action.RESUME_TOPIC, topic))
    return tuple(found)


class ComplaintLevel(StrEnum):
    OK = "ok"
    WARN = "warn"
    BLOCK = "block"


def complaint_level(complained: int, delivered: int) -> ComplaintLevel:
    if delivered <= 0 or complained <= 0:
        return ComplaintLevel.OK if complained <= 0 else ComplaintLevel.BLOCK
    rate = complained / delivered
    if rate >= COMPLAINT_BLOCK:
        return ComplaintLevel.BLOCK
    if rate >= COMPLAINT_WARN:
        return ComplaintLevel.WARN
    return ComplaintLevel.OK


@dataclass(frozen=True, slots=True)
class CampaignStats:
    """Outcome counts of one campaign (all steps), each a number of distinct deliveries."""

    sent: int = 0
    delivered: int = 0
    bounced: int = 0  # hard
    blocked: int = 0  # soft
    dropped: int = 0
    deferred: int = 0
    opened: int = 0
    clicked: int = 0
    complained: int = 0
    unsubscribed: int = 0
    #: Complaints staff acknowledged (the block lifts until more arrive), or None.
    acknowledged_complaints: int | None = None

    @property
    def base(self) -> int:
        """What rates are relative to: delivered when the provider reports deliveries (SendGrid),
        otherwise what was handed over (outbox, SMTP)."""
        return self.delivered or self.sent

    def rate(self, count: int, base: int | None = None) -> float:
        denominator = self.base if base is None else base
        return count / denominator if denominator else 0.0

    @property
    def complaint_level(self) -> ComplaintLevel:
        return complaint_level(self.complained, self.base)

    @property
    def blocks(self) -> bool:
        """True when this campaign's complaints block new campaigns: at or over the block rate,
        and not acknowledged at (or above) the current complaint count."""
        if self.complaint_level is not ComplaintLevel.BLOCK:
            return False
        ack = self.acknowledged_complaints
        return ack is None or self.complained > ack
