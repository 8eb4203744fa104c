"""Provider events in SQL: store each once, apply what it means, count outcomes per campaign.

:meth:`SqlEventStore.record` takes a whole batch in one transaction. Each event is inserted with
``ON CONFLICT DO NOTHING`` against both unique keys (``provider_event_id`` and ``dedupe_key``);
only an event that was really inserted has effects, so a batch delivered twice, or an event
retried under a new ``sg_event_id``, changes things exactly once. If anything fails the whole
batch rolls back and the provider's retry finds nothing half-applied.

Effects only move forward (reliability REL-12): a member's status goes active -> unsubscribed ->
bounced -> complained and never back; a delivery row is confirmed only from ``sending`` or
``unknown``; a topic subscription changes only if the event is newer than the last change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Engine, distinct, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from newsletter.adapters.db.members import lookup_key
from newsletter.adapters.db.tables import (
    campaigns,
    consent_events,
    deliveries,
    events,
    members,
    subscriptions,
    suppressions,
)
from newsletter.domain.deliveries import DeliveryStatus, FailureKind
from newsletter.domain.events import (
    Action,
    CampaignStats,
    Effect,
    EventKind,
    ProviderEvent,
    dedupe_key,
)
from newsletter.domain.members import MemberStatus
from newsletter.domain.privacy import SuppressionReason
from newsletter.services.delivery_ports import RecordOutcome, UnsubscribeTarget

S = DeliveryStatus
_RANK = {
    MemberStatus.ACTIVE.value: 0,
    MemberStatus.UNSUBSCRIBED.value: 1,
    MemberStatus.BOUNCED.value: 2,
    MemberStatus.COMPLAINED.value: 3,
}
_SUPPRESSION_RANK = {
    SuppressionReason.UNSUBSCRIBED.value: 1,
    SuppressionReason.BOUNCED.value: 2,
    SuppressionReason.COMPLAINED.value: 3,
    SuppressionReason.ERASED.value: 4,
}


class SqlEventStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- provider events ---------------------------------------------------------------------

    def record(
        self,
        batch: Sequence[tuple[ProviderEvent, tuple[Effect, ...]]],
        *,
        suppression_hashes: Mapping[str, str],
        now: dt.datetime,
    ) -> RecordOutcome:
        outcome = RecordOutcome(received=len(batch))
        with self.engine.begin() as conn:
            for event, effects in batch:
                delivery = _delivery(conn, event.delivery_id)
                member_id = delivery["member_id"] if delivery else _member_by_email(conn, event)
                inserted = _insert_event(
                    conn,
                    delivery_id=delivery["id"] if delivery else None,
                    member_id=member_id,
                    event=event.kind.value,
                    occurred_at=event.occurred_at,
                    received_at=now,
                    provider_event_id=event.provider_event_id,
                    dedupe_key=event.dedupe_key,
                    payload=dict(event.payload),
                )
                if not inserted:
                    outcome.duplicates += 1
                    continue
                outcome.new += 1
                if delivery is None and member_id is None:
                    outcome.unmatched += 1
                for effect in effects:
                    self._apply(
                        conn, effect, event, delivery, member_id, suppression_hashes, outcome
                    )
        return outcome

    def _apply(
        self,
        conn: Connection,
        effect: Effect,
        event: ProviderEvent,
        delivery: Mapping[str, Any] | None,
        member_id: int | None,
        hashes: Mapping[str, str],
        outcome: RecordOutcome,
    ) -> None:
        action = effect.action
        if action in (Action.CONFIRM_SENT, Action.CONFIRM_DROPPED):
            if delivery is None:
                return
            if action is Action.CONFIRM_SENT:
                values: dict[str, Any] = {
                    "status": S.SENT.value,
                    "sent_at": event.occurred_at,
                    "last_error": None,
                    "failure_kind": None,
                }
                if event.message_id:
                    values["provider_message_id"] = event.message_id
            else:
                values = {
                    "status": S.FAILED.value,
                    "failure_kind": FailureKind.PERMANENT.value,
                    "last_error": f"dropped by the provider: {event.reason}"[:2000],
                }
            changed = conn.execute(
                update(deliveries)
                .where(
                    deliveries.c.id == delivery["id"],
                    deliveries.c.status.in_([S.SENDING.value, S.UNKNOWN.value]),
                )
                .values(updated_at=event.occurred_at, **values)
            ).rowcount
            outcome.confirmed += int(changed or 0)
        elif action in (Action.SUPPRESS_BOUNCED, Action.SUPPRESS_COMPLAINED):
            bounced = action is Action.SUPPRESS_BOUNCED
            status = MemberStatus.BOUNCED if bounced else MemberStatus.COMPLAINED
            reason = SuppressionReason.BOUNCED if bounced else SuppressionReason.COMPLAINED
            if member_id is not None:
                worse = [s for s, r in _RANK.items() if r < _RANK[status.value]]
                outcome.suppressed += int(
                    conn.execute(
                        update(members)
                        .where(members.c.id == member_id, members.c.status.in_(worse))
                        .values(status=status.value, updated_at=event.occurred_at)
                    ).rowcount
                    or 0
                )
            suppression = hashes.get(event.email)
            if suppression is not None:
                _suppress(conn, suppression, reason.value, event.occurred_at)
        elif action is Action.END_ALL_TOPICS:
            if member_id is not None:
                topics = conn.execute(
                    select(subscriptions.c.topic).where(
                        subscriptions.c.member_id == member_id,
                        subscriptions.c.status == "subscribed",
                    )
                ).scalars()
                for topic in list(topics):
                    outcome.unsubscribed += _set_topic(
                        conn, member_id, topic, False, event.occurred_at, "sendgrid:unsubscribe"
                    )
        elif action in (Action.END_TOPIC, Action.RESUME_TOPIC):
            topic = effect.topic or (delivery["topic"] if delivery else None)
            if member_id is None or topic is None:
                return
            on = action is Action.RESUME_TOPIC
            source = "sendgrid:group_resubscribe" if on else "sendgrid:group_unsubscribe"
            changed = _set_topic(conn, member_id, topic, on, event.occurred_at, source)
            outcome.unsubscribed += 0 if on else changed

    # -- one-click unsubscribe -------------------------------------------------------------

    def unsubscribe_target(
        self, member_id: int, topic: str, issued_at: dt.datetime
    ) -> UnsubscribeTarget | None:
        """Who a token points at, or None: no such member, or the member subscribed to the
        topic again after the token was issued (an old link must not undo a new choice;
        reliability SEC-21)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(members.c.language).where(members.c.id == member_id)).first()
            if row is None:
                return None
            if _resubscribed_since(conn, member_id, topic, issued_at):
                return None
            status = conn.execute(
                select(subscriptions.c.status).where(
                    subscriptions.c.member_id == member_id, subscriptions.c.topic == topic
                )
            ).scalar()
            return UnsubscribeTarget(member_id, str(row.language), status == "subscribed")

    def one_click(
        self, member_id: int, topic: str, issued_at: dt.datetime, *, now: dt.datetime
    ) -> bool:
        """End the subscription (one consent event however often this runs) and record an
        ``unsubscribed`` event against the delivery that carried the link. True if it changed.
        """
        with self.engine.begin() as conn:
            changed = _set_topic(conn, member_id, topic, False, now, "one-click", force=True)
            # The link was issued when its batch was claimed; the first delivery of this topic
            # handed over at or after that moment is the one that carried it.
            delivery = conn.execute(
                select(deliveries.c.id)
                .join(campaigns, campaigns.c.id == deliveries.c.campaign_id)
                .where(
                    deliveries.c.member_id == member_id,
                    campaigns.c.topic == topic,
                    deliveries.c.status == S.SENT.value,
                    deliveries.c.sent_at >= issued_at,
                )
                .order_by(deliveries.c.sent_at, deliveries.c.id)
                .limit(1)
            ).scalar()
            _insert_event(
                conn,
                delivery_id=delivery,
                member_id=member_id,
                event=EventKind.UNSUBSCRIBED.value,
                occurred_at=now,
                received_at=now,
                provider_event_id=None,
                dedupe_key=dedupe_key("one-click", member_id, topic, issued_at.isoformat()),
                payload={"source": "one-click", "topic": topic},
            )
            return changed > 0

    # -- reporting ---------------------------------------------------------------------------

    def stats(self, campaign_id: int) -> CampaignStats:
        with self.engine.connect() as conn:
            return _stats(conn, campaign_id)

    def recent_stats(self, since: dt.datetime) -> list[tuple[str, CampaignStats]]:
        """Campaigns that handed anything over since ``since``, with their stats."""
        with self.engine.connect() as conn:
            found = conn.execute(
                select(campaigns.c.id, campaigns.c.slug)
                .where(
                    campaigns.c.id.in_(
                        select(deliveries.c.campaign_id)
                        .where(deliveries.c.sent_at >= since)
                        .distinct()
                    )
                )
                .order_by(campaigns.c.id)
            ).all()
            return [(str(slug), _stats(conn, int(cid))) for cid, slug in found]

    def acknowledge_complaints(self, campaign_id: int, count: int, *, now: dt.datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(campaigns)
                .where(campaigns.c.id == campaign_id)
                .values(complaints_acknowledged=count, complaints_acknowledged_at=now)
            )


def _stats(conn: Connection, campaign_id: int) -> CampaignStats:
    by_event = {
        str(kind): int(n)
        for kind, n in conn.execute(
            select(events.c.event, func.count(distinct(events.c.delivery_id)))
            .join(deliveries, deliveries.c.id == events.c.delivery_id)
            .where(deliveries.c.campaign_id == campaign_id)
            .group_by(events.c.event)
        ).all()
    }
    unsubscribed = conn.execute(
        select(func.count(distinct(events.c.delivery_id)))
        .join(deliveries, deliveries.c.id == events.c.delivery_id)
        .where(
            deliveries.c.campaign_id == campaign_id,
            events.c.event.in_([EventKind.UNSUBSCRIBED.value, EventKind.GROUP_UNSUBSCRIBED.value]),
        )
    ).scalar_one()
    sent = conn.execute(
        select(func.count()).where(
            deliveries.c.campaign_id == campaign_id, deliveries.c.status == S.SENT.value
        )
    ).scalar_one()
    ack = conn.execute(
        select(campaigns.c.complaints_acknowledged).where(campaigns.c.id == campaign_id)
    ).scalar()

    def n(kind: EventKind) -> int:
        return int(by_event.get(kind.value, 0))

    return CampaignStats(
        sent=int(sent),
        delivered=n(EventKind.DELIVERED),
        bounced=n(EventKind.BOUNCED),
        blocked=n(EventKind.BLOCKED),
        dropped=n(EventKind.DROPPED),
        deferred=n(EventKind.DEFERRED),
        opened=n(EventKind.OPENED),
        clicked=n(EventKind.CLICKED),
        complained=n(EventKind.COMPLAINED),
        unsubscribed=int(unsubscribed),
        acknowledged_complaints=None if ack is None else int(ack),
    )


def _insert_event(conn: Connection, **values: Any) -> bool:
    """Insert unless either unique key is taken; True if this call inserted it."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(events).values(**values).on_conflict_do_nothing().returning(events.c.id)
    )
    return conn.execute(statement).first() is not None


def _delivery(conn: Connection, delivery_id: int | None) -> dict[str, Any] | None:
    if delivery_id is None:
        return None
    row = conn.execute(
        select(deliveries.c.id, deliveries.c.member_id, deliveries.c.status, campaigns.c.topic)
        .join(campaigns, campaigns.c.id == deliveries.c.campaign_id)
        .where(deliveries.c.id == delivery_id)
    ).first()
    return dict(row._mapping) if row is not None else None


def _member_by_email(conn: Connection, event: ProviderEvent) -> int | None:
    found = conn.execute(
        select(members.c.id).where(members.c.email_key == lookup_key(event.email))
    ).scalar()
    return None if found is None else int(found)


def _suppress(conn: Connection, email_hash: str, reason: str, at: dt.datetime) -> None:
    held = conn.execute(
        select(suppressions.c.reason).where(suppressions.c.email_hash == email_hash)
    ).scalar()
    if held is None:
        conn.execute(
            insert(suppressions).values(email_hash=email_hash, reason=reason, created_at=at)
        )
    elif _SUPPRESSION_RANK.get(str(held), 0) < _SUPPRESSION_RANK[reason]:
        conn.execute(
            update(suppressions)
            .where(suppressions.c.email_hash == email_hash)
            .values(reason=reason)
        )


def _resubscribed_since(conn: Connection, member_id: int, topic: str, since: dt.datetime) -> bool:
    return (
        conn.execute(
            select(consent_events.c.id)
            .where(
                consent_events.c.member_id == member_id,
                consent_events.c.topic == topic,
                consent_events.c.action == "subscribed",
                consent_events.c.at > since,
            )
            .limit(1)
        ).first()
        is not None
    )


def _set_topic(
    conn: Connection,
    member_id: int,
    topic: str,
    subscribed: bool,
    at: dt.datetime,
    source: str,
    *,
    force: bool = False,
) -> int:
    """Subscribe or unsubscribe one topic, with its consent event; 1 if it changed, else 0.

    Unless ``force``, a change older than the subscription's last change is ignored: events
    arrive out of order, and a resubscribe must not be undone by an older unsubscribe.
    """
    target = "subscribed" if subscribed else "unsubscribed"
    current = conn.execute(
        select(subscriptions.c.status, subscriptions.c.updated_at).where(
            subscriptions.c.member_id == member_id, subscriptions.c.topic == topic
        )
    ).first()
    if current is None:
        if not subscribed:
            return 0
        conn.execute(
            insert(subscriptions).values(
                member_id=member_id, topic=topic, status=target, updated_at=at
            )
        )
    else:
        if current.status == target:
            return 0
        if not force and _aware(current.updated_at) > at:
            return 0
        changed = conn.execute(
            update(subscriptions)
            .where(
                subscriptions.c.member_id == member_id,
                subscriptions.c.topic == topic,
                subscriptions.c.status == current.status,
            )
            .values(status=target, updated_at=at)
        ).rowcount
        if not changed:  # someone else changed it meanwhile (concurrent one-click POSTs)
            return 0
    conn.execute(
        insert(consent_events).values(
            member_id=member_id,
            topic=topic,
            action=target,
            source=source,
            wording_version="",
            at=at,
        )
    )
    return 1


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
