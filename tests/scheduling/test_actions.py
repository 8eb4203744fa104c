"""Staff actions: schedule, pause/resume/cancel, move a milestone, recurring sends."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsletter.config import Settings
from newsletter.errors import CampaignError, InputError
from newsletter.scheduling.actions import (
    add_recurring,
    cancel,
    pause,
    remove_recurring,
    reschedule_milestone,
    resume,
    schedule_campaign,
)
from newsletter.scheduling.dispatch import dispatch_due
from newsletter.scheduling.domain.calendar_rules import SendingRules
from newsletter.scheduling.domain.recurrence import Recurrence
from newsletter.scheduling.domain.rules import ScheduleKind, ScheduleState
from newsletter.scheduling.timeline import simulate
from tests.scheduling.support import (
    DOC,
    T0,
    MakeScheduling,
    at,
    deliveries_by_step,
    outbox_recipients,
    scheduling_factory,
)

S = ScheduleState
NONE = SendingRules.none()
INVITE = dt.datetime(2015, 9, 1, 10, 0)
BUCHAREST = "Europe/Bucharest"


@pytest.fixture
def make_sched(settings: Settings, project: Path) -> Iterator[MakeScheduling]:
    yield from scheduling_factory(settings, project)


@pytest.mark.slow
def test_extending_the_early_bird_deadline(make_sched: MakeScheduling, project: Path) -> None:
    sched, clock = make_sched(rules=NONE)
    schedule_campaign(sched, DOC, at=INVITE, zone=BUCHAREST, local_time=None, now=T0)
    simulate(sched, clock, T0, at(2015, 9, 30, 10))  # invitation and the 3-day step are out
    moved = reschedule_milestone(
        sched,
        DOC,
        "early_bird",
        dt.datetime(2015, 10, 9, 23, 59),
        zone=None,
        notify=True,
        now=clock.now(),
    )
    assert moved.sequence == 1
    changes = {e.step: e for e in moved.entries}
    assert changes["early-bird-1d"].due_at == at(2015, 10, 8, 6)  # pending: moved with it
    assert changes["early-bird-3d@v1"].due_at == at(2015, 10, 6, 6)  # sent: planned again
    notice = changes["early_bird-extended@v1"]
    assert notice.kind is ScheduleKind.NOTICE and notice.due_at == clock.now()
    result = simulate(sched, clock, clock.now(), at(2015, 10, 23))
    sends = [(f.step, f.at) for f in result.fired if f.sent]
    assert sends == [
        ("early_bird-extended@v1", at(2015, 9, 30, 10)),
        ("early-bird-3d@v1", at(2015, 10, 6, 6)),
        ("early-bird-1d", at(2015, 10, 8, 6)),
    ]
    counts = deliveries_by_step(sched)
    assert counts["early_bird-extended@v1"]["sent"] == counts["early-bird-3d"]["sent"]
    folder = project / "var" / "outbox" / DOC / "early_bird-extended@v1"
    assert set(outbox_recipients(folder).values()) == {1}
    english = next(
        m
        for m in (
            email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in sorted(folder.glob("*.eml"))
        )
        if m["Subject"].startswith("Deadline extended")
    )
    assert english["Subject"] == "Deadline extended: Early-bird online registration"
    text = english.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "9" in text and "October" in text and "2 October" not in text.split("Deadline")[-1]
    # The calendar entry comes along updated: same UID, higher SEQUENCE, the new time.
    [ics] = [p for p in english.iter_attachments() if p.get_content_type() == "text/calendar"]
    body = ics.get_content()
    body = body.decode() if isinstance(body, bytes) else body
    assert "UID:days-of-clusters-2015-early-bird@" in body
    assert "SEQUENCE:1" in body and "20151009T235900" in body


def test_pause_resume_and_cancel(make_sched: MakeScheduling) -> None:
    sched, clock = make_sched(rules=NONE)
    schedule_campaign(sched, DOC, at=INVITE, zone=BUCHAREST, local_time=None, now=T0)
    assert pause(sched, DOC, now=T0) == 3
    clock.set(at(2015, 9, 1, 8))
    assert dispatch_due(sched, clock.now()).fired == []  # nothing goes out while paused
    assert resume(sched, DOC, now=clock.now()) == 3
    [main] = dispatch_due(sched, clock.now()).fired  # one hour late: still within the limit
    assert main.outcome == "sent"
    assert cancel(sched, DOC, now=clock.now(), step="early-bird-1d") == 1
    simulate(sched, clock, clock.now(), at(2015, 10, 23))
    assert set(deliveries_by_step(sched)) == {"main", "early-bird-3d"}
    states = {e.step: e.state for e in sched.store.entries(campaign=DOC)}
    assert states["early-bird-1d"] is S.CANCELLED and states["early-bird-3d"] is S.SENT


def test_pause_and_resume_one_step(make_sched: MakeScheduling) -> None:
    """A paused step is passed over when due while the others go out; resumed, it goes out
    at its own time; pausing or resuming a step leaves the other steps alone."""
    sched, clock = make_sched(rules=NONE)
    schedule_campaign(sched, DOC, at=INVITE, zone=BUCHAREST, local_time=None, now=T0)
    assert pause(sched, DOC, now=T0, step="early-bird-3d") == 1
    assert pause(sched, DOC, now=T0, step="no-such-step") == 0
    states = {e.step: e.state for e in sched.store.entries(campaign=DOC)}
    assert states == {
        "main": S.SCHEDULED,
        "early-bird-3d": S.PAUSED,
        "early-bird-1d": S.SCHEDULED,
    }
    simulate(sched, clock, T0, at(2015, 10, 23))
    # The 1-day reminder went out; the paused 3-day one did not, and still waits.
    assert set(deliveries_by_step(sched)) == {"main", "early-bird-1d"}
    states = {e.step: e.state for e in sched.store.entries(campaign=DOC)}
    assert states["early-bird-3d"] is S.PAUSED
    assert resume(sched, DOC, now=clock.now(), step="main") == 0  # main is not paused
    assert resume(sched, DOC, now=clock.now(), step="early-bird-3d") == 1
    states = {e.step: e.state for e in sched.store.entries(campaign=DOC)}
    assert states["early-bird-3d"] is S.SCHEDULED


def test_resumed_too_late_waits_for_a_person(make_sched: MakeScheduling) -> None:
    sched, clock = make_sched(rules=NONE)
    schedule_campaign(sched, DOC, at=INVITE, zone=BUCHAREST, local_time=None, now=T0)
    pause(sched, DOC, now=T0)
    clock.set(at(2015, 9, 1, 12))
    resume(sched, DOC, now=clock.now())
    [main] = [f for f in dispatch_due(sched, clock.now()).fired if f.step == "main"]
    assert main.outcome == "skipped" and "send it by hand or reschedule" in main.reason


def test_a_monthly_digest_on_the_first_monday(make_sched: MakeScheduling, project: Path) -> None:
    for month in ("2015-10", "2015-11"):
        shutil.copy(
            project / "campaigns" / "chairmans-letter.yaml",
            project / "campaigns" / f"network-digest-{month}.yaml",
        )
    sched, clock = make_sched(rules=NONE)
    digest = Recurrence(
        "digest", "network-digest-{date:%Y-%m}", "0 10 * * mon#1", "Europe/Belgrade"
    )
    first = add_recurring(sched, digest, now=T0)
    assert (first.campaign, first.due_at) == ("network-digest-2015-09", at(2015, 9, 7, 8))
    result = simulate(sched, clock, T0, at(2015, 11, 30))
    outcomes = [(f.campaign, f.at, f.outcome) for f in result.fired]
    assert outcomes == [
        ("network-digest-2015-09", at(2015, 9, 7, 8), "skipped"),  # no file for September
        ("network-digest-2015-10", at(2015, 10, 5, 8), "sent"),  # 10:00 CEST
        ("network-digest-2015-11", at(2015, 11, 2, 9), "sent"),  # 10:00 CET
    ]
    assert remove_recurring(sched, "digest", now=clock.now()) == 1  # December's run
    with pytest.raises(InputError):
        remove_recurring(sched, "digest", now=clock.now())


def test_mistakes_get_clear_messages(make_sched: MakeScheduling) -> None:
    sched, _ = make_sched(rules=NONE, load=False)
    with pytest.raises(CampaignError, match="no campaign"):
        schedule_campaign(sched, "nope", at=INVITE, zone=None, local_time=None, now=T0)
    with pytest.raises(InputError, match="in the past"):
        schedule_campaign(
            sched, DOC, at=INVITE, zone=BUCHAREST, local_time=None, now=at(2015, 9, 2)
        )
    with pytest.raises(InputError, match="unknown time zone"):
        schedule_campaign(sched, DOC, at=INVITE, zone="Mars/Olympus", local_time=None, now=T0)
    with pytest.raises(CampaignError, match="milestones: early_bird, event_start"):
        reschedule_milestone(
            sched, DOC, "earlybird", dt.datetime(2015, 10, 9), zone=None, notify=True, now=T0
        )
    with pytest.raises(InputError, match="already at"):
        reschedule_milestone(
            sched,
            DOC,
            "early_bird",
            dt.datetime(2015, 10, 2, 23, 59),
            zone=None,
            notify=True,
            now=T0,
        )
