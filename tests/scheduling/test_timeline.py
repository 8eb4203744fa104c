"""``schedule timeline`` rows, and a rehearsal that never touches the real ledger."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from newsletter.bootstrap import build_simulation
from newsletter.config import Settings
from newsletter.core.clock import VirtualClock
from newsletter.db.tables import deliveries, schedules
from newsletter.scheduling.actions import schedule_campaign
from newsletter.scheduling.domain.calendar_rules import SendingRules
from newsletter.scheduling.timeline import simulate, timeline
from tests.scheduling.support import (
    DOC,
    T0,
    MakeScheduling,
    at,
    engine_of,
    outbox_dates,
    outbox_recipients,
    scheduling_factory,
)


@pytest.fixture
def make_sched(settings: Settings, project: Path) -> Iterator[MakeScheduling]:
    yield from scheduling_factory(settings, project)


def test_timeline_lists_local_times_and_todays_audience(make_sched: MakeScheduling) -> None:
    sched, _ = make_sched(rules=SendingRules.none())
    schedule_campaign(
        sched, DOC, at=dt.datetime(2015, 9, 1, 10), zone="Europe/Bucharest", local_time=None, now=T0
    )
    rows = timeline(sched, at(2015, 9, 1), at(2015, 10, 23))
    shown = [(r.local, r.step, r.state) for r in rows]
    assert shown == [
        ("2015-09-01 10:00 EEST", "main", "scheduled"),
        ("2015-09-29 09:00 EEST", "early-bird-3d", "scheduled"),
        ("2015-10-01 09:00 EEST", "early-bird-1d", "scheduled"),
    ]
    assert {r.audience for r in rows} == {
        sched.ctx.members.count(sched.ctx.catalog.segment("events-audience"), "events")
    }
    assert timeline(sched, at(2015, 9, 2), at(2015, 9, 30))[0].step == "early-bird-3d"


def test_timeline_flags_a_local_time_in_a_dst_change(make_sched: MakeScheduling) -> None:
    sched, _ = make_sched(rules=SendingRules.none(), load=False)
    # 25 October 2015, 04:00 EEST fell back to 03:00 EET: 03:30 happened twice in Bucharest.
    schedule_campaign(
        sched,
        DOC,
        at=dt.datetime(2015, 10, 25, 3, 30),
        zone="Europe/Bucharest",
        local_time=None,
        now=T0,
        after_milestones=True,  # after the early-bird deadline: confirmed
    )
    [main] = [r for r in timeline(sched) if r.step == "main"]
    assert main.note == "local time ambiguous (DST change)"
    assert main.due_utc == at(2015, 10, 25, 0, 30)  # the first 03:30: sent once


@pytest.mark.slow
def test_a_rehearsal_runs_on_a_copy_and_writes_its_own_outbox(
    make_sched: MakeScheduling, settings: Settings, tmp_path: Path, project: Path
) -> None:
    real, _ = make_sched()  # the configured database, with the sample members
    folder = tmp_path / "rehearsal"
    clock = VirtualClock(T0)
    sched, copied, app = build_simulation(settings, folder, clock)
    try:
        assert copied["members"] > 300
        schedule_campaign(
            sched,
            DOC,
            at=dt.datetime(2015, 9, 1, 10),
            zone="Europe/Bucharest",
            local_time=None,
            now=T0,
        )
        result = simulate(sched, clock, T0, at(2015, 10, 23))
        assert [f.step for f in result.fired if f.sent] == [
            "main",
            "early-bird-3d",
            "early-bird-1d",
        ]
        outbox = folder / "outbox" / DOC
        assert outbox_dates(outbox / "early-bird-3d") == {dt.date(2015, 9, 29)}
        assert outbox_dates(outbox / "early-bird-1d") == {dt.date(2015, 10, 1)}
        assert set(outbox_recipients(outbox / "main").values()) == {1}
    finally:
        app.close()
    with engine_of(real).connect() as conn:  # the real database saw none of it
        assert conn.execute(select(func.count()).select_from(deliveries)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(schedules)).scalar_one() == 0
    assert not (project / "var" / "outbox").exists()
