"""Kill the scheduler leader mid-send (SIGKILL, a real process) and start another at once: the
next leader finishes every row of the step - the dead leader's claimed rows are released at
once (its process is provably gone), not left ``sending`` until a lease that is longer than
this whole test - and only rows whose request had started may end ``unknown``."""

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
from newsletter.db.tables import deliveries, schedules
from newsletter.scheduling.actions import schedule_campaign
from newsletter.scheduling.domain.calendar_rules import SendingRules
from tests.conftest import make_settings
from tests.scheduling.support import load_samples, outbox_recipients
from tests.services import services

CAMPAIGN = "days-of-clusters-2015"
DELIVERY_LEASE = 300.0  # longer than the test: nothing here may wait for it
pytestmark = pytest.mark.slow


def _rows(engine: Engine) -> dict[int, tuple[str, bool]]:
    query = select(deliveries.c.id, deliveries.c.status, deliveries.c.request_started_at)
    with engine.connect() as conn:
        return {int(i): (str(s), t is not None) for i, s, t in conn.execute(query).all()}


def _step_done(engine: Engine) -> bool:
    with engine.connect() as conn:
        open_steps = conn.execute(
            select(func.count()).where(schedules.c.state != "sent", schedules.c.kind == "send")
        ).scalar_one()
        busy = conn.execute(
            select(func.count()).where(deliveries.c.status.in_(("pending", "sending")))
        ).scalar_one()
        total = conn.execute(select(func.count()).select_from(deliveries)).scalar_one()
    return open_steps == 0 and busy == 0 and total > 0


def _wait(check: object, what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


@pytest.mark.parametrize("seed", [3])
def test_next_leader_finishes_a_killed_leaders_step_at_once(
    project: Path, database_url: str, request: pytest.FixtureRequest, seed: int
) -> None:
    settings = make_settings(project, database={"url": database_url})
    ctx = services(settings, clock=SystemClock())
    load_samples(ctx, project)
    sched = dataclasses.replace(build_scheduling(settings, ctx), rules=SendingRules.none())
    now = dt.datetime.now(dt.UTC)
    schedule_campaign(
        sched, CAMPAIGN, at=now, zone="UTC", local_time=None, now=now, after_milestones=True
    )
    ctx.close()
    engine = make_engine(settings.database_url)
    request.addfinalizer(engine.dispose)
    env = {
        **os.environ,
        "NEWSLETTER_DATABASE__URL": database_url,
        "NEWSLETTER_SCHEDULING__LEASE_SECONDS": "2",
        "NEWSLETTER_SCHEDULING__SWEEP_SECONDS": "0.5",
        "NEWSLETTER_DELIVERY__LEASE_SECONDS": str(DELIVERY_LEASE),
        "NEWSLETTER_DELIVERY__BATCH_SIZE": "10",
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

    rng = random.Random(seed)
    in_doubt: set[int] = set()
    began = time.monotonic()
    try:
        leader = start("killed")
        target = rng.randint(20, 200)
        _wait(
            lambda: sum(s == "sent" for s, _ in _rows(engine).values()) >= target,
            "the first leader to send",
            60,
        )
        leader.send_signal(signal.SIGKILL)
        leader.wait()
        at_kill = _rows(engine)
        in_doubt = {i for i, (s, t) in at_kill.items() if s == "sending" and t}
        assert any(s in ("pending", "sending") for s, _ in at_kill.values()), "killed too late"
        nxt = start("next")
        _wait(lambda: _step_done(engine), "the next leader to finish the step", 60)
        nxt.send_signal(signal.SIGTERM)
        assert nxt.wait(timeout=60) == 0
    finally:
        for proc in started:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert time.monotonic() - began < DELIVERY_LEASE
    final = _rows(engine)
    counts = Counter(s for s, _ in final.values())
    assert counts["pending"] == counts["sending"] == 0, counts
    unknown = {i for i, (s, _) in final.items() if s == "unknown"}
    assert unknown <= in_doubt  # only rows whose request had started at the kill
    got = outbox_recipients(project / "var" / "outbox" / CAMPAIGN / "main")
    assert set(got.values()) == {1}  # nobody twice
    assert counts["sent"] <= len(got) <= counts["sent"] + len(unknown)
    log = (logs / "next.log").read_text()
    assert "Traceback" not in log, log[-3000:]
