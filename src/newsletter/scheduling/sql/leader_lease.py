"""Exactly one scheduler leads: a lease row taken with one atomic ``UPDATE ... WHERE``.

APScheduler 3.x must never share a job store between two running schedulers (duplicate runs,
a silently dead scheduler thread: APScheduler's 3.x FAQ,
https://apscheduler.readthedocs.io/en/3.x/faq.html), so a process starts its scheduler only while it
holds this lease, and stops it the moment a renewal fails. The same statement works on SQLite
(writes are serialised) and PostgreSQL (the second UPDATE waits for the first to commit, then
re-checks the WHERE on the new row). The lease is timed by each process's clock; keep the machines'
clocks in sync (NTP), as for any lease.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, and_, case, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from newsletter.db.tables import scheduler_lock
from newsletter.scheduling.sql.store_extras import utc

L = scheduler_lock.c
NAME = "scheduler"


@dataclass(frozen=True)
class LeaseHolder:
    holder: str | None
    lease_until: dt.datetime | None
    acquired_at: dt.datetime | None


class SchedulerLease:
    def __init__(self, engine: Engine, holder: str, lease: dt.timedelta) -> None:
        self.engine, self.holder, self.lease = engine, holder, lease

    def try_acquire(self, now: dt.datetime) -> bool:
        """Take the lease if it is free, expired, or already ours; True if we hold it now."""
        now = utc(now)
        with self.engine.begin() as conn:
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            conn.execute(dialect.insert(scheduler_lock).values(name=NAME).on_conflict_do_nothing())
            taken = conn.execute(
                update(scheduler_lock)
                .where(
                    L.name == NAME,
                    or_(L.holder.is_(None), L.holder == self.holder, L.lease_until < now),
                )
                .values(
                    holder=self.holder,
                    lease_until=now + self.lease,
                    heartbeat_at=now,
                    acquired_at=case((L.holder == self.holder, L.acquired_at), else_=now),
                )
            ).rowcount
        return taken == 1

    def renew(self, now: dt.datetime) -> bool:
        """Extend our lease; False means another process took it over: stop at once."""
        now = utc(now)
        with self.engine.begin() as conn:
            kept = conn.execute(
                update(scheduler_lock)
                .where(and_(L.name == NAME, L.holder == self.holder))
                .values(lease_until=now + self.lease, heartbeat_at=now)
            ).rowcount
        return kept == 1

    def release(self) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(scheduler_lock)
                .where(L.name == NAME, L.holder == self.holder)
                .values(holder=None, lease_until=None)
            )

    def current(self) -> LeaseHolder:
        with self.engine.connect() as conn:
            row = conn.execute(select(scheduler_lock).where(L.name == NAME)).first()
        if row is None:
            return LeaseHolder(None, None, None)
        until = utc(row.lease_until) if row.lease_until else None
        since = utc(row.acquired_at) if row.acquired_at else None
        return LeaseHolder(row.holder, until, since)
