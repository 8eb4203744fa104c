"""Provider events in SQL: store each once and apply what it means (a member's standing:
audiences/sql/standing.py; the outcome counts per campaign: delivery/sql/campaign_stats.py).

:meth:`SqlEventStore.record` takes a whole batch in one transaction. Each event is inserted with
``ON CONFLICT DO NOTHING`` against both unique keys (``provider_event_id`` and ``dedupe_key``);
only an event that was really inserted has effects, so a batch delivered twice, or an event
retried under a new ``sg_event_id``, changes things exactly once. If anything fails the whole
batch rolls back and the provider's retry finds nothing half-applied.

Effects only move forward (events arrive late and twice): a member's status goes active ->
unsubscribed -> bounced -> complained and never back; a delivery row is confirmed only from
``sending`` or ``unknown``; a topic subscription changes only if the event is newer than the last
change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from newsletter.audiences.domain.deliveries import DeliveryStatus, FailureKind
from newsletter.audiences.domain.members import MemberStatus
from newsletter.audiences.domain.privacy import SuppressionReason
from newsletter.audiences.ports.services import UnsubscribeTarget
from newsletter.audiences.sql.members import lookup_key
from newsletter.audiences.sql.standing import resubscribed_since, set_topic, suppress
from newsletter.db.tables import (
    campaigns,
    deliveries,
    events,
    members,
    subscriptions,
)
from newsletter.delivery.domain.breakdown import LanguageOutcome
from newsletter.delivery.domain.events import (
    Action,
    CampaignStats,
    Effect,
    EventKind,
    ProviderEvent,
    dedupe_key,
)
from newsletter.delivery.ports import RecordOutcome
from newsletter.delivery.sql.campaign_breakdown import click_urls, language_outcomes
from newsletter.delivery.sql.campaign_stats import campaign_stats, recent_campaign_stats

S = DeliveryStatus
_RANK = {
    MemberStatus.ACTIVE.value: 0,
    MemberStatus.UNSUBSCRIBED.value: 1,
    MemberStatus.BOUNCED.value: 2,
    MemberStatus.COMPLAINED.value: 3,
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
                suppress(conn, suppression, reason.value, event.occurred_at)
        elif action is Action.END_ALL_TOPICS:
            if member_id is not None:
                topics = conn.execute(
                    select(subscriptions.c.topic).where(
                        subscriptions.c.member_id == member_id,
                        subscriptions.c.status == "subscribed",
                    )
                ).scalars()
                for topic in list(topics):
                    outcome.unsubscribed += set_topic(
                        conn, member_id, topic, False, event.occurred_at, "sendgrid:unsubscribe"
                    )
        elif action in (Action.END_TOPIC, Action.RESUME_TOPIC):
            topic = effect.topic or (delivery["topic"] if delivery else None)
            if member_id is None or topic is None:
                return
            on = action is Action.RESUME_TOPIC
            source = "sendgrid:group_resubscribe" if on else "sendgrid:group_unsubscribe"
            changed = set_topic(conn, member_id, topic, on, event.occurred_at, source)
            outcome.unsubscribed += 0 if on else changed

    # -- one-click unsubscribe -------------------------------------------------------------

    def unsubscribe_target(
        self, member_id: int, topic: str, issued_at: dt.datetime
    ) -> UnsubscribeTarget | None:
        """Who a token points at, or None: no such member, or the member subscribed to the
        topic again after the token was issued (an old link must not undo a new choice)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(members.c.language).where(members.c.id == member_id)).first()
            if row is None:
                return None
            if resubscribed_since(conn, member_id, topic, issued_at):
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
            changed = set_topic(conn, member_id, topic, False, now, "one-click", force=True)
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
            return campaign_stats(conn, campaign_id)

    def click_urls(self, campaign_id: int) -> list[tuple[int | None, str]]:
        with self.engine.connect() as conn:
            return click_urls(conn, campaign_id)

    def language_outcomes(self, campaign_id: int) -> list[LanguageOutcome]:
        with self.engine.connect() as conn:
            return language_outcomes(conn, campaign_id)

    def recent_stats(self, since: dt.datetime) -> list[tuple[str, CampaignStats]]:
        """Campaigns that handed anything over since ``since``, with their stats."""
        with self.engine.connect() as conn:
            return recent_campaign_stats(conn, since)

    def acknowledge_complaints(self, campaign_id: int, count: int, *, now: dt.datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(campaigns)
                .where(campaigns.c.id == campaign_id)
                .values(complaints_acknowledged=count, complaints_acknowledged_at=now)
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
