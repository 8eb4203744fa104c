"""What the ledger says after a send, and the decisions staff take on it: counts per state,
failure kinds, the rows whose fate is unknown; resolve those (send again / count as sent) and
re-queue transient failures (``campaigns status``, ``resolve-unknown``, ``retry``). Also the
two clauses every ledger module shares: one step's rows (:func:`of_step`) and rows by id
(:func:`ids_in`)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, Integer, and_, any_, bindparam, func, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from newsletter.audiences.domain.deliveries import DeliveryCounts, DeliveryStatus, FailureKind
from newsletter.db.tables import deliveries, members

S = DeliveryStatus


class LedgerReview:
    engine: Engine

    def counts(self, campaign_id: int, step: str | None = None) -> DeliveryCounts:
        query = (
            select(deliveries.c.status, func.count())
            .where(of_campaign(campaign_id, step))
            .group_by(deliveries.c.status)
        )
        with self.engine.connect() as conn:
            found = {status: int(n) for status, n in conn.execute(query).all()}
        return DeliveryCounts(**{s.value: found.get(s.value, 0) for s in DeliveryStatus})

    def first_sent_at(self, campaign_id: int) -> dt.datetime | None:
        """When the campaign's first delivery was sent (None: nothing sent yet)."""
        query = select(func.min(deliveries.c.sent_at)).where(
            deliveries.c.campaign_id == campaign_id, deliveries.c.status == S.SENT.value
        )
        with self.engine.connect() as conn:
            found: dt.datetime | None = conn.execute(query).scalar()
        if found is None:
            return None
        # SQLite hands back naive datetimes; every stamp the ledger writes is UTC.
        return found.replace(tzinfo=dt.UTC) if found.tzinfo is None else found.astimezone(dt.UTC)

    def unknown_rows(self, campaign_id: int, limit: int = 50) -> list[dict[str, Any]]:
        query = (
            select(
                deliveries.c.id,
                deliveries.c.step,
                members.c.email,
                deliveries.c.attempts,
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

    def resolve_unknown(
        self, campaign_id: int, step: str | None, to: DeliveryStatus, *, now: dt.datetime
    ) -> int:
        """Staff decide about ``unknown`` rows: ``pending`` (send again) or ``sent``."""
        if to not in (S.PENDING, S.SENT):
            raise ValueError(f"unknown rows can only become pending or sent, not {to}")
        values: dict[str, Any] = {"status": to.value, "updated_at": now}
        if to is S.SENT:
            values |= {"sent_at": now, "last_error": "marked sent by staff"}
        else:
            values |= {"last_error": "resent by staff decision"}
        with self.engine.begin() as conn:
            return int(
                conn.execute(
                    update(deliveries)
                    .where(of_campaign(campaign_id, step), deliveries.c.status == S.UNKNOWN.value)
                    .values(**values)
                ).rowcount
                or 0
            )

    def retry_failed(self, campaign_id: int, step: str | None, *, now: dt.datetime) -> int:
        """Transient failures go back to ``pending`` with fresh attempts; permanent ones stay."""
        with self.engine.begin() as conn:
            return int(
                conn.execute(
                    update(deliveries)
                    .where(
                        of_campaign(campaign_id, step),
                        deliveries.c.status == S.FAILED.value,
                        deliveries.c.failure_kind == FailureKind.TRANSIENT.value,
                    )
                    .values(status=S.PENDING.value, attempts=0, failure_kind=None, updated_at=now)
                ).rowcount
                or 0
            )

    def failure_kinds(self, campaign_id: int, step: str | None = None) -> dict[str, int]:
        query = (
            select(deliveries.c.failure_kind, func.count())
            .where(of_campaign(campaign_id, step), deliveries.c.status == S.FAILED.value)
            .group_by(deliveries.c.failure_kind)
        )
        with self.engine.connect() as conn:
            return {
                str(kind or FailureKind.PERMANENT.value): int(n)
                for kind, n in conn.execute(query).all()
            }


def of_step(campaign_id: int, step: str) -> Any:
    return and_(deliveries.c.campaign_id == campaign_id, deliveries.c.step == step)


def of_campaign(campaign_id: int, step: str | None) -> Any:
    return (
        of_step(campaign_id, step) if step is not None else deliveries.c.campaign_id == campaign_id
    )


def ids_in(conn: Connection, ids: Sequence[int]) -> Any:
    """``deliveries.id`` is one of ``ids``, as one bound parameter whatever the count: an array
    on PostgreSQL, a JSON list read by ``json_each`` on SQLite. (An IN list of 1000 parameters
    costs more to compile than to run, and SQLite caps parameters per statement.)"""
    values = [int(i) for i in ids]
    if conn.dialect.name == "postgresql":
        return deliveries.c.id == any_(
            bindparam(None, values, type_=postgresql.ARRAY(Integer), unique=True)
        )
    listed = func.json_each(bindparam(None, json.dumps(values), unique=True)).table_valued("value")
    return deliveries.c.id.in_(select(listed.c.value))
