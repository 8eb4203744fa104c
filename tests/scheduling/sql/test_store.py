"""The schedule store and the scheduler lease, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import Engine

from newsletter.scheduling.domain.rules import ScheduleEntry, ScheduleKind, ScheduleState
from newsletter.scheduling.sql.leader_lease import SchedulerLease
from newsletter.scheduling.sql.store import SqlScheduleStore

S = ScheduleState
T0 = dt.datetime(2015, 9, 1, 7, 0, tzinfo=dt.UTC)
MIN = dt.timedelta(minutes=1)


@pytest.fixture
def store(engine: Engine) -> SqlScheduleStore:
    return SqlScheduleStore(engine)


def row(step: str, due: dt.datetime, **kw: object) -> ScheduleEntry:
    return ScheduleEntry("doc", step, ScheduleKind.REMINDER, due, "Europe/Bucharest", **kw)  # type: ignore[arg-type]


def test_one_lease_holder_at_a_time(engine: Engine) -> None:
    lease = dt.timedelta(seconds=30)
    a, b = SchedulerLease(engine, "a", lease), SchedulerLease(engine, "b", lease)
    assert a.try_acquire(T0)
    assert not b.try_acquire(T0 + dt.timedelta(seconds=10))
    assert a.renew(T0 + dt.timedelta(seconds=20))  # lease now until T0+50s
    assert not b.try_acquire(T0 + dt.timedelta(seconds=45))
    assert b.try_acquire(T0 + dt.timedelta(seconds=51))  # a stopped renewing: b takes over
    assert not a.renew(T0 + dt.timedelta(seconds=52))  # a learns it lost and must stop
    assert b.current().holder == "b"
    b.release()
    assert a.try_acquire(T0 + dt.timedelta(seconds=53))


def test_schedulers_started_together_elect_exactly_one(engine: Engine) -> None:
    leases = [SchedulerLease(engine, f"s{i}", dt.timedelta(seconds=30)) for i in range(6)]
    won: list[str] = []
    start = threading.Barrier(len(leases))

    def race(lease: SchedulerLease) -> None:
        start.wait()
        if lease.try_acquire(T0):
            won.append(lease.holder)

    threads = [threading.Thread(target=race, args=(lease,)) for lease in leases]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 1
    assert leases[0].current().holder == won[0]
