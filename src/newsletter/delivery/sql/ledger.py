"""The delivery ledger in SQL.

Every state change is committed before the next external side effect:
``claim`` commits ``sending`` before the transport is called, and the outcome is committed as
soon as the transport returns. On PostgreSQL the claim uses ``FOR UPDATE SKIP LOCKED`` so
several workers can share one campaign without ever claiming the same row.

A ``sending`` row names its owner and carries a lease; how owners, leases and the
"request started" record work is :mod:`newsletter.delivery.sql.leases`; the claim's statement
(its index, cursor and eligibility re-check) is :mod:`newsletter.delivery.sql.claims`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import and_, case, func, literal, select, update

from newsletter.audiences.domain.deliveries import DeliveryStatus, FailureKind, Recipient
from newsletter.audiences.domain.segments import Rule, Segment
from newsletter.db.tables import deliveries, members
from newsletter.delivery.sql.campaign_rows import CampaignRows
from newsletter.delivery.sql.claims import claim_rows_sqlite, claim_statement, claim_values
from newsletter.delivery.sql.leases import ClaimLeases
from newsletter.delivery.sql.ledger_review import LedgerReview, ids_in, of_step
from newsletter.delivery.sql.planning import PLAN_COLUMNS, insert_new, plan_source
from newsletter.errors import StateError

S = DeliveryStatus
#: Members per planning statement (each its own transaction).
PLAN_CHUNK = 20_000


class SqlLedger(ClaimLeases, CampaignRows, LedgerReview):
    """The sending path: plan, claim, record outcomes; who owns a claim and what happens to a
    dead owner's rows, campaign rows and what staff review come from the bases."""

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
        only: Rule | None = None,
    ) -> int:
        source = plan_source(
            campaign_id, step, segment, topic, variants, default_language, now=now, only=only
        )
        with self.engine.connect() as conn:
            span = select(func.min(members.c.id), func.max(members.c.id))
            lowest, highest = conn.execute(span).one()
        if lowest is None:
            return 0
        planned = 0
        # One statement and one transaction per range of member ids, each committed: memory
        # and the time the write lock is held stay those of one chunk however large the
        # audience (senders claim between chunks), and a rerun after a crash resumes, the
        # unique key skipping what is already there.
        for start in range(int(lowest), int(highest) + 1, PLAN_CHUNK):
            chunk = {"plan_lo": start, "plan_hi": start + PLAN_CHUNK - 1}
            with self.engine.begin() as conn:
                planned += insert_new(conn, PLAN_COLUMNS, source, chunk)
        return planned

    def pending_languages(self, campaign_id: int, step: str) -> dict[str, int]:
        """Pending rows per variant language, in language order."""
        with self.engine.connect() as conn:
            query = (
                select(deliveries.c.language, func.count())
                .where(of_step(campaign_id, step), deliveries.c.status == S.PENDING.value)
                .group_by(deliveries.c.language)
                .order_by(deliveries.c.language)
            )
            return {str(lang): int(n) for lang, n in conn.execute(query).all()}

    def claim(
        self,
        campaign_id: int,
        step: str,
        language: str,
        topic: str,
        limit: int,
        *,
        now: dt.datetime,
        owner: str | None = None,
        after: int = 0,
    ) -> tuple[list[Recipient], int]:
        values = claim_values(campaign_id, step, language, limit, after)
        with self.engine.begin() as conn:
            dialect = conn.dialect.name
            found: Sequence[Sequence[Any]]
            if dialect == "sqlite":
                found = claim_rows_sqlite(
                    conn, claim_statement(dialect, topic, packed=True), values
                )
            else:
                rows = conn.execute(claim_statement(dialect, topic), values).all()
                found = sorted(rows, key=lambda r: int(r[0]))
            stale = [r[0] for r in found if not r[-1]]
            suppressed = 0
            if stale:
                suppressed = conn.execute(
                    update(deliveries)
                    .where(ids_in(conn, stale), deliveries.c.status == S.PENDING.value)
                    .values(
                        status=S.SUPPRESSED.value,
                        updated_at=now,
                        last_error="no longer eligible at send time",
                    )
                ).rowcount
            ready = [r for r in found if r[-1]]
            if ready:
                moved = conn.execute(
                    update(deliveries)
                    .where(
                        ids_in(conn, [r[0] for r in ready]), deliveries.c.status == S.PENDING.value
                    )
                    .values(
                        status=S.SENDING.value,
                        updated_at=now,
                        attempts=deliveries.c.attempts + 1,
                        claimed_by=owner,
                        request_started_at=None,
                    )
                ).rowcount
                # The rows were locked when read (SKIP LOCKED; on SQLite the write lock was
                # taken first), so every one of them moved; anything else is a bug to stop on.
                if moved != len(ready):
                    raise StateError(f"a claim moved {moved} of the {len(ready)} rows it locked")
        recipients = [
            Recipient(did, mid, email, first, last, org, lang, timezone=zone)
            for did, mid, email, first, last, org, lang, zone, _ in ready
        ]
        return recipients, int(suppressed or 0)

    def mark_sent(self, ids: Sequence[int], provider_id: str | None, *, now: dt.datetime) -> None:
        # From ``unknown`` too: a definite answer that arrives after a lease ran out still counts.
        self._move(
            ids,
            S.SENT,
            now,
            (S.SENDING, S.UNKNOWN),
            provider_message_id=provider_id,
            sent_at=now,
            last_error=None,
            failure_kind=None,
        )

    def mark_failed(
        self,
        ids: Sequence[int],
        error: str,
        *,
        now: dt.datetime,
        kind: FailureKind = FailureKind.PERMANENT,
    ) -> None:
        self._move(
            ids,
            S.FAILED,
            now,
            (S.SENDING, S.UNKNOWN),
            last_error=error[:2000],
            failure_kind=kind.value,
        )

    def mark_unknown(self, ids: Sequence[int], error: str, *, now: dt.datetime) -> None:
        self._move(ids, S.UNKNOWN, now, (S.SENDING,), last_error=error[:2000])

    def unknown_ids(self, campaign_id: int, step: str) -> list[int]:
        with self.engine.connect() as conn:
            query = select(deliveries.c.id).where(
                of_step(campaign_id, step), deliveries.c.status == S.UNKNOWN.value
            )
            return [int(i) for i in conn.execute(query.order_by(deliveries.c.id)).scalars()]

    def settle_unknown(
        self, sent: Sequence[int], absent: Sequence[int], *, now: dt.datetime
    ) -> None:
        self._move(sent, S.SENT, now, (S.UNKNOWN,), sent_at=now, last_error=None, failure_kind=None)
        self._move(
            absent,
            S.PENDING,
            now,
            (S.UNKNOWN,),
            claimed_by=None,
            request_started_at=None,
            last_error="not in the outbox after a crash: sent again",
        )

    def release(
        self,
        ids: Sequence[int],
        error: str,
        *,
        now: dt.datetime,
        max_attempts: int = 5,
        refund: bool = False,
    ) -> None:
        """Back to pending, unless the row has used up its attempts: then failed (transient).
        ``refund``: the attempt does not count (the provider only asked us to slow down)."""
        if not ids:
            return
        values: dict[str, Any]
        if refund:
            values = {"status": S.PENDING.value, "attempts": deliveries.c.attempts - 1}
        else:
            exhausted = deliveries.c.attempts >= max_attempts
            values = {
                "status": case(
                    (exhausted, literal(S.FAILED.value)), else_=literal(S.PENDING.value)
                ),
                "failure_kind": case((exhausted, literal(FailureKind.TRANSIENT.value)), else_=None),
            }
        with self.engine.begin() as conn:
            conn.execute(
                update(deliveries)
                .where(ids_in(conn, ids), deliveries.c.status == S.SENDING.value)
                .values(
                    updated_at=now,
                    last_error=error[:2000],
                    claimed_by=None,
                    request_started_at=None,
                    **values,
                )
            )

    def requeue_unknown(
        self,
        campaign_id: int,
        step: str,
        *,
        older_than: dt.datetime,
        now: dt.datetime,
        max_attempts: int = 5,
    ) -> int:
        """The resend policy: ``unknown`` rows no event has confirmed since ``older_than`` go
        back to ``pending`` (``failed``, transient, once their attempts are used up, so a row
        that keeps ending unknown cannot flood anyone). Returns how many were re-queued."""
        where = and_(
            of_step(campaign_id, step),
            deliveries.c.status == S.UNKNOWN.value,
            deliveries.c.updated_at < older_than,
        )
        with self.engine.begin() as conn:
            conn.execute(
                update(deliveries)
                .where(where, deliveries.c.attempts >= max_attempts)
                .values(
                    status=S.FAILED.value,
                    failure_kind=FailureKind.TRANSIENT.value,
                    updated_at=now,
                    last_error="ended unknown on every attempt; not resent again",
                )
            )
            return int(
                conn.execute(
                    update(deliveries)
                    .where(where)
                    .values(
                        status=S.PENDING.value,
                        updated_at=now,
                        last_error="resent: the earlier attempt ended unknown",
                    )
                ).rowcount
                or 0
            )

    def _move(
        self,
        ids: Sequence[int],
        to: DeliveryStatus,
        now: dt.datetime,
        sources: tuple[DeliveryStatus, ...],
        **values: Any,
    ) -> None:
        if not ids:
            return
        with self.engine.begin() as conn:
            conn.execute(
                update(deliveries)
                .where(ids_in(conn, ids), deliveries.c.status.in_([s.value for s in sources]))
                .values(status=to.value, updated_at=now, **values)
            )
