"""Scheduling that tells the truth: what cannot go out as asked is refused with one line."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from newsletter.cli import main
from newsletter.config import Settings
from newsletter.errors import InputError, StateError
from newsletter.scheduling.actions import (
    MilestonePassedError,
    reschedule_milestone,
    schedule_campaign,
)
from newsletter.scheduling.dispatch import dispatch_due
from tests.scheduling.support import DOC, MakeScheduling, at, scheduling_factory

CALL = "interreg-ipa-bg-rs-first-call"  # submission deadline 2015-11-17 16:00 Europe/Sofia


@pytest.fixture
def make_sched(settings: Settings, project: Path) -> Iterator[MakeScheduling]:
    yield from scheduling_factory(settings, project)


def test_an_announcement_after_a_milestone_it_promotes_needs_confirming(
    make_sched: MakeScheduling,
) -> None:
    sched, clock = make_sched()
    late = dt.datetime(2015, 11, 20, 10, 0)
    with pytest.raises(MilestonePassedError) as refused:
        schedule_campaign(sched, CALL, at=late, zone="Europe/Belgrade", local_time=None,
                          now=clock.now())  # fmt: skip
    assert str(refused.value).startswith(
        "the announcement would go out after Submission of project proposals "
        "[submission_deadline] (2015-11-17 16:00 Europe/Sofia) has passed"
    )
    assert sched.store.entries(campaign=CALL) == []  # nothing planned by the refusal
    planned = schedule_campaign(sched, CALL, at=late, zone="Europe/Belgrade", local_time=None,
                                now=clock.now(), after_milestones=True)  # fmt: skip
    assert [e.step for e in planned.entries if e.state.value == "scheduled"] == ["main"]


def test_a_campaign_already_sent_is_not_scheduled_again(make_sched: MakeScheduling) -> None:
    sched, clock = make_sched()
    invite = dt.datetime(2015, 9, 1, 10, 0)
    schedule_campaign(sched, DOC, at=invite, zone="Europe/Bucharest", local_time=None,
                      now=clock.now())  # fmt: skip
    clock.set(at(2015, 9, 1, 7, 5))
    assert any(f.outcome == "sent" for f in dispatch_due(sched, clock.now()).fired)
    with pytest.raises(StateError, match="has already been sent"):
        schedule_campaign(sched, DOC, at=dt.datetime(2015, 9, 3, 10, 0), zone="Europe/Bucharest",
                          local_time=None, now=clock.now())  # fmt: skip
    # Planning only the reminders (no --at) is still allowed: the steps already sent are kept.
    schedule_campaign(sched, DOC, at=None, zone=None, local_time=None, now=clock.now())


def test_a_milestone_cannot_move_before_its_announcement_or_into_the_past(
    make_sched: MakeScheduling,
) -> None:
    sched, clock = make_sched()
    schedule_campaign(sched, DOC, at=dt.datetime(2015, 9, 10, 10, 0), zone="Europe/Bucharest",
                      local_time=None, now=clock.now())  # fmt: skip
    with pytest.raises(InputError, match="the announcement is scheduled for 2015-09-10 07:00"):
        reschedule_milestone(sched, DOC, "early_bird", dt.datetime(2015, 9, 5, 23, 59),
                             zone=None, notify=True, now=clock.now())  # fmt: skip
    with pytest.raises(InputError, match="is in the past"):
        reschedule_milestone(sched, DOC, "early_bird", dt.datetime(2015, 8, 1, 23, 59),
                             zone=None, notify=True, now=clock.now())  # fmt: skip


@pytest.mark.parametrize("before", ["PT0S", "-P1D"])
def test_a_reminder_at_or_after_its_deadline_is_refused_by_validate(
    project: Path, before: str
) -> None:
    path = project / "campaigns" / f"{DOC}.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    document["reminders"][1]["before"] = before
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    result = CliRunner().invoke(
        main, ["--config", str(project / "config.yaml"), "campaigns", "validate", str(path)]
    )
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "reminders.1.before: reminder 'early-bird-1d' must come before its milestone" in (
        result.output
    )
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_command_line_refusals_are_one_line_without_a_traceback(project: Path) -> None:
    def run(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(main, ["--config", str(project / "config.yaml"), *args])
        assert "Traceback" not in result.output
        return result.exit_code, result.stderr.strip()

    assert run("members", "import", str(project / "audiences" / "members.csv"))[0] == 0
    code, said = run("campaigns", "reschedule", DOC, "early_bird", "2015-09-01T10:00")
    assert code != 0 and said == "error: 2015-09-01 10:00 Europe/Bucharest is in the past"
    assert run("campaigns", "send", DOC, "--yes")[0] == 0
    later = (dt.date.today() + dt.timedelta(days=30)).isoformat() + "T12:00"
    code, said = run("campaigns", "schedule", DOC, "--at", later, "--after-milestones")
    assert code != 0 and len(said.splitlines()) == 1
    assert said.startswith(f"error: {DOC} has already been sent")
