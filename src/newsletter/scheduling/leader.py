"""The scheduler process: APScheduler 3.x wakes the dispatcher; the database decides what is due.

APScheduler lives only in this module. Its persistent ``SQLAlchemyJobStore`` (table
``scheduler_jobs``, same database) holds three jobs, all derived from the database at start
with explicit ids and ``replace_existing=True``, so a restart leaves exactly one job per id:

- ``dispatch``: a one-shot wake-up at the earliest ``attempt_at`` of the schedule; it runs
  :func:`dispatch_due` and re-arms itself. ``misfire_grace_time=None``: a late wake-up still
  runs, and the domain (``decide``: staleness per kind, never after the milestone) says what
  may still go out — never APScheduler's 1-second default, which silently drops a missed job.
- ``sweep``: every ``sweep_seconds``, re-reads the earliest due time, so schedules written by
  other processes (the CLI, the web app) are picked up. Grace = its interval, coalesced.
- ``heartbeat``: renews the leadership lease; a failed renewal stops this scheduler at once.

One job per reminder step in the job store is the obvious alternative; start-up then costs one
pickled row per step and the job store and the schedule table can disagree (benchmarks/
scheduling.py compares both). Only the lease holder runs a scheduler: two schedulers on one
job store run jobs twice (APScheduler 3.x FAQ); others wait for the lease.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
from collections.abc import Callable

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from newsletter.core.clock import Clock
from newsletter.db.faults import database_fault, file_fault
from newsletter.scheduling.dispatch import SendStep, dispatch_due, send_step
from newsletter.scheduling.ports import Scheduling
from newsletter.scheduling.sql.leader_lease import SchedulerLease

log = logging.getLogger("newsletter.scheduler")
JOB_TABLE = "scheduler_jobs"
DISPATCH, SWEEP, HEARTBEAT = "dispatch", "sweep", "heartbeat"
_RUNTIMES: dict[str, SchedulerRuntime] = {}


def run_job(runtime: str, kind: str) -> None:
    """The callable every stored job names (module level: the job store pickles a reference,
    never a lambda or bound method: APScheduler 3.x user guide). Jobs left by an earlier process
    find no runtime and do nothing until start-up replaces them."""
    found = _RUNTIMES.get(runtime)
    if found is not None:
        found.on_job(kind)


class SchedulerRuntime:
    """One leader's APScheduler, started only while the lease is held."""

    def __init__(
        self,
        sched: Scheduling,
        engine: Engine,
        lease: SchedulerLease,
        *,
        clock: Clock,
        sweep_seconds: float,
        on_lost: Callable[[], None],
        send: SendStep = send_step,
    ) -> None:
        self.sched, self.engine, self.lease, self.clock = sched, engine, lease, clock
        self.sweep_seconds, self.on_lost = sweep_seconds, on_lost
        self.send = send  # the real send path; benchmarks measure the scheduler with a null one
        self.holder = lease.holder
        self.leading = False
        self._busy = threading.Lock()
        # APScheduler's shutdown(wait=True) holds its job-store lock while it waits for the
        # running jobs, and add_job/remove_job take that lock: a dispatch re-arming its wake-up
        # during shutdown would wait for shutdown, which waits for it (a SIGTERM that never
        # finished). Re-arming and "stop leading" are therefore serialised by this lock, and
        # nothing re-arms once we no longer lead.
        self._arming = threading.Lock()
        self._armed: dt.datetime | None = None
        self.scheduler: BackgroundScheduler | None = None

    def start(self) -> None:
        """Free what a dead leader left claimed, then derive the jobs from the database."""
        self.leading = True
        freed = self.sched.store.take_over(self.holder, now=self.clock.now())
        if freed:
            log.warning("took over %d schedule row(s) a previous scheduler left in progress", freed)
        _RUNTIMES[self.holder] = self
        scheduler = BackgroundScheduler(
            timezone=dt.UTC,
            jobstores={"default": SQLAlchemyJobStore(engine=self.engine, tablename=JOB_TABLE)},
            executors={"default": ThreadPoolExecutor(max_workers=3)},
            # Explicit defaults (the library's misfire grace is 1 s); every job sets its own anyway.
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
        )
        scheduler.start(paused=True)  # jobs of an earlier process are replaced before any runs
        self.scheduler = scheduler
        every = max(1.0, self.lease.lease.total_seconds() / 3)
        self._add(HEARTBEAT, "interval", seconds=every, misfire_grace_time=int(every))
        self._add(
            SWEEP,
            "interval",
            seconds=self.sweep_seconds,
            misfire_grace_time=int(self.sweep_seconds) or 1,
        )
        self._armed = None
        self._arm(self.sched.store.next_attempt(), force=True)
        scheduler.resume()
        log.info("leading as %s; next due %s", self.holder, self._armed or "nothing")

    def stop(self, *, wait: bool = True) -> None:
        """Graceful: a dispatch in progress finishes (its rows are committed), then we let go."""
        with self._arming:  # after this no job touches the job store (see __init__)
            self.leading = False
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=wait)
        _RUNTIMES.pop(self.holder, None)
        self.lease.release()

    def on_job(self, kind: str) -> None:
        try:
            if kind == HEARTBEAT:
                if not self.lease.renew(self.clock.now()):
                    log.error("lost the scheduler lease to another process: stopping")
                    self.leading = False
                    self.on_lost()
                return
            if kind == SWEEP:
                nxt = self.sched.store.next_attempt()
                if nxt is not None and nxt <= self.clock.now():
                    self.dispatch()
                else:
                    self._arm(nxt)
                return
            self.dispatch()
        except DBAPIError as exc:  # an operational fault: one line, the sweep retries
            log.error("scheduler job %s failed: %s; the sweep retries", kind, database_fault(exc))
        except OSError as exc:
            log.error("scheduler job %s failed: %s; the sweep retries", kind, file_fault(exc))
        except Exception:  # a job must never kill the scheduler thread
            log.exception("scheduler job %s failed; the sweep retries", kind)

    def dispatch(self) -> None:
        """Run everything due, again while more became due meanwhile, then re-arm."""
        if not self._busy.acquire(blocking=False):
            return  # another thread is dispatching; it re-arms when done
        self._armed = None  # a fired date job is gone from the store: always re-arm
        try:
            for _ in range(1000):  # bounded: a row that stays due cannot spin us forever
                if not self.leading:
                    return
                tick = dispatch_due(
                    self.sched, self.clock.now(), holder=self.holder, send=self.send
                )
                for fired in tick.fired:
                    log.info(
                        "%s %s/%s%s: %s %s",
                        fired.kind,
                        fired.campaign,
                        fired.step,
                        f" [{fired.zone_group}]" if fired.zone_group else "",
                        fired.outcome,
                        f"({fired.sent} sent) {fired.reason}".strip()
                        if fired.outcome in ("sent", "catch-up")
                        else fired.reason,
                    )
                nxt = self.sched.store.next_attempt()
                if nxt is None or nxt > self.clock.now():
                    break
            self._arm(self.sched.store.next_attempt())
        finally:
            self._busy.release()

    def _arm(self, at: dt.datetime | None, *, force: bool = False) -> None:
        with self._arming:
            if not self.leading or (at == self._armed and not force):
                return
            assert self.scheduler is not None
            self._armed = at
            if at is None:
                with contextlib.suppress(JobLookupError):  # it may have fired and gone already
                    self.scheduler.remove_job(DISPATCH)
                return
            self._add(DISPATCH, "date", run_date=at, misfire_grace_time=None)

    def _add(self, job_id: str, trigger: str, **options: object) -> None:
        assert self.scheduler is not None
        self.scheduler.add_job(
            run_job,
            trigger,
            args=[self.holder, job_id],
            id=job_id,
            name=f"newsletter {job_id}",
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            **options,
        )


class SchedulerProcess:
    """Wait for the lease, lead until told to stop or until the lease is lost, repeat."""

    def __init__(
        self,
        make_runtime: Callable[[Callable[[], None]], SchedulerRuntime],
        lease: SchedulerLease,
        clock: Clock,
    ) -> None:
        self.make_runtime, self.lease, self.clock = make_runtime, lease, clock
        self.stopping = threading.Event()
        self._lost = threading.Event()
        self.thread: threading.Thread | None = None

    def run(self) -> None:
        poll = max(0.5, self.lease.lease.total_seconds() / 3)
        while not self.stopping.is_set():
            if not self.lease.try_acquire(self.clock.now()):
                held = self.lease.current()
                log.info(
                    "waiting: the scheduler lease is held by %s until %s",
                    held.holder,
                    held.lease_until,
                )
                self.stopping.wait(poll)
                continue
            self._lost.clear()
            runtime = self.make_runtime(self._lost.set)
            runtime.start()
            while not self.stopping.is_set() and not self._lost.is_set():
                self.stopping.wait(0.5)
            runtime.stop(wait=True)
            log.info("stopped leading (%s)", "shutdown" if self.stopping.is_set() else "lease lost")

    def start_background(self) -> SchedulerProcess:
        self.thread = threading.Thread(target=self.run, name="newsletter-scheduler", daemon=True)
        self.thread.start()
        return self

    def stop(self, timeout: float | None = 60) -> None:
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(timeout)
