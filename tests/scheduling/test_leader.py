"""The APScheduler adapter: jobs derived from the database, explicit misfire policy per kind,
one job per id across restarts, the lease; and the installed APScheduler's cron behaviour,
pinned so an upgrade that changes it is noticed."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import func, select

from newsletter.bootstrap import build_scheduling
from newsletter.config import Settings
from newsletter.core.clock import VirtualClock
from newsletter.db.tables import scheduler_jobs
from newsletter.delivery.sending import SendReport
from newsletter.scheduling.domain.recurrence import CronRule
from newsletter.scheduling.domain.rules import ScheduleEntry, ScheduleKind
from newsletter.scheduling.leader import DISPATCH, HEARTBEAT, SWEEP, SchedulerRuntime, run_job
from newsletter.scheduling.ports import Scheduling
from newsletter.scheduling.sql.leader_lease import SchedulerLease
from tests.services import Services, services

UTC = dt.UTC
NOW = dt.datetime(2015, 9, 1, 7, 0, tzinfo=UTC)
FAR = dt.datetime(2099, 1, 5, 8, 0, tzinfo=UTC)  # real time never reaches it in a test


@pytest.fixture
def sched(settings: Settings, project: Path) -> Iterator[Scheduling]:
    built = build_scheduling(settings, services(settings, clock=VirtualClock(NOW)))
    yield built
    built.ctx.close()


def runtime(sched: Scheduling, holder: str, lost: list[str] | None = None) -> SchedulerRuntime:
    engine = sched.store.engine  # type: ignore[attr-defined]
    lease = SchedulerLease(engine, holder, dt.timedelta(seconds=30))
    assert lease.try_acquire(sched.ctx.clock.now())
    return SchedulerRuntime(
        sched,
        engine,
        lease,
        clock=sched.ctx.clock,
        sweep_seconds=10,
        on_lost=lambda: (lost if lost is not None else []).append(holder),
    )


def stored_jobs(sched: Scheduling) -> int:
    with sched.store.engine.connect() as conn:  # type: ignore[attr-defined]
        return int(conn.execute(select(func.count()).select_from(scheduler_jobs)).scalar_one())


def test_jobs_are_derived_from_the_database_with_an_explicit_misfire_policy(
    sched: Scheduling,
) -> None:
    entry = ScheduleEntry("x", "main", ScheduleKind.SEND, FAR, "Europe/Belgrade")
    sched.store.save([entry], now=NOW)
    for restart in range(3):  # restarting leaves exactly one job per id
        rt = runtime(sched, f"run{restart}")
        rt.start()
        try:
            assert rt.scheduler is not None
            jobs = {job.id: job for job in rt.scheduler.get_jobs()}
            assert set(jobs) == {DISPATCH, SWEEP, HEARTBEAT}
            assert jobs[DISPATCH].next_run_time == FAR
            # Never APScheduler's 1-second default: a late wake-up still dispatches, and the
            # domain decides what may go out; the periodic jobs may be as late as one period.
            assert jobs[DISPATCH].misfire_grace_time is None
            assert jobs[SWEEP].misfire_grace_time == 10
            assert jobs[HEARTBEAT].misfire_grace_time == 10
            assert all(job.coalesce and job.max_instances == 1 for job in jobs.values())
            assert jobs[DISPATCH].args == (f"run{restart}", DISPATCH)
            assert stored_jobs(sched) == 3  # persisted in the same database
        finally:
            rt.stop()


def test_a_due_row_is_dispatched_and_the_wake_up_moves_to_the_next(
    sched: Scheduling, project: Path
) -> None:
    sched.store.save(
        [
            ScheduleEntry("missing-campaign", "main", ScheduleKind.SEND, NOW, "Europe/Belgrade"),
            ScheduleEntry("later", "main", ScheduleKind.SEND, FAR, "Europe/Belgrade"),
        ],
        now=NOW,
    )
    rt = runtime(sched, "leader")
    rt.start()
    try:
        run_job("leader", DISPATCH)  # what the date job does when it fires
        first, _ = sched.store.entries()
        assert first.state.value == "skipped" and "campaign not available" in first.reason
        assert rt.scheduler is not None and rt.scheduler.get_job(DISPATCH).next_run_time == FAR
        run_job("someone-else", DISPATCH)  # a job left by an earlier process does nothing
    finally:
        rt.stop()


def test_a_scheduler_that_lost_its_lease_stops_at_once(sched: Scheduling) -> None:
    lost: list[str] = []
    rt = runtime(sched, "old", lost)
    rt.start()
    try:
        clock = sched.ctx.clock
        assert isinstance(clock, VirtualClock)
        clock.set(NOW + dt.timedelta(seconds=31))  # the lease ran out without renewal...
        other = SchedulerLease(rt.engine, "new", dt.timedelta(seconds=30))
        assert other.try_acquire(clock.now())  # ...and another process took it
        run_job("old", HEARTBEAT)
        assert lost == ["old"] and not rt.leading
    finally:
        rt.stop()


def test_stopping_while_a_dispatch_is_sending_finishes_that_send_then_stops(
    sched: Scheduling,
) -> None:
    """SIGTERM in the middle of a send: APScheduler's shutdown waits for the dispatch while
    holding its job-store lock, and the dispatch re-arms its wake-up when the send returns.
    Both must finish (a CI run once waited 60 s for a scheduler that never did)."""
    due = ScheduleEntry("days-of-clusters-2015", "main", ScheduleKind.SEND, NOW, "UTC")
    later = ScheduleEntry("later", "main", ScheduleKind.SEND, FAR, "UTC")  # to re-arm for
    sched.store.save([due, later], now=NOW)
    sending, release = threading.Event(), threading.Event()

    def slow_send(_ctx: Services, campaign: str, step: str, _only: object) -> SendReport:
        sending.set()
        assert release.wait(30)
        return SendReport(campaign, step, "outbox", sent=1)

    rt = runtime(sched, "leader")
    rt.send = slow_send
    rt.start()  # the row is due (2015): the wake-up fires at once, in APScheduler's thread
    assert sending.wait(30), "the dispatch never started"
    stopper = threading.Thread(target=rt.stop, daemon=True)
    stopper.start()
    time.sleep(0.3)  # let shutdown take the job-store lock and wait for the running job
    release.set()
    stopper.join(30)
    assert not stopper.is_alive(), "stop() never returned: shutdown and the dispatch deadlocked"
    assert not rt.leading
    sent, waiting = sched.store.entries()
    assert (sent.campaign, sent.state.value) == ("days-of-clusters-2015", "sent")
    assert waiting.state.value == "scheduled"  # the send in progress was finished and recorded


# -- the installed APScheduler's cron behaviour -------------------------------------------------


def test_apscheduler_3_counts_day_of_week_zero_as_monday() -> None:
    """Why we never hand APScheduler crontab day numbers (agronholm/apscheduler#286)."""
    trigger = CronTrigger.from_crontab("0 9 * * 0", timezone=ZoneInfo("Europe/Belgrade"))
    fire = trigger.get_next_fire_time(None, dt.datetime(2026, 1, 1, tzinfo=UTC))
    assert fire is not None and fire.strftime("%a") == "Mon"  # crontab means Sunday
    ours = CronRule.parse("0 9 * * 0").next_after(dt.datetime(2026, 1, 1, tzinfo=UTC), "UTC")
    assert ours.strftime("%a") == "Sun"


@pytest.mark.parametrize(
    "rule",
    ["0 9 * * 0", "0 9 * * 1-5", "30 8 * * sat,sun", "0 10 * * mon#1", "15 7 1,15 * *"],
)
def test_our_rules_and_apscheduler_agree_away_from_dst_changes(rule: str) -> None:
    zone = "Europe/Belgrade"
    fields = CronRule.parse(rule).apscheduler_fields()
    assert fields is not None
    trigger = CronTrigger(timezone=ZoneInfo(zone), **fields)
    start = dt.datetime(2026, 4, 1, tzinfo=UTC)  # April-September: no change in between
    theirs, ours = [], []
    prev, t = None, start
    for _ in range(12):
        fire = trigger.get_next_fire_time(prev, prev or start)
        assert fire is not None
        theirs.append(fire.astimezone(UTC))
        prev = fire.astimezone(UTC) + dt.timedelta(seconds=1)
        t = CronRule.parse(rule).next_after(t, zone)
        ours.append(t)
    assert ours == theirs


def test_apscheduler_fires_twice_in_the_autumn_fold_and_we_fire_once() -> None:
    """Against the installed version: CronTrigger runs 03:30 Sofia at 00:30 and 01:30
    UTC on 2025-10-26; our rule runs once. If APScheduler changes, this test says so."""
    zone = ZoneInfo("Europe/Sofia")
    trigger = CronTrigger(hour=3, minute=30, timezone=zone)
    day_start = dt.datetime(2025, 10, 25, 21, 0, tzinfo=UTC)  # local midnight
    fires, prev = [], None
    now = day_start
    while True:
        fire = trigger.get_next_fire_time(prev, now)
        assert fire is not None
        if fire.astimezone(zone).date() != dt.date(2025, 10, 26):
            break
        fires.append(fire.astimezone(UTC))
        # In UTC: wall-clock arithmetic on the fold=1 time would step back an hour.
        prev, now = fire, fire.astimezone(UTC) + dt.timedelta(seconds=1)
    assert len(fires) == 2
    ours = CronRule.parse("30 3 * * *").next_after(day_start, "Europe/Sofia")
    assert ours == dt.datetime(2025, 10, 26, 0, 30, tzinfo=UTC)
    assert CronRule.parse("30 3 * * *").next_after(ours, "Europe/Sofia").day == 27
