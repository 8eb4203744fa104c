"""Scheduler benchmark: 10,000 pending reminder steps across 500 campaigns, on SQLite.

    .venv/bin/python benchmarks/scheduling.py [--campaigns 500] [--steps 20] [--due 1000]
        [--window 60]

Both approaches run the real APScheduler 3.x (``BackgroundScheduler``, ``SQLAlchemyJobStore``
in the same SQLite file as the schedule) in real time, each on its own fresh database:

- **ours** (``scheduling/leader.py``): the schedule table is the truth; at start the leader
  takes the lease, frees rows a dead leader left, and derives three jobs (a wake-up at the
  earliest due time, a sweep, a heartbeat). Each wake-up runs ``dispatch_due``: per step a
  claim, the staleness/milestone decision, the skip-segment and daily-cap exclusions (real
  SQL), the send, and the outcome.
- **obvious**: one APScheduler ``DateTrigger`` job per pending step, added at start with an
  explicit id and ``replace_existing=True`` (the way to "derive jobs from the database" when
  each step is a job); each job claims its row, sends and writes the outcome.

The send is a null transport in both (it records the moment it was called), so the figures
are the scheduler's own. Start-up = from "this process may lead" to "ready to fire". Lateness
= send start minus due time, for ``--due`` steps that come due during a ``--window``-second
run: 60 % at random instants, 40 % in bursts of 50 at the same second (many campaigns' 09:00).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import logging
import platform
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "src"), str(REPO)]

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore  # noqa: E402
from apscheduler.schedulers.background import BackgroundScheduler  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from newsletter.audiences.domain.segments import Segment  # noqa: E402
from newsletter.bootstrap import build_app, build_scheduling  # noqa: E402
from newsletter.config import load_settings  # noqa: E402
from newsletter.content.domain.campaigns import CampaignDefinition  # noqa: E402
from newsletter.core.clock import SystemClock  # noqa: E402
from newsletter.db.tables import schedules  # noqa: E402
from newsletter.delivery.ports import DeliveryServices  # noqa: E402
from newsletter.delivery.sending import SendReport  # noqa: E402
from newsletter.scheduling.domain.rules import ScheduleState  # noqa: E402
from newsletter.scheduling.leader import SchedulerRuntime  # noqa: E402
from newsletter.scheduling.milestones import ScheduledCatalog  # noqa: E402
from newsletter.scheduling.ports import Scheduling  # noqa: E402
from newsletter.scheduling.sql.leader_lease import SchedulerLease  # noqa: E402
from newsletter.scheduling.sql.store import SqlScheduleStore  # noqa: E402

UTC = dt.UTC
EVERYONE = Segment(name="everyone", topic="news")
FIRED: dict[str, float] = {}  # "campaign/step" -> wall time the send began
_STORE: dict[str, Any] = {}


class MemoryCatalog:
    """500 generated campaigns of 20 reminder steps each, without files."""

    def __init__(self, campaigns: int, steps: int) -> None:
        template = CampaignDefinition.model_validate(
            {
                "slug": "bench-000",
                "kind": "letter",
                "title": "Benchmark",
                "audience": "everyone",
                "topic": "news",
                "template": "letter.mjml.j2",
                "subject": {"en": "s"},
                "preheader": {"en": "p"},
                "content": {"sections": [{"paragraphs": {"en": ["x"]}}]},
                # One milestone per step: the steps do not supersede each other when due
                # together, so every due step is a send to measure.
                "milestones": {
                    f"m{i:02d}": {"at": "2099-01-01T09:00:00", "timezone": "Europe/Sofia"}
                    for i in range(steps)
                },
                "reminders": [
                    {
                        "key": f"r{i:02d}",
                        "milestone": f"m{i:02d}",
                        "before": f"P{i + 1}D",
                        "template": "letter.mjml.j2",
                        "subject": {"en": "s"},
                        "preheader": {"en": "p"},
                    }
                    for i in range(steps)
                ],
            }
        )
        self.by_slug = {
            f"bench-{n:03d}": template.model_copy(update={"slug": f"bench-{n:03d}"})
            for n in range(campaigns)
        }

    def campaign(self, ref: str) -> tuple[CampaignDefinition, Path]:
        return self.by_slug[ref], Path(f"{ref}.yaml")

    def template(self, name: str) -> str:
        raise KeyError(name)

    def ui_strings(self) -> dict[str, dict[str, str]]:
        return {}

    def segments(self) -> dict[str, Segment]:
        return {"everyone": EVERYONE}

    def segment(self, name: str) -> Segment:
        return EVERYONE

    def campaign_paths(self) -> Iterator[Path]:
        return iter(())


def null_send(ctx: DeliveryServices, campaign: str, step: str, only: object) -> SendReport:
    FIRED[f"{campaign}/{step}"] = time.time()
    return SendReport(campaign, step, "null")


def setup(
    folder: Path, args: argparse.Namespace, start: float
) -> tuple[Scheduling, dict[str, float]]:
    """A fresh database with campaigns x steps pending rows; returns the due times chosen."""
    settings = load_settings(
        REPO / "config.yaml",
        database={"url": f"sqlite:///{folder / 'bench.db'}"},
        paths={"var": str(folder)},
    )
    app = build_app(settings, clock=SystemClock())
    _STORE["app"] = app  # closed by the run
    memory = MemoryCatalog(args.campaigns, args.steps)
    store = SqlScheduleStore(app.delivery.catalog.store.engine)  # type: ignore[attr-defined]
    ctx = dataclasses.replace(app.delivery, catalog=ScheduledCatalog(memory, store))
    sched = build_scheduling(settings, ctx)
    rng = random.Random(2015)
    keys = [(slug, f"r{i:02d}") for slug in memory.by_slug for i in range(args.steps)]
    due_keys = rng.sample(keys, args.due)
    due: dict[str, float] = {}
    bursts = int(args.due * 0.4) // 50
    for n, (slug, step) in enumerate(due_keys):
        if n < bursts * 50:  # 50 steps due at the very same second
            at = start + args.window * (n // 50 + 1) / (bursts + 1)
        else:
            at = start + rng.uniform(0, args.window)
        due[f"{slug}/{step}"] = round(at, 3)
    far = dt.datetime(2098, 12, 1, tzinfo=UTC)
    now = dt.datetime.now(UTC)
    rows = []
    for slug, step in keys:
        at = due.get(f"{slug}/{step}")
        when = dt.datetime.fromtimestamp(at, UTC) if at else far + dt.timedelta(minutes=len(rows))
        rows.append(
            {
                "campaign": slug, "step": step, "zone_group": "", "kind": "reminder",
                "due_at": when, "zone": "Europe/Sofia", "milestone": f"m{step[1:]}",
                "milestone_version": 0, "expires_at": dt.datetime(2099, 1, 1, 7, tzinfo=UTC),
                "state": "scheduled", "reason": "", "attempt_at": when,
                "created_at": now, "updated_at": now,
            }
        )  # fmt: skip
    with store.engine.begin() as conn:
        conn.execute(insert(schedules), rows)
    return sched, due


def lateness(due: dict[str, float]) -> dict[str, float]:
    late = sorted(FIRED[k] - t for k, t in due.items() if k in FIRED)
    if not late:
        return {"fired": 0}
    return {
        "fired": len(late),
        "p50_ms": 1000 * statistics.median(late),
        "p99_ms": 1000 * late[min(len(late) - 1, int(len(late) * 0.99))],
        "max_ms": 1000 * late[-1],
    }


def run_ours(folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    FIRED.clear()
    sched, due = setup(folder, args, time.time() + 8)
    engine = sched.store.engine  # type: ignore[attr-defined]
    lease = SchedulerLease(engine, "bench", dt.timedelta(seconds=30))
    began = time.perf_counter()
    assert lease.try_acquire(dt.datetime.now(UTC))
    runtime = SchedulerRuntime(
        sched, engine, lease, clock=SystemClock(), sweep_seconds=10, on_lost=lambda: None,
        send=null_send,
    )  # fmt: skip
    runtime.start()
    startup = time.perf_counter() - began
    wait_until(max(due.values()) + 2, lambda: len(FIRED) >= len(due))
    runtime.stop()
    restart_began = time.perf_counter()
    assert lease.try_acquire(dt.datetime.now(UTC))
    runtime.start()
    restart = time.perf_counter() - restart_began
    runtime.stop()
    sent = [e for e in sched.store.entries() if e.state is ScheduleState.SENT]
    _STORE["app"].close()
    return {"startup_s": startup, "restart_s": restart, "rows_sent": len(sent), **lateness(due)}


def fire_step(entry_id: int, key: str) -> None:
    """The obvious approach's job: claim the row, send, record the outcome."""
    store: SqlScheduleStore = _STORE["store"]
    now = dt.datetime.now(UTC)
    claimed = store.claim(entry_id, "obvious", now=now, until=now + dt.timedelta(minutes=30))
    if claimed is None:
        return
    campaign, step = key.split("/")
    null_send(_STORE["ctx"], campaign, step, None)
    store.finish(
        claimed.but(state=ScheduleState.SENT, attempt_at=None, fired_at=now), "obvious", now=now
    )


def run_obvious(folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    FIRED.clear()
    sched, due = setup(folder, args, time.time() + 40)
    store = sched.store
    assert isinstance(store, SqlScheduleStore)
    _STORE.update(store=store, ctx=sched.ctx)

    def start() -> tuple[BackgroundScheduler, float]:
        began = time.perf_counter()
        pending = [e for e in store.entries() if e.state is ScheduleState.SCHEDULED]
        scheduler = BackgroundScheduler(
            timezone=UTC,
            jobstores={
                "default": SQLAlchemyJobStore(engine=store.engine, tablename="scheduler_jobs")
            },
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        scheduler.start(paused=True)
        for entry in pending:
            scheduler.add_job(
                fire_step, "date", run_date=entry.due_at, id=f"step-{entry.id}",
                args=[entry.id, f"{entry.campaign}/{entry.step}"], replace_existing=True,
            )  # fmt: skip
        scheduler.resume()
        return scheduler, time.perf_counter() - began

    scheduler, startup = start()
    if min(due.values()) < time.time():
        print(f"  note: start-up took {startup:.0f} s, longer than the 40 s before the first due")
    wait_until(max(due.values()) + 2, lambda: len(FIRED) >= len(due))
    scheduler.shutdown()
    scheduler, restart = start()  # every restart re-derives (replaces) every job
    scheduler.shutdown()
    _STORE["app"].close()
    return {"startup_s": startup, "restart_s": restart, **lateness(due)}


def wait_until(deadline: float, done: Any) -> None:
    while time.time() < deadline + 30 and not done():
        time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--campaigns", type=int, default=500)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--due", type=int, default=1000)
    parser.add_argument("--window", type=float, default=60)
    parser.add_argument("--only", choices=["ours", "obvious"], help="Run one approach.")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("newsletter.scheduler").setLevel(logging.WARNING)
    print(
        f"{args.campaigns * args.steps} pending reminder steps ({args.campaigns} campaigns x "
        f"{args.steps}), {args.due} of them due within {args.window:.0f} s; SQLite; "
        f"Python {platform.python_version()}, {platform.machine()}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        if args.only != "obvious":
            print_row("ours (3 derived jobs)", run_ours(Path(tmp) / "ours", args))
        if args.only != "ours":
            print_row("obvious (1 job per step)", run_obvious(Path(tmp) / "obvious", args))


def print_row(name: str, r: dict[str, Any]) -> None:
    print(
        f"{name:28s} start-up {r['startup_s']:7.3f} s  restart {r['restart_s']:7.3f} s  "
        f"fired {r.get('fired', 0)}  lateness p50 {r.get('p50_ms', 0):7.1f} ms  "
        f"p99 {r.get('p99_ms', 0):7.1f} ms  max {r.get('max_ms', 0):7.1f} ms"
    )


if __name__ == "__main__":
    threading.current_thread().name = "benchmark"
    main()
