"""In-memory provider events and rate limit for the fast tier: the ``EventStore`` and
``RateLimiter`` ports (delivery/ports.py) with the rules of delivery/sql/event_store.py,
campaign_stats.py and ratelimit.py, over the in-memory ledger and member store.

Kept: an event is stored once (its dedupe key and the provider's event id are both unique);
only a new event has effects; a confirmation moves a delivery only out of ``sending`` or
``unknown``; a member's status only ever gets worse; outcome counts are distinct deliveries per
event kind; a one-click unsubscribe is refused for a member who subscribed again after the link
was issued.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from newsletter.audiences.domain.deliveries import DeliveryStatus, FailureKind
from newsletter.audiences.domain.members import MemberStatus
from newsletter.audiences.domain.privacy import ConsentFact, SuppressionReason
from newsletter.audiences.ports.services import UnsubscribeTarget
from newsletter.delivery.domain.breakdown import LanguageOutcome
from newsletter.delivery.domain.events import (
    Action,
    CampaignStats,
    Effect,
    EventKind,
    ProviderEvent,
)
from newsletter.delivery.ports import RecordOutcome
from tests.fakes.ledger import MemoryLedger, Row
from tests.fakes.members import StoredMember, lookup_key

S = DeliveryStatus
_WORSE = {MemberStatus.BOUNCED.value: 2, MemberStatus.COMPLAINED.value: 3}
_RANK = {MemberStatus.ACTIVE.value: 0, MemberStatus.UNSUBSCRIBED.value: 1, **_WORSE}


@dataclass(frozen=True)
class StoredEvent:
    kind: str
    delivery_id: int | None
    member_id: int | None
    occurred_at: dt.datetime
    dedupe_key: str
    provider_event_id: str | None = None
    url: str | None = None


class MemoryEventStore:
    def __init__(self, ledger: MemoryLedger) -> None:
        self.ledger, self.members = ledger, ledger.members
        self.events: list[StoredEvent] = []
        self.acknowledged: dict[int, int] = {}

    def record(
        self,
        batch: Sequence[tuple[ProviderEvent, tuple[Effect, ...]]],
        *,
        suppression_hashes: Mapping[str, str],
        now: dt.datetime,
    ) -> RecordOutcome:
        outcome = RecordOutcome(received=len(batch))
        with self.members.lock:
            for event, effects in batch:
                row = self.ledger.rows.get(event.delivery_id or 0)
                member = self._member(row.member_id if row else None, event.email)
                if not self._insert(
                    StoredEvent(
                        event.kind.value,
                        row.id if row else None,
                        member.id if member else None,
                        event.occurred_at,
                        event.dedupe_key,
                        event.provider_event_id,
                        _url(event.payload),
                    )
                ):
                    outcome.duplicates += 1
                    continue
                outcome.new += 1
                if row is None and member is None:
                    outcome.unmatched += 1
                for effect in effects:
                    self._apply(effect, event, row, member, suppression_hashes, outcome)
        return outcome

    def _apply(
        self,
        effect: Effect,
        event: ProviderEvent,
        delivery: Row | None,
        member: StoredMember | None,
        hashes: Mapping[str, str],
        outcome: RecordOutcome,
    ) -> None:
        action, at = effect.action, event.occurred_at
        if action in (Action.CONFIRM_SENT, Action.CONFIRM_DROPPED):
            if delivery is None or delivery.status not in (S.SENDING, S.UNKNOWN):
                return
            if action is Action.CONFIRM_SENT:
                delivery.status, delivery.sent_at = S.SENT, at
                delivery.last_error = delivery.failure_kind = None
                delivery.provider_message_id = event.message_id or delivery.provider_message_id
            else:
                delivery.status, delivery.failure_kind = S.FAILED, FailureKind.PERMANENT.value
                delivery.last_error = f"dropped by the provider: {event.reason}"[:2000]
            delivery.updated_at = at
            outcome.confirmed += 1
        elif action in (Action.SUPPRESS_BOUNCED, Action.SUPPRESS_COMPLAINED):
            bounced = action is Action.SUPPRESS_BOUNCED
            status = MemberStatus.BOUNCED if bounced else MemberStatus.COMPLAINED
            if member is not None and _RANK.get(member.status, 0) < _RANK[status.value]:
                member.status, member.updated_at = status.value, at
                outcome.suppressed += 1
            if event.email in hashes:
                reason = SuppressionReason.BOUNCED if bounced else SuppressionReason.COMPLAINED
                self.members.suppress(hashes[event.email], reason.value)
        elif action is Action.END_ALL_TOPICS and member is not None:
            for topic in [t for t in member.subscriptions if member.subscribed(t)]:
                outcome.unsubscribed += _set_topic(member, topic, False, at, "sendgrid:unsubscribe")
        elif action in (Action.END_TOPIC, Action.RESUME_TOPIC) and member is not None:
            of_delivery = self.ledger.campaigns[delivery.campaign_id].topic if delivery else None
            chosen = effect.topic or of_delivery
            if not chosen:
                return
            on = action is Action.RESUME_TOPIC
            source = "sendgrid:group_resubscribe" if on else "sendgrid:group_unsubscribe"
            changed = _set_topic(member, chosen, on, at, source)
            outcome.unsubscribed += 0 if on else changed

    def unsubscribe_target(
        self, member_id: int, topic: str, issued_at: dt.datetime
    ) -> UnsubscribeTarget | None:
        with self.members.lock:
            member = self.members.members.get(member_id)
            if member is None or _resubscribed_since(member, topic, issued_at):
                return None
            return UnsubscribeTarget(member_id, member.record.language, member.subscribed(topic))

    def one_click(
        self, member_id: int, topic: str, issued_at: dt.datetime, *, now: dt.datetime
    ) -> bool:
        with self.members.lock:
            member = self.members.members.get(member_id)
            changed = bool(member and _set_topic(member, topic, False, now, "one-click", True))
            carried = sorted(
                (r.sent_at, r.id)
                for r in self.ledger.rows.values()
                if r.member_id == member_id
                and r.status is S.SENT
                and r.sent_at is not None
                and r.sent_at >= issued_at
                and self.ledger.campaigns[r.campaign_id].topic == topic
            )
            key = f"one-click:{member_id}:{topic}:{issued_at.isoformat()}"
            delivery = carried[0][1] if carried else None
            self._insert(StoredEvent(EventKind.UNSUBSCRIBED.value, delivery, member_id, now, key))
            return changed

    def stats(self, campaign_id: int) -> CampaignStats:
        with self.members.lock:
            rows = {r.id for r in self.ledger.rows.values() if r.campaign_id == campaign_id}
            by_kind: dict[str, set[int]] = {}
            for e in self.events:
                if e.delivery_id is not None and e.delivery_id in rows:
                    by_kind.setdefault(e.kind, set()).add(e.delivery_id)

            def n(*kinds: EventKind) -> int:
                return len(set().union(*(by_kind.get(k.value, set()) for k in kinds)))

            return CampaignStats(
                sent=self.ledger.counts(campaign_id).sent,
                delivered=n(EventKind.DELIVERED),
                bounced=n(EventKind.BOUNCED),
                blocked=n(EventKind.BLOCKED),
                dropped=n(EventKind.DROPPED),
                deferred=n(EventKind.DEFERRED),
                opened=n(EventKind.OPENED),
                clicked=n(EventKind.CLICKED),
                complained=n(EventKind.COMPLAINED),
                unsubscribed=n(EventKind.UNSUBSCRIBED, EventKind.GROUP_UNSUBSCRIBED),
                acknowledged_complaints=self.acknowledged.get(campaign_id),
            )

    def recent_stats(self, since: dt.datetime) -> list[tuple[str, CampaignStats]]:
        with self.members.lock:
            ids = sorted(
                {
                    r.campaign_id
                    for r in self.ledger.rows.values()
                    if r.sent_at and r.sent_at >= since
                }
            )
            return [(self.ledger.campaigns[i].slug, self.stats(i)) for i in ids]

    def click_urls(self, campaign_id: int) -> list[tuple[int | None, str]]:
        rows = {r.id for r in self.ledger.rows.values() if r.campaign_id == campaign_id}
        return [
            (e.delivery_id, e.url)
            for e in self.events
            if e.kind == EventKind.CLICKED.value and e.delivery_id in rows and e.url
        ]

    def language_outcomes(self, campaign_id: int) -> list[LanguageOutcome]:
        rows = {r.id: r for r in self.ledger.rows.values() if r.campaign_id == campaign_id}
        handed: dict[str, int] = {}
        for r in rows.values():
            if r.status is S.SENT:
                handed[r.language] = handed.get(r.language, 0) + 1
        kinds = (EventKind.DELIVERED.value, EventKind.OPENED.value, EventKind.CLICKED.value)
        people: dict[tuple[str, str], set[int]] = {}
        for e in self.events:
            if e.kind in kinds and e.delivery_id in rows:
                language = rows[e.delivery_id].language
                people.setdefault((language, e.kind), set()).add(e.delivery_id)
        languages = sorted(set(handed) | {lang for lang, _ in people})
        return [
            LanguageOutcome(
                lang,
                handed.get(lang, 0),
                *(len(people.get((lang, kind), set())) for kind in kinds),
            )
            for lang in languages
        ]

    def acknowledge_complaints(self, campaign_id: int, count: int, *, now: dt.datetime) -> None:
        self.acknowledged[campaign_id] = count

    def _insert(self, event: StoredEvent) -> bool:
        for held in self.events:
            if held.dedupe_key == event.dedupe_key or (
                event.provider_event_id and held.provider_event_id == event.provider_event_id
            ):
                return False
        self.events.append(event)
        return True

    def _member(self, member_id: int | None, email: str) -> StoredMember | None:
        if member_id is not None:
            return self.members.members.get(member_id)
        return self.members.by_key(lookup_key(email)) if email else None


def _url(payload: Mapping[str, object]) -> str | None:
    """The clicked link, from the raw event kept as the payload (as the SQL store reads it)."""
    url = payload.get("url")
    return url if isinstance(url, str) and url else None


def _set_topic(
    member: StoredMember, topic: str, on: bool, at: dt.datetime, source: str, force: bool = False
) -> int:
    """As audiences/sql/standing.py ``set_topic``: 1 if it changed; an older change than the
    subscription's last one is ignored unless ``force`` (events arrive out of order)."""
    target = "subscribed" if on else "unsubscribed"
    current = member.subscriptions.get(topic)
    if current is None and not on:
        return 0
    if current is not None and (current[0] == target or (not force and current[1] > at)):
        return 0
    member.subscriptions[topic] = (target, at)
    member.consent.append(ConsentFact(topic, target, source, "", at))
    return 1


def _resubscribed_since(member: StoredMember, topic: str, since: dt.datetime) -> bool:
    return any(
        c.topic == topic and c.action == "subscribed" and c.at > since for c in member.consent
    )


class MemoryRateLimiter:
    """A transport's message rate per second (delivery/sql/ratelimit.py keeps it in the
    database for every process): ``reserve`` records the messages and returns 0, or records
    nothing and returns the seconds until the window has room. None: no limit."""

    def __init__(self, per_second: int | None = None) -> None:
        self.per_second = per_second
        self.reserved: list[tuple[dt.datetime, int]] = []

    @property
    def max_batch(self) -> int | None:
        return self.per_second

    def reserve(self, count: int, *, now: dt.datetime) -> float:
        if self.per_second is not None:
            window = now - dt.timedelta(seconds=1)
            used = sum(n for at, n in self.reserved if at > window)
            if used and used + count > self.per_second:
                oldest = min(at for at, _ in self.reserved if at > window)
                return max(0.001, (oldest - window).total_seconds())
        self.reserved.append((now, count))
        return 0.0
