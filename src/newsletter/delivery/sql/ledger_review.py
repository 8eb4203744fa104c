"""What the ledger says after a send, and the decisions staff take on it: counts per state,
failure kinds, the rows whose fate is unknown; resolve those (send again / count as sent) and
re-queue transient failures (``campaigns status``, ``resolve-unknown``, ``retry``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine, and_, func, select, update

from newsletter.db.tables import deliveries, members
from newsletter.delivery.domain.deliveries import DeliveryCounts, DeliveryStatus, FailureKind

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
