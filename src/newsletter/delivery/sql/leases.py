"""Who owns a claimed ledger row, and what becomes of a dead owner's rows.

A ``sending`` row names its owner (:mod:`newsletter.delivery.domain.claims`) and carries a
lease: its ``updated_at`` is the claim time, renewed by the sender while the request is in
flight (:meth:`ClaimLeases.renew`). Just before a batch goes to the transport its rows record
that their request started (:meth:`ClaimLeases.start_request`, committed). A later sender
settles the rows of an owner that is provably dead at once, and of any other owner once its
lease ran out (:meth:`ClaimLeases.recover_claims`): rows whose request started become
``unknown``, the others go back to ``pending``. A live sender's requests in flight are never
touched.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import Engine, and_, func, select, true, update
from sqlalchemy.engine import Connection
from sqlalchemy.sql import text

from newsletter.audiences.domain.deliveries import DeliveryStatus
from newsletter.db.tables import deliveries
from newsletter.delivery.domain.claims import ClaimOwner, Recovery, process_dead
from newsletter.delivery.sql.ledger_review import ids_in, of_step
from newsletter.delivery.sql.owners import process_start, this_process

S = DeliveryStatus
#: Every PostgreSQL session as ``pid`` and its start in microseconds: ``pid@start`` names a
#: session for good (a pid alone is reused).
_SESSIONS = (
    "SELECT pid, (extract(epoch FROM backend_start) * 1000000)::bigint FROM pg_stat_activity"
)


class ClaimLeases:
    engine: Engine
    #: (process id, connection, ``pid@start`` of its session): this process's PostgreSQL
    #: session, named in every claim so others can tell when it is gone.
    _anchor: tuple[int, Connection, str] | None = None

    def owner(self) -> str:
        """This process as the owner of the rows it claims (with its database session on
        PostgreSQL: a dedicated connection kept open for the life of the process)."""
        here = this_process()
        if self.engine.dialect.name != "postgresql":
            return here.token()
        anchor = self._anchor
        if anchor is None or anchor[0] != here.pid:
            conn = self.engine.connect()
            backend, started = conn.execute(text(f"{_SESSIONS} WHERE pid = pg_backend_pid()")).one()
            conn.commit()
            anchor = (here.pid, conn, f"{backend}@{started}")
            self._anchor = anchor
        return replace(here, session=anchor[2]).token()

    def close(self) -> None:
        """Let go of the session anchor (PostgreSQL): this process claims nothing more."""
        anchor = self._anchor
        if anchor is not None:
            self._anchor = None
            anchor[1].close()

    def recover_claims(
        self, campaign_id: int, step: str, *, now: dt.datetime, lease_seconds: float
    ) -> Recovery:
        """Rows left ``sending`` by a sender that is provably dead (see
        :mod:`newsletter.delivery.domain.claims`), or whose lease ran out, are settled: those
        whose request had started become ``unknown``, the others go back to ``pending`` (the
        attempt not counted). Rows of live senders are counted, not touched."""
        expired = now - dt.timedelta(seconds=lease_seconds)
        here = this_process()
        found = Recovery()
        with self.engine.connect() as conn:
            held = conn.execute(
                select(deliveries.c.claimed_by, func.count(), func.max(deliveries.c.updated_at))
                .where(of_step(campaign_id, step), deliveries.c.status == S.SENDING.value)
                .group_by(deliveries.c.claimed_by)
            ).all()
            sessions = _live_sessions(conn, [ClaimOwner.parse(t) for t, _, _ in held])
        for token, count, _newest in held:
            owner = ClaimOwner.parse(token)
            dead = owner is not None and (
                process_dead(owner, here, process_start)
                or (bool(owner.session) and owner.session not in sessions)
            )
            mine = and_(
                of_step(campaign_id, step),
                deliveries.c.status == S.SENDING.value,
                deliveries.c.claimed_by.is_(None)
                if token is None
                else deliveries.c.claimed_by == token,
            )
            if not dead:
                mine = and_(mine, deliveries.c.updated_at < expired)
            unknown, released = self._settle(mine, now, legacy=owner is None)
            found.unknown += unknown
            found.released += released
            left = int(count) - unknown - released
            if left > 0:
                who = owner.describe() if owner else "a sender"
                found.held[who] = found.held.get(who, 0) + left
            if dead and unknown + released:
                found.dead_owners.append(owner.describe() if owner else "a sender")
        return found

    def _settle(self, where: Any, now: dt.datetime, *, legacy: bool) -> tuple[int, int]:
        started = deliveries.c.request_started_at.is_not(None)
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # Lock the rows in id order first, skipping any a live transaction holds: two
                # bulk UPDATEs meeting in scan order can deadlock (seen with two workers under
                # load), and a row being written right now belongs to a sender that is alive.
                locked = select(deliveries.c.id).where(where).order_by(deliveries.c.id)
                ids = list(conn.execute(locked.with_for_update(skip_locked=True)).scalars())
                if not ids:
                    return 0, 0
                where = and_(where, ids_in(conn, ids))
            unknown = conn.execute(
                update(deliveries)
                .where(where, started if not legacy else true())
                .values(
                    status=S.UNKNOWN.value,
                    updated_at=now,
                    last_error="its sender stopped while the request was in flight; "
                    "it may have been sent",
                )
            ).rowcount
            released = 0
            if not legacy:
                released = conn.execute(
                    update(deliveries)
                    .where(where, deliveries.c.request_started_at.is_(None))
                    .values(
                        status=S.PENDING.value,
                        updated_at=now,
                        claimed_by=None,
                        attempts=deliveries.c.attempts - 1,
                        last_error="released: its sender stopped before the request started",
                    )
                ).rowcount
        return int(unknown or 0), int(released or 0)

    def start_request(self, ids: Sequence[int], owner: str, *, now: dt.datetime) -> bool:
        """Record, committed, that the request for these rows starts now - only if every one
        of them is still ``sending`` and ours (nobody released them meanwhile); False: do not
        send."""
        if not ids:
            return True
        try:
            with self.engine.begin() as conn:
                moved = conn.execute(
                    update(deliveries)
                    .where(
                        ids_in(conn, ids),
                        deliveries.c.status == S.SENDING.value,
                        deliveries.c.claimed_by == owner,
                    )
                    .values(request_started_at=now, updated_at=now)
                ).rowcount
                if moved != len(ids):
                    raise _Revoked
        except _Revoked:
            return False
        return True

    def renew(self, ids: Sequence[int], *, now: dt.datetime, owner: str | None = None) -> None:
        """Extend the lease of rows still ``sending`` (their request is still in flight)."""
        if not ids:
            return
        with self.engine.begin() as conn:
            query = update(deliveries).where(
                ids_in(conn, ids), deliveries.c.status == S.SENDING.value
            )
            if owner is not None:
                query = query.where(deliveries.c.claimed_by == owner)
            conn.execute(query.values(updated_at=now))


class _Revoked(Exception):
    """Some rows of a batch are no longer ours: roll the start record back."""


def _live_sessions(conn: Connection, owners: Sequence[ClaimOwner | None]) -> set[str]:
    """Which of the owners' PostgreSQL sessions still exist (``pid@start`` tokens)."""
    wanted = {o.session for o in owners if o is not None and o.session}
    if not wanted or conn.dialect.name != "postgresql":
        return wanted
    rows = conn.execute(text(_SESSIONS)).all()
    alive = {f"{pid}@{start}" for pid, start in rows}
    # A session of another role may hide its start time: its pid alone keeps it alive.
    pids = {str(pid) for pid, start in rows if start is None}
    return {s for s in wanted if s in alive or s.split("@", 1)[0] in pids}
