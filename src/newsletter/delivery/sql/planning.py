"""Planning a step's ledger rows: the statement that writes one chunk of the audience.

:meth:`newsletter.delivery.sql.ledger.SqlLedger.plan` runs it once per range of member ids;
the scheduler's suppressed rows (``scheduling/sql/audience.py``) are written with the same
counting insert.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Integer, Select, bindparam, case, func, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from newsletter.audiences.domain.deliveries import DeliveryStatus
from newsletter.audiences.domain.segments import Rule, Segment
from newsletter.audiences.sql.segment_compiler import compile_rule, segment_clause
from newsletter.db.tables import deliveries, members

S = DeliveryStatus


#: What planning writes of each ledger row (the rest are NULL until the row is sent).
PLAN_COLUMNS = ["campaign_id", "step", "member_id", "language", "status", "attempts",
                "created_at", "updated_at"]  # fmt: skip


def plan_source(
    campaign_id: int,
    step: str,
    segment: Segment,
    topic: str,
    variants: Mapping[str, str],
    default_language: str,
    *,
    now: dt.datetime,
    only: Rule | None = None,
) -> Select[Any]:
    """The ledger rows of one chunk of the audience, the members with ids from ``:plan_lo``
    to ``:plan_hi``, in the order of :data:`PLAN_COLUMNS`. The range is also put on each
    correlated lookup (subscriptions, tags, earlier deliveries), so a chunk reads only its
    own part of those tables (see ``segment_compiler._of_member``). The variant language is
    chosen in SQL with a CASE over the member's language: no row travels through Python."""
    language: Any = literal(default_language)
    if variants:
        language = case(dict(variants), value=members.c.language, else_=language)
    lo, hi = bindparam("plan_lo", type_=Integer), bindparam("plan_hi", type_=Integer)
    source = select(
        literal(campaign_id),
        literal(step),
        members.c.id,
        language,
        literal(S.PENDING.value),
        literal(0),
        literal(now),
        literal(now),
    ).where(members.c.id.between(lo, hi), segment_clause(segment, topic, (lo, hi)))
    if only is not None:
        source = source.where(compile_rule(only, (lo, hi)))
    return source


def insert_new(
    conn: Connection, cols: list[str], source: Any, params: Mapping[str, Any] | None = None
) -> int:
    """INSERT ... SELECT of ledger rows that skips rows the unique key already has; returns
    how many were new. sqlite3 reports that as the statement's rowcount; psycopg reports -1
    for an INSERT ... SELECT ... ON CONFLICT, so PostgreSQL counts the rows the INSERT
    returns, in the same statement (a data-modifying WITH,
    https://www.postgresql.org/docs/current/queries-with.html#QUERIES-WITH-MODIFYING)."""
    if conn.dialect.name == "sqlite":
        insert = sqlite.insert(deliveries).from_select(cols, source).on_conflict_do_nothing()
        return int(conn.execute(insert, params).rowcount)
    new = (
        postgresql.insert(deliveries)
        .from_select(cols, source)
        .on_conflict_do_nothing()
        .returning(deliveries.c.id)
        .cte("new")
    )
    return int(conn.execute(select(func.count()).select_from(new), params).scalar_one())
