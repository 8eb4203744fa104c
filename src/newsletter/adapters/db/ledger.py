"""The delivery ledger in SQL.

Every state change is committed before the next external side effect (reliability REL-02):
``claim`` commits ``sending`` before the transport is called, and the outcome is committed as
soon as the transport returns. On PostgreSQL the claim uses ``FOR UPDATE SKIP LOCKED`` so
several workers can share one campaign without ever claiming the same row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Engine, and_, case, func, insert, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from newsletter.adapters.db.segments import eligible, segment_clause
from newsletter.adapters.db.tables import campaigns, deliveries, members
from newsletter.domain.campaigns import CampaignDefinition, CampaignState
from newsletter.domain.deliveries import DeliveryCounts, DeliveryStatus, Recipient
from newsletter.domain.segments import Segment

S = DeliveryStatus


class SqlLedger:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def ensure_campaign(self, campaign: CampaignDefinition, *, now: dt.datetime) -> int:
        """Create or refresh the campaign row; the definition snapshot is what was sent."""
        values = {
            "kind": campaign.kind,
            "title": campaign.title,
            "topic": campaign.topic,
            "definition": campaign.model_dump(mode="json", by_alias=True),
            "updated_at": now,
        }
        with self.engine.begin() as conn:
            found = conn.execute(
                select(campaigns.c.id).where(campaigns.c.slug == campaign.slug)
            ).scalar()
            if found is not None:
                conn.execute(update(campaigns).where(campaigns.c.id == found).values(**values))
                return int(found)
            return int(
                conn.execute(
                    insert(campaigns)
                    .values(
                        slug=campaign.slug,
                        state=CampaignState.DRAFT.value,
                        created_at=now,
                        **values,
                    )
                    .returning(campaigns.c.id)
                ).scalar_one()
            )

    def campaign_id(self, slug: str) -> int | None:
        with self.engine.connect() as conn:
            found = conn.execute(select(campaigns.c.id).where(campaigns.c.slug == slug)).scalar()
            return None if found is None else int(found)

    def set_state(self, campaign_id: int, state: CampaignState, *, now: dt.datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(campaigns)
                .where(campaigns.c.id == campaign_id)
                .values(state=state.value, updated_at=now)
            )

    def plan(
        self,
        campaign_id: int,
        step: str,
        segment: Segment,
        topic: str,
        variants: Mapping[str, str],
        default_language: str,
        *,
        now: dt.datetime,
    ) -> int:
        # The variant language is chosen in SQL with a CASE over the member's language, so
        # planning 100k rows is one INSERT ... SELECT with no rows travelling through Python.
        language: Any = literal(default_language)
        if variants:
            language = case(dict(variants), value=members.c.language, else_=language)
        source = select(
            literal(campaign_id),
            literal(step),
            members.c.id,
            language,
            literal(S.PENDING.value),
            literal(0),
            literal(now),
            literal(now),
        ).where(segment_clause(segment, topic))
        cols = [
            "campaign_id",
            "step",
            "member_id",
            "language",
            "status",
            "attempts",
            "created_at",
            "updated_at",
        ]
        # rowcount of INSERT ... SELECT ... ON CONFLICT is not reliable across drivers (psycopg
        # reports -1), so count the step's rows before and after, in the same transaction.
        count = select(func.count()).select_from(deliveries).where(_of(campaign_id, step))
        with self.engine.begin() as conn:
            before = int(conn.execute(count).scalar_one())
            conn.execute(_insert_ignore(conn, cols, source))
            return int(conn.execute(count).scalar_one()) - before

    def recover_in_flight(self, campaign_id: int, step: str, *, now: dt.datetime) -> int:
        with self.engine.begin() as conn:
            result = conn.execute(
                update(deliveries)
                .where(_of(campaign_id, step), deliveries.c.status == S.SENDING.value)
                .values(
                    status=S.UNKNOWN.value,
                    updated_at=now,
                    last_error="interrupted while the request was in flight; it may have been sent",
                )
            )
            return int(result.rowcount or 0)

    def pending_languages(self, campaign_id: int, step: str) -> list[str]:
        with self.engine.connect() as conn:
            query = (
                select(deliveries.c.language)
                .where(_of(campaign_id, step), deliveries.c.status == S.PENDING.value)
                .distinct()
                .order_by(deliveries.c.language)
            )
            return list(conn.execute(query).scalars())

    def claim(
        self,
        campaign_id: int,
        step: str,
        language: str,
        topic: str,
        limit: int,
        *,
        now: dt.datetime,
    ) -> tuple[list[Recipient], int]:
        base = and_(
            _of(campaign_id, step),
            deliveries.c.language == language,
            deliveries.c.status == S.PENDING.value,
        )
        with self.engine.begin() as conn:
            # Re-check eligibility right before sending (reliability UNS-06): whoever
            # unsubscribed or bounced since planning is marked suppressed, never sent.
            stale = select(deliveries.c.id).join(members, members.c.id == deliveries.c.member_id)
            stale = stale.where(base, ~eligible(topic))
            suppressed = conn.execute(
                update(deliveries)
                .where(deliveries.c.id.in_(stale.scalar_subquery()))
                .values(
                    status=S.SUPPRESSED.value,
                    updated_at=now,
                    last_error="no longer eligible at send time",
                )
            ).rowcount
            query = (
                select(
                    deliveries.c.id,
                    deliveries.c.member_id,
                    members.c.email,
                    members.c.first_name,
                    members.c.last_name,
                    members.c.organization,
                    members.c.language,
                )
                .join(members, members.c.id == deliveries.c.member_id)
                .where(base)
                .order_by(deliveries.c.id)
                .limit(limit)
            )
            if conn.dialect.name == "postgresql":
                query = query.with_for_update(of=deliveries, skip_locked=True)
            rows = conn.execute(query).all()
            ids = [r.id for r in rows]
            if ids:
                conn.execute(
                    update(deliveries)
                    .where(deliveries.c.id.in_(ids), deliveries.c.status == S.PENDING.value)
                    .values(
                        status=S.SENDING.value, updated_at=now, attempts=deliveries.c.attempts + 1
                    )
                )
        recipients = [
            Recipient(
                r.id, r.member_id, r.email, r.first_name, r.last_name, r.organization, r.language
            )
            for r in rows
        ]
        return recipients, int(suppressed or 0)

    def mark_sent(self, ids: Sequence[int], provider_id: str | None, *, now: dt.datetime) -> None:
        self._move(ids, S.SENT, now, provider_message_id=provider_id, sent_at=now, last_error=None)

    def mark_failed(self, ids: Sequence[int], error: str, *, now: dt.datetime) -> None:
        self._move(ids, S.FAILED, now, last_error=error[:2000])

    def mark_unknown(self, ids: Sequence[int], error: str, *, now: dt.datetime) -> None:
        self._move(ids, S.UNKNOWN, now, last_error=error[:2000])

    def release(
        self, ids: Sequence[int], error: str, *, now: dt.datetime, max_attempts: int = 5
    ) -> None:
        """Back to pending, unless the row has used up its attempts: then failed."""
        if not ids:
            return
        status = case(
            (deliveries.c.attempts >= max_attempts, literal(S.FAILED.value)),
            else_=literal(S.PENDING.value),
        )
        with self.engine.begin() as conn:
            for start in range(0, len(ids), 900):
                conn.execute(
                    update(deliveries)
                    .where(
                        deliveries.c.id.in_(ids[start : start + 900]),
                        deliveries.c.status == S.SENDING.value,
                    )
                    .values(status=status, updated_at=now, last_error=error[:2000])
                )

    def _move(
        self, ids: Sequence[int], to: DeliveryStatus, now: dt.datetime, **values: Any
    ) -> None:
        if not ids:
            return
        with self.engine.begin() as conn:
            for start in range(0, len(ids), 900):  # stay under SQLite's bound-parameter limit
                conn.execute(
                    update(deliveries)
                    .where(
                        deliveries.c.id.in_(ids[start : start + 900]),
                        deliveries.c.status == S.SENDING.value,
                    )
                    .values(status=to.value, updated_at=now, **values)
                )

    def counts(self, campaign_id: int, step: str | None = None) -> DeliveryCounts:
        where = deliveries.c.campaign_id == campaign_id
        if step is not None:
            where = and_(where, deliveries.c.step == step)
        query = select(deliveries.c.status, func.count()).where(where).group_by(deliveries.c.status)
        with self.engine.connect() as conn:
            found = {status: int(n) for status, n in conn.execute(query).all()}
        return DeliveryCounts(**{s.value: found.get(s.value, 0) for s in DeliveryStatus})

    def unknown_rows(self, campaign_id: int, limit: int = 50) -> list[dict[str, Any]]:
        query = (
            select(
                deliveries.c.id,
                deliveries.c.step,
                members.c.email,
                deliveries.c.last_error,
                deliveries.c.updated_at,
            )
            .join(members, members.c.id == deliveries.c.member_id)
            .where(deliveries.c.campaign_id == campaign_id, deliveries.c.status == S.UNKNOWN.value)
            .order_by(deliveries.c.id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]


def _of(campaign_id: int, step: str) -> Any:
    return and_(deliveries.c.campaign_id == campaign_id, deliveries.c.step == step)


def _insert_ignore(conn: Connection, cols: list[str], source: Any) -> Any:
    """INSERT ... SELECT that skips rows the unique key already has, on both backends."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(deliveries).from_select(cols, source).on_conflict_do_nothing()
    return sqlite.insert(deliveries).from_select(cols, source).on_conflict_do_nothing()
