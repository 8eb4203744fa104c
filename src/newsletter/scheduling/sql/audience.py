"""The ledger queries the scheduler needs before a reminder or notice goes out.

Exclusions are written as ``suppressed`` delivery rows with the reason, *before* the send plans
the step: the unique (campaign, step, member) key then keeps the send from planning those
members at all, and ``campaigns status`` shows who was left out and why. Notices are planned
here for exactly the members already reminded, in the language variant they read then.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from sqlalchemy import Engine, and_, exists, func, literal, select
from sqlalchemy.engine import Connection

from newsletter.audiences.domain.deliveries import DeliveryStatus
from newsletter.audiences.domain.members import MemberStatus
from newsletter.audiences.domain.segments import Segment
from newsletter.audiences.sql.segment_compiler import segment_clause
from newsletter.db.tables import campaigns, deliveries, members, schedules
from newsletter.delivery.sql.planning import insert_new
from newsletter.scheduling.domain.rules import ScheduleKind
from newsletter.scheduling.sql.store_extras import utc

D = DeliveryStatus
_COLUMNS = [
    "campaign_id",
    "step",
    "member_id",
    "language",
    "status",
    "attempts",
    "last_error",
    "created_at",
    "updated_at",
]
#: Deliveries that count against the daily reminder cap: handed over, or possibly handed over.
_COUNTED = (D.SENT.value, D.SENDING.value, D.UNKNOWN.value)


class ScheduleAudience:
    engine: Engine

    def member_zones(self) -> set[str]:
        query = (
            select(members.c.timezone)
            .where(members.c.status == MemberStatus.ACTIVE.value)
            .distinct()
        )
        with self.engine.connect() as conn:
            return {z or "" for z in conn.execute(query).scalars()}

    def audience_left(
        self, campaign_id: int | None, step: str, audience: Segment, topic: str
    ) -> int:
        query = select(func.count()).select_from(members).where(segment_clause(audience, topic))
        if campaign_id is not None:
            query = query.where(~_has_row(campaign_id, step))
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def suppress(
        self,
        campaign_id: int,
        step: str,
        audience: Segment,
        topic: str,
        *,
        skip: Segment | None,
        cap: tuple[int, dt.datetime, dt.datetime] | None,
        reason_skip: str,
        reason_cap: str,
        now: dt.datetime,
    ) -> tuple[int, int]:
        base = segment_clause(audience, topic)
        counts = [0, 0]
        with self.engine.begin() as conn:
            if skip is not None:
                counts[0] = self._suppress(
                    conn,
                    campaign_id,
                    step,
                    and_(base, segment_clause(skip, None)),
                    reason_skip,
                    now,
                )
            if cap is not None:
                limit, start, end = cap
                over = _over_cap(limit, start, end)
                counts[1] = self._suppress(
                    conn, campaign_id, step, and_(base, members.c.id.in_(over)), reason_cap, now
                )
        return counts[0], counts[1]

    def plan_from(
        self, campaign_id: int, step: str, reminded: Collection[str], *, now: dt.datetime
    ) -> int:
        earlier = deliveries.alias("earlier")
        source = (
            select(
                literal(campaign_id),
                literal(step),
                earlier.c.member_id,
                func.min(earlier.c.language),
                literal(D.PENDING.value),
                literal(0),
                literal(None),
                literal(utc(now)),
                literal(utc(now)),
            )
            .where(
                earlier.c.campaign_id == campaign_id,
                earlier.c.step.in_(list(reminded)),
                earlier.c.status == D.SENT.value,
            )
            .group_by(earlier.c.member_id)
        )
        with self.engine.begin() as conn:
            return insert_new(conn, _COLUMNS, source)

    def _suppress(
        self,
        conn: Connection,
        campaign_id: int,
        step: str,
        who: Any,
        reason: str,
        now: dt.datetime,
    ) -> int:
        source = select(
            literal(campaign_id),
            literal(step),
            members.c.id,
            members.c.language,
            literal(D.SUPPRESSED.value),
            literal(0),
            literal(reason[:2000]),
            literal(utc(now)),
            literal(utc(now)),
        ).where(who)
        return insert_new(conn, _COLUMNS, source)


def _has_row(campaign_id: int, step: str) -> Any:
    return exists(
        select(deliveries.c.id).where(
            deliveries.c.campaign_id == campaign_id,
            deliveries.c.step == step,
            deliveries.c.member_id == members.c.id,
        )
    )


def _over_cap(limit: int, start: dt.datetime, end: dt.datetime) -> Any:
    """Members already sent ``limit`` reminder steps (of any campaign) in [start, end)."""
    when = func.coalesce(deliveries.c.sent_at, deliveries.c.updated_at)
    reminder = and_(
        schedules.c.campaign == campaigns.c.slug,
        schedules.c.step == deliveries.c.step,
        schedules.c.kind == ScheduleKind.REMINDER.value,
    )
    return (
        select(deliveries.c.member_id)
        .join(campaigns, campaigns.c.id == deliveries.c.campaign_id)
        .where(
            deliveries.c.status.in_(_COUNTED),
            when >= utc(start),
            when < utc(end),
            exists(select(schedules.c.id).where(reminder)),
        )
        .group_by(deliveries.c.member_id)
        .having(func.count(deliveries.c.id) >= limit)
    )
