"""SendGrid's Event Webhook vocabulary, turned into our :class:`ProviderEvent`.

SendGrid posts JSON arrays of events (processed, delivered, deferred, bounce, dropped, open,
click, spamreport, unsubscribe, group_unsubscribe, group_resubscribe; see SendGrid's "Event
Webhook reference"). Our delivery id travels as the custom arg :data:`DELIVERY_ARG`, which
SendGrid copies to the top level of each event; that is how an event finds its delivery.

De-duplication: SendGrid says to de-duplicate on ``sg_event_id``, but retried events have been
seen with a *new* ``sg_event_id`` (sendgrid-nodejs#1435), so every event also gets a content key
over ``(sg_message_id, event, timestamp, email, url)`` and our delivery id (a retry carries the
same custom args).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from newsletter.delivery.domain.events import EventKind, EventProblem, ProviderEvent, dedupe_key

#: The custom arg that carries our delivery id (body.py sets it on every personalization).
DELIVERY_ARG = "nl_delivery_id"
#: Set on test sends: their events are recorded nowhere.
TEST_ARG = "nl_test"

SENDGRID_EVENTS: Mapping[str, EventKind] = {
    "processed": EventKind.ACCEPTED,
    "delivered": EventKind.DELIVERED,
    "deferred": EventKind.DEFERRED,
    "bounce": EventKind.BOUNCED,
    "dropped": EventKind.DROPPED,
    "open": EventKind.OPENED,
    "click": EventKind.CLICKED,
    "spamreport": EventKind.COMPLAINED,
    "unsubscribe": EventKind.UNSUBSCRIBED,
    "group_unsubscribe": EventKind.GROUP_UNSUBSCRIBED,
    "group_resubscribe": EventKind.GROUP_RESUBSCRIBED,
}


def parse(raw: Any) -> ProviderEvent | None:
    """One SendGrid event -> ProviderEvent; None for events of test sends.

    Raises EventProblem for something that is not a usable event (no type we know, no address,
    no timestamp).
    """
    if not isinstance(raw, Mapping):
        raise EventProblem("an event is a JSON object")
    name = raw.get("event")
    if not isinstance(name, str) or name not in SENDGRID_EVENTS:
        raise EventProblem(f"unknown event type {name!r}")
    if str(raw.get(TEST_ARG, "")) == "1":
        return None
    email = raw.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise EventProblem(f"{name}: no email address")
    stamp = raw.get("timestamp")
    if isinstance(stamp, bool) or not isinstance(stamp, int | float | str):
        raise EventProblem(f"{name}: no timestamp")
    try:
        occurred = dt.datetime.fromtimestamp(float(stamp), dt.UTC)
    except (ValueError, OverflowError, OSError) as exc:
        raise EventProblem(f"{name}: bad timestamp {stamp!r}") from exc
    kind = SENDGRID_EVENTS[name]
    if kind is EventKind.BOUNCED and str(raw.get("type", "bounce")).lower() == "blocked":
        kind = EventKind.BLOCKED
    url = raw.get("url") if isinstance(raw.get("url"), str) else None
    message_id = raw.get("sg_message_id")
    message_id = str(message_id) if message_id else None
    event_id = raw.get("sg_event_id")
    reason = " ".join(str(raw.get(k, "")) for k in ("status", "reason", "response")).strip()
    return ProviderEvent(
        kind=kind,
        email=email.strip(),
        occurred_at=occurred,
        dedupe_key=dedupe_key(
            message_id, name, stamp, email.strip().casefold(), url, raw.get(DELIVERY_ARG)
        ),
        delivery_id=_int(raw.get(DELIVERY_ARG)),
        provider_event_id=str(event_id)[:100] if event_id else None,
        provider_message_id=message_id[:200] if message_id else None,
        url=url,
        reason=reason[:500],
        unsubscribe_group=_int(raw.get("asm_group_id")),
        payload={k: v for k, v in raw.items() if k != "email"},
    )


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None
