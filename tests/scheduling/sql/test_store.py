"""The schedule store and the scheduler lease, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import replace

import pytest
from sqlalchemy import Engine, func, select

from newsletter.db.tables import schedules
from newsletter.scheduling.domain.recurrence import Recurrence
from newsletter.scheduling.domain.reminders import MilestonePoint
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


def test_save_inserts_updates_pending_and_never_overwrites_what_went_out(
    store: SqlScheduleStore,
) -> None:
    [first] = store.save([row("a", T0)], now=T0)
    assert first.id is not None and first.attempt_at == T0 and first.due_at.tzinfo is not None
    [moved] = store.save([row("a", T0 + MIN)], now=T0)
    assert moved.id == first.id and moved.due_at == T0 + MIN
    claimed = store.claim(first.id, "me", now=T0 + 2 * MIN, until=T0 + 10 * MIN)
    assert claimed is not None and claimed.state is S.SENDING
    assert store.finish(replace(claimed, state=S.SENT, attempt_at=None), "me", now=T0 + 3 * MIN)
    [kept] = store.save([row("a", T0 + 60 * MIN)], now=T0)
    assert kept.state is S.SENT and kept.due_at == T0 + MIN  # a new plan left it alone


def test_one_claim_wins_and_a_dead_claimers_row_is_taken_over(store: SqlScheduleStore) -> None:
    [entry] = store.save([row("a", T0)], now=T0)
    assert entry.id is not None
    assert store.due(T0 - MIN) == []
    assert store.claim(entry.id, "one", now=T0, until=T0 + 5 * MIN) is not None
    assert store.claim(entry.id, "two", now=T0, until=T0 + 5 * MIN) is None
    assert store.due(T0 + MIN) == []  # claimed and the claim is live
    assert store.next_attempt() == T0 + 5 * MIN  # when the claim runs out
    # "one" dies; after its claim runs out the row is due again, seen as it was before.
    [again] = store.due(T0 + 6 * MIN)
    assert again.state is S.SCHEDULED and again.fired_at == T0
    assert store.claim(entry.id, "two", now=T0 + 6 * MIN, until=T0 + 9 * MIN) is not None
    assert not store.finish(replace(again, state=S.SENT), "one", now=T0 + 7 * MIN)  # fenced off
    assert store.finish(replace(again, state=S.SENT, attempt_at=None), "two", now=T0 + 7 * MIN)
    assert store.next_attempt() is None


def test_a_new_leader_takes_over_rows_left_sending(store: SqlScheduleStore) -> None:
    a, b = store.save([row("a", T0), row("b", T0, state=S.SENT, attempt_at=T0)], now=T0)
    assert a.id is not None and b.id is not None
    store.claim(a.id, "old", now=T0, until=T0 + 60 * MIN)
    store.claim(b.id, "old", now=T0, until=T0 + 60 * MIN)
    assert store.take_over("new", now=T0 + MIN) == 2
    states = {e.step: e.state for e in store.entries()}
    assert states == {"a": S.SCHEDULED, "b": S.SENT}  # a catch-up stays a catch-up
    assert {e.step for e in store.due(T0 + MIN)} == {"a", "b"}


def test_concurrent_dispatchers_claim_each_row_exactly_once(store: SqlScheduleStore) -> None:
    stored = store.save([row(f"s{i}", T0) for i in range(60)], now=T0)
    won: dict[str, list[int]] = {}

    def work(name: str) -> None:
        mine = won.setdefault(name, [])
        for entry in stored:
            assert entry.id is not None
            if store.claim(entry.id, name, now=T0, until=T0 + 5 * MIN) is not None:
                mine.append(entry.id)

    threads = [threading.Thread(target=work, args=(f"d{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    claimed = [i for ids in won.values() for i in ids]
    assert sorted(claimed) == sorted(e.id for e in stored if e.id is not None)


def test_pause_resume_cancel(store: SqlScheduleStore, engine: Engine) -> None:
    store.save([row("a", T0), row("b", T0 + MIN)], now=T0)
    assert (
        store.change_state("doc", from_states=[S.SCHEDULED], to=S.PAUSED, reason="p", now=T0) == 2
    )
    assert store.next_attempt() is None and store.due(T0 + 9 * MIN) == []
    resumed = store.change_state("doc", from_states=[S.PAUSED], to=S.SCHEDULED, reason="", now=T0)
    assert resumed == 2
    assert store.next_attempt() == T0
    n = store.change_state(
        "doc", from_states=[S.SCHEDULED], to=S.CANCELLED, reason="staff", now=T0, step="b"
    )
    assert n == 1
    with engine.connect() as conn:
        cancelled = conn.execute(
            select(func.count()).where(
                schedules.c.state == "cancelled", schedules.c.attempt_at.is_(None)
            )
        ).scalar_one()
    assert cancelled == 1


def test_milestones_and_recurrences_round_trip(store: SqlScheduleStore) -> None:
    point = MilestonePoint("early_bird", T0, "Europe/Bucharest", 0)
    store.save_milestone("doc", point, now=T0)
    store.save_milestone("doc", MilestonePoint("early_bird", T0 + MIN, "Europe/Sofia", 1), now=T0)
    assert store.milestones("doc") == {
        "early_bird": MilestonePoint("early_bird", T0 + MIN, "Europe/Sofia", 1)
    }
    digest = Recurrence("digest", "digest-{date:%Y-%m}", "0 10 * * mon#1", "Europe/Belgrade")
    store.save_recurrence(digest, now=T0)
    assert store.recurrences() == [digest]
    assert store.delete_recurrence("digest") and not store.delete_recurrence("digest")


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
