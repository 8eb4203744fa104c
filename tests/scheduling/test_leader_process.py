"""The real ``newsletter scheduler run``: SIGKILL at random moments and start again, then two
schedulers started together; nothing due is lost, nobody gets a step twice, one leads.

The rows are due when the processes start, so no test waits for a scheduled time: it polls
the database for progress (bounded) and kills the process when a random amount went out.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from newsletter.bootstrap import build_scheduling
from newsletter.core.clock import SystemClock
from newsletter.db.engine import make_engine
from newsletter.db.tables import campaigns, deliveries, schedules
from newsletter.scheduling.actions import schedule_campaign
from newsletter.scheduling.domain.calendar_rules import SendingRules
from tests.conftest import make_settings
from tests.scheduling.support import load_samples, outbox_recipients
from tests.services import services

CAMPAIGNS = ("days-of-clusters-2015", "interreg-ipa-bg-rs-first-call", "chairmans-letter")
pytestmark = pytest.mark.slow


def sent(engine: Engine) -> int:
    query = select(func.count()).where(deliveries.c.status == "sent")
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def all_sent(engine: Engine) -> bool:
    query = select(func.count()).where(schedules.c.state != "sent", schedules.c.kind == "send")
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one()) == 0


def wait_for(check: object, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def tails(logs: Path) -> dict[str, str]:
    return {log.name: log.read_text()[-6000:] for log in sorted(logs.glob("*.log"))}


def test_sigkill_restart_and_two_schedulers(
    project: Path, database_url: str, request: pytest.FixtureRequest
) -> None:
    settings = make_settings(project, database={"url": database_url})
    ctx = services(settings, clock=SystemClock())
    load_samples(ctx, project)
    # No quiet hours or skipped days here: the rows must be due right now, whatever the day.
    sched = dataclasses.replace(build_scheduling(settings, ctx), rules=SendingRules.none())
    now = dt.datetime.now(dt.UTC)
    for slug in CAMPAIGNS:  # due now: the processes start sending at once
        schedule_campaign(
            sched, slug, at=now, zone="UTC", local_time=None, now=now, after_milestones=True
        )  # the samples' 2015 milestones are long past: confirmed
    ctx.close()
    engine = make_engine(settings.database_url)
    request.addfinalizer(engine.dispose)  # also when the test fails: no connection left open
    env = {
        **os.environ,
        "NEWSLETTER_DATABASE__URL": database_url,
        "NEWSLETTER_SCHEDULING__LEASE_SECONDS": "2",
        "NEWSLETTER_SCHEDULING__SWEEP_SECONDS": "0.5",
        "NEWSLETTER_DELIVERY__LEASE_SECONDS": "1",  # a killed sender's rows count as crashed
        "NEWSLETTER_DELIVERY__BATCH_SIZE": "20",
    }
    logs = project / "logs"
    logs.mkdir()

    started: list[subprocess.Popen[bytes]] = []

    def start(name: str) -> subprocess.Popen[bytes]:
        cmd = [sys.executable, "-m", "newsletter", "--config", str(project / "config.yaml")]
        with (logs / f"{name}.log").open("wb") as log:
            started.append(
                subprocess.Popen(
                    [*cmd, "scheduler", "run", "--id", name], env=env, stderr=log, stdout=log
                )
            )
        return started[-1]

    rng = random.Random(7)
    try:
        for round_ in range(3):  # kill -9 after a random amount of work
            target = sent(engine) + rng.randint(1, 250)
            proc = start(f"killed-{round_}")
            wait_for(lambda t=target: sent(engine) >= t or all_sent(engine), "progress")
            proc.kill()
            proc.wait()
        # Two schedulers started together finish the work: one leads, the other waits.
        pair = [start("twin-a"), start("twin-b")]
        wait_for(lambda: all_sent(engine), "every due step to go out")
        for proc in pair:
            proc.send_signal(signal.SIGTERM)  # graceful
        try:
            codes = [proc.wait(timeout=60) for proc in pair]
        except subprocess.TimeoutExpired as exc:  # say what the stuck process was doing
            for proc in pair:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGUSR1)  # faulthandler: every thread's stack
            time.sleep(2)
            raise AssertionError(tails(logs)) from exc
        assert codes == [0, 0], tails(logs)
    finally:
        for proc in started:  # whatever happened, no scheduler outlives the test
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    led = [
        name for name in ("twin-a", "twin-b") if "leading as" in (logs / f"{name}.log").read_text()
    ]
    assert len(led) == 1, [(logs / f"{n}.log").read_text()[-2000:] for n in ("twin-a", "twin-b")]
    other = "twin-b" if led == ["twin-a"] else "twin-a"
    assert "waiting: the scheduler lease is held by" in (logs / f"{other}.log").read_text()
    with engine.connect() as conn:
        rows = conn.execute(
            select(campaigns.c.slug, deliveries.c.status).join(
                campaigns, campaigns.c.id == deliveries.c.campaign_id
            )
        ).all()
    by_campaign: dict[str, Counter[str]] = {}
    for slug, status in rows:
        by_campaign.setdefault(slug, Counter())[status] += 1
    assert set(by_campaign) == set(CAMPAIGNS)
    for slug, counts in by_campaign.items():
        # Nothing lost: no row left pending; a row in flight at a kill is "unknown".
        assert set(counts) <= {"sent", "unknown"} and counts["sent"] > 0, (slug, counts)
        # Nothing twice: one file per recipient.
        got = outbox_recipients(project / "var" / "outbox" / slug / "main")
        assert set(got.values()) == {1}, slug
        assert counts["sent"] <= sum(got.values()) <= sum(counts.values())
