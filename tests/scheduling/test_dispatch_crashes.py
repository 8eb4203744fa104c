"""Crash the dispatcher at random moments between database writes and start it again: no due
step is lost and nobody gets a step twice.

A crash is a BaseException raised before or after one real write (a schedule claim or outcome,
a ledger plan, claim or outcome, a batch half written to the outbox), so it escapes every
``except Exception`` exactly as a SIGKILL would stop the work there. Each restart is a new
Context and dispatcher name on the same database, as a new process would be. The subprocess
test in tests/scheduling/test_leader_process.py kills a real scheduler with SIGKILL.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from newsletter.bootstrap import build_scheduling
from newsletter.content.rendering.messages import Batch
from newsletter.core.clock import VirtualClock
from newsletter.db.tables import campaigns, deliveries
from newsletter.scheduling.actions import schedule_campaign
from newsletter.scheduling.dispatch import dispatch_due
from newsletter.scheduling.domain.calendar_rules import SendingRules
from newsletter.scheduling.domain.rules import ScheduleState
from newsletter.scheduling.ports import Scheduling
from tests.conftest import make_settings
from tests.scheduling.support import (
    DOC,
    T0,
    at,
    engine_of,
    load_samples,
    outbox_recipients,
)
from tests.services import services

END = at(2015, 10, 23)


class Crash(BaseException):
    """The process dies here."""


class Chaos:
    def __init__(self, seed: int, budget: int, odds: float) -> None:
        self.rng, self.budget, self.odds = random.Random(seed), budget, odds
        self.where: list[str] = []

    def maybe(self, name: str) -> None:
        if self.budget > 0 and self.rng.random() < self.odds:
            self.budget -= 1
            self.where.append(name)
            raise Crash(name)

    def wrap(self, obj: Any, method: str) -> None:
        real: Callable[..., Any] = getattr(obj, method)

        def wrapped(*args: Any, **kwargs: Any) -> Any:
            self.maybe(f"before {method}")
            result = real(*args, **kwargs)
            self.maybe(f"after {method}")
            return result

        setattr(obj, method, wrapped)


def chaotic(settings: Any, clock: VirtualClock, chaos: Chaos) -> Scheduling:
    ctx = services(settings, clock=clock)
    real_mailer = ctx.mailer

    class HalfWritten:
        """The outbox, killed after writing part of a batch."""

        def __init__(self) -> None:
            self.inner = real_mailer()
            self.name, self.max_batch = self.inner.name, self.inner.max_batch

        def send(self, batch: Batch) -> Any:
            if len(batch.personalizations) > 1 and chaos.budget and chaos.rng.random() < 0.2:
                half = batch.personalizations[: len(batch.personalizations) // 2]
                self.inner.send(dataclasses.replace(batch, personalizations=half))
                chaos.budget -= 1
                chaos.where.append("mid-batch")
                raise Crash("mid-batch")
            return self.inner.send(batch)

        def close(self) -> None:
            self.inner.close()

    ctx = dataclasses.replace(ctx, mailer=HalfWritten)
    sched = dataclasses.replace(build_scheduling(settings, ctx), rules=SendingRules.none())
    for method in ("claim", "finish", "suppress"):
        chaos.wrap(sched.store, method)
    for method in ("plan", "claim", "mark_sent"):
        chaos.wrap(ctx.ledger, method)
    return sched


@pytest.mark.slow
def test_crashes_at_random_moments_lose_nothing_and_send_nothing_twice(
    project: Path, database_url: str
) -> None:
    settings = make_settings(project, database={"url": database_url}, delivery={"batch_size": 40})
    clock = VirtualClock(T0)
    chaos = Chaos(seed=20151002, budget=16, odds=0.12)
    sched = chaotic(settings, clock, chaos)
    load_samples(sched.ctx, project)
    schedule_campaign(
        sched, DOC, at=dt.datetime(2015, 9, 1, 10), zone="Europe/Bucharest", local_time=None, now=T0
    )
    runs, built = 0, [sched]
    while True:
        holder = f"dispatcher-{runs}"
        try:
            while (nxt := sched.store.next_attempt()) is not None and nxt < END:
                clock.set(max(clock.now(), nxt))
                dispatch_due(sched, clock.now(), holder=holder)
            break
        except Crash:
            runs += 1  # the process died; a new one starts two minutes later
            clock.set(clock.now() + dt.timedelta(minutes=2))
            sched = chaotic(settings, clock, chaos)
            built.append(sched)
            sched.store.take_over(f"dispatcher-{runs}", now=clock.now())
    try:
        # The chaos really struck, at several kinds of moment. How many of its 16 crashes are
        # reached depends on how the batch sender's threads interleave (the seeded dice are
        # thrown in call order), so this is a floor, not an exact count (7 seen under load).
        assert runs >= 6 and len(set(chaos.where)) >= 4, chaos.where
        # Nothing lost: every step of the season went out.
        states = {e.step: e.state for e in sched.store.entries(campaign=DOC)}
        assert states == dict.fromkeys(
            ["main", "early-bird-3d", "early-bird-1d"], ScheduleState.SENT
        )
        with engine_of(sched).connect() as conn:
            rows = conn.execute(
                select(deliveries.c.step, deliveries.c.status)
                .join(campaigns, campaigns.c.id == deliveries.c.campaign_id)
                .where(campaigns.c.slug == DOC)
            ).all()
        by_step: dict[str, Counter[str]] = {}
        for step, status in rows:
            by_step.setdefault(step, Counter())[status] += 1
        audience = sum(by_step["main"].values())
        for step, counts in by_step.items():
            # Every member has a row; none is left pending. A row whose request was in flight
            # at a crash is "unknown" (never silently resent: the announcement waits for staff).
            assert sum(counts.values()) == audience and counts["pending"] == 0, (step, counts)
            assert set(counts) <= {"sent", "unknown"}, (step, counts)
            # Nothing twice: one file per recipient (a resent unknown row rewrites its own file).
            got = outbox_recipients(project / "var" / "outbox" / DOC / step)
            assert set(got.values()) == {1}, step
            assert counts["sent"] <= sum(got.values()) <= audience
    finally:
        for built_sched in built:
            built_sched.ctx.close()
