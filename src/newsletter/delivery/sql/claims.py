"""The claim's statement: the next pending rows of one variant, read from their partial index.

What :meth:`newsletter.delivery.sql.ledger.SqlLedger.claim` runs (and what EXPLAIN reads, in
``tests/delivery/sql/test_claim_scale.py``): built once per database and topic, the values
bound as parameters. Who owns the claimed rows and what becomes of a dead owner's is
:mod:`newsletter.delivery.sql.leases`.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from sqlalchemy import Integer, Select, String, bindparam, func, literal_column, select, tuple_
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from newsletter.audiences.domain.deliveries import DeliveryStatus
from newsletter.audiences.sql.segment_compiler import eligible_one
from newsletter.db.tables import deliveries, members

S = DeliveryStatus


def claim_query(
    dialect: str,
    campaign_id: int,
    step: str,
    language: str,
    topic: str,
    limit: int,
    after: int = 0,
) -> Select[Any]:
    """The claim's statement with these values bound: what the claim runs (EXPLAIN reads it)."""
    values = claim_values(campaign_id, step, language, limit, after)
    return claim_statement(dialect, topic).params(values)


def claim_values(
    campaign_id: int, step: str, language: str, limit: int, after: int
) -> dict[str, Any]:
    return {"c_campaign": campaign_id, "c_step": step, "c_language": language,
            "c_limit": limit, "c_after": after}  # fmt: skip


@functools.lru_cache(maxsize=64)
def claim_statement(dialect: str, topic: str, *, packed: bool = False) -> Select[Any]:
    """The next ``:c_limit`` pending rows of one variant after id ``:c_after``, each with what
    the send needs of its member and whether it may still be mailed. Built once per database
    and topic, the values travel as parameters (building it cost about as much CPU as running
    it). ``packed`` (SQLite): the rows as one JSON array (see :func:`claim_rows_sqlite`).

    The inner query reads only ``deliveries``, in the order of the partial index
    ``ix_deliveries_pending_claim`` (``(campaign_id, step, language, id) WHERE status =
    'pending'``, migration 0016): the first ``limit`` entries of one key prefix, no sort and no
    join over the backlog. The status is written as a literal: a planner proves that a query
    may use a partial index only from constants (PostgreSQL's generic plans of prepared
    statements and SQLite alike, https://sqlite.org/partialindex.html section 3.1). Only the
    claimed ids then meet ``members``, for the member's data and the eligibility re-check (an
    unsubscribe may arrive mid-send). On PostgreSQL the inner rows are locked ``FOR UPDATE
    SKIP LOCKED``: another sender's claim in progress is skipped, not waited for.
    """
    campaign = bindparam("c_campaign", type_=Integer)
    step = bindparam("c_step", type_=String)
    language = bindparam("c_language", type_=String)
    after = bindparam("c_after", type_=Integer)
    key = (deliveries.c.campaign_id, deliveries.c.step, deliveries.c.language, deliveries.c.id)
    cursor: ColumnElement[bool] = deliveries.c.id > after
    if dialect == "postgresql":
        # The cursor as a row comparison over the whole index key: only this index can
        # start at it, so a plan that walks the primary key from ``after`` through other
        # variants' and claimed rows, filtering, is not an option the planner can mistake
        # for cheaper (it did, on fresh statistics).
        cursor = tuple_(*key) > tuple_(campaign, step, language, after)
    picked = (
        select(deliveries.c.id, deliveries.c.member_id)
        .where(
            deliveries.c.campaign_id == campaign,
            deliveries.c.step == step,
            deliveries.c.language == language,
            deliveries.c.status == literal_column(f"'{S.PENDING.value}'"),
            cursor,
        )
        .order_by(deliveries.c.id)
        .limit(bindparam("c_limit", type_=Integer))
    )
    if dialect == "postgresql":
        picked = picked.with_for_update(skip_locked=True)
    rows = picked.subquery("picked")
    query = select(
        rows.c.id,
        rows.c.member_id,
        members.c.email,
        members.c.first_name,
        members.c.last_name,
        members.c.organization,
        members.c.language,
        members.c.timezone,
        eligible_one(topic).label("ok"),
    ).join(members, members.c.id == rows.c.member_id)
    if packed:
        every = query.subquery()
        return select(func.json_group_array(func.json_array(*every.c)))
    return query


def claim_rows_sqlite(conn: Connection, packed: Any, values: dict[str, Any]) -> list[list[Any]]:
    """The rows of a claim on SQLite, read under the write lock, in one piece.

    ``BEGIN IMMEDIATE`` takes the database's write lock before the rows are read (SQLite has
    no row locks, and pysqlite would only begin the transaction at the first write): no other
    sender can claim them between this read and the UPDATE that follows. (Should a driver
    have begun a plain transaction already, a row another sender took in between makes that
    UPDATE fail on SQLite's snapshot check, or the claim's row count, rather than send twice.)
    The rows come back as one JSON array decoded in one call: cheaper than 1000 row tuples,
    and the driver gives up the interpreter lock once rather than once per row stepped through
    (each time, a worker thread may take it and keep it for up to the switch interval).
    """
    if not conn.connection.driver_connection.in_transaction:  # type: ignore[union-attr]
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    found: list[list[Any]] = json.loads(conn.execute(packed, values).scalar_one())
    found.sort(key=lambda r: r[0])  # the aggregate does not promise the subquery's order
    return found
