"""Reminder due times (wall-clock vs elapsed), planning, and what a deadline move changes."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from newsletter.content.domain.campaigns import CampaignDefinition, ReminderStep
from newsletter.scheduling.domain.calendar_rules import SendingRules, rules_for
from newsletter.scheduling.domain.reminders import (
    MilestonePoint,
    notice_key,
    plan_campaign,
    replan_milestone,
    step_due,
    versioned,
    with_schedule,
)
from newsletter.scheduling.domain.rules import ScheduleKind, ScheduleState

UTC = dt.UTC
NONE = SendingRules.none()
S = ScheduleState


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def step(key: str, before: str, time: str = "09:00:00") -> dict[str, Any]:
    return {
        "key": key,
        "milestone": "deadline",
        "before": before,
        "at_time": time,
        "template": "deadline_reminder.mjml.j2",
        "subject": {"en": f"{key}", "bg": f"{key} bg"},
        "preheader": {"en": "p", "bg": "p"},
        "copy": {"en": {"headline": "h", "button": "Apply"}, "bg": {"headline": "х"}},
    }


def campaign(
    deadline: str = "2026-04-02T10:00:00", zone: str = "Europe/Belgrade"
) -> CampaignDefinition:
    return CampaignDefinition.model_validate(
        {
            "slug": "call",
            "kind": "letter",
            "title": "A call",
            "audience": "all",
            "template": "letter.mjml.j2",
            "languages": ["en", "bg"],
            "subject": {"en": "Call", "bg": "Покана"},
            "preheader": {"en": "p", "bg": "п"},
            "content": {"sections": [{"paragraphs": {"en": ["Hi"], "bg": ["Здравейте"]}}]},
            "milestones": {
                "deadline": {"at": deadline, "timezone": zone, "label": {"en": "Submission"}}
            },
            "reminders": [step("d14", "P14D"), step("d7", "P7D"), step("d1", "P1D")],
        }
    )


def point(c: CampaignDefinition, version: int = 0) -> MilestonePoint:
    return MilestonePoint.of("deadline", c.milestones["deadline"], version)


def test_seven_days_before_is_wall_clock_across_the_spring_change() -> None:
    # Deadline 2 April 10:00 CEST (08:00 UTC); seven days earlier is still winter time, and
    # the reminder keeps its local hour: 10:00 CET is 09:00 UTC (168 elapsed hours: 08:00).
    p = point(campaign())
    assert step_due(p, dt.timedelta(days=7), dt.time(10), NONE) == at(2026, 3, 26, 9)


def test_whole_days_are_wall_clock_other_spans_elapse() -> None:
    """Whole days (P1D, or PT24H: the same timedelta) are wall-clock; other spans elapse."""
    p = point(campaign("2026-03-29T10:00:00"))  # 08:00 UTC, the spring change day
    assert step_due(p, dt.timedelta(hours=24), dt.time(10), NONE) == at(2026, 3, 28, 9)  # 10 CET
    assert step_due(p, dt.timedelta(hours=36), dt.time(10), NONE) == at(2026, 3, 27, 20)  # elapsed
    autumn = point(campaign("2026-10-25T10:00:00"))  # 09:00 UTC
    assert step_due(autumn, dt.timedelta(days=1), dt.time(10), NONE) == at(2026, 10, 24, 8)


def test_a_reminder_on_a_skipped_day_moves_earlier_not_past_the_deadline() -> None:
    weekend = rules_for([], quiet=None, skip_weekends=True)
    p = point(campaign("2026-04-06T10:00:00"))  # a Monday
    assert step_due(p, dt.timedelta(days=1), dt.time(9), weekend) == at(2026, 4, 3, 7)  # Friday


def test_plan_skips_steps_whose_time_passed_or_that_come_before_the_announcement() -> None:
    c = campaign()
    entries = plan_campaign(
        c,
        main_at=dt.datetime(2026, 3, 20, 10),
        zone="Europe/Belgrade",
        per_member_zone=False,
        member_zones=(),
        milestones={"deadline": point(c)},
        rules=NONE,
        now=at(2026, 3, 10),
    )
    by_step = {e.step: e for e in entries}
    assert by_step["main"].due_at == at(2026, 3, 20, 9)
    assert by_step["d14"].state is S.SKIPPED  # 19 March: before the announcement
    assert "before the announcement" in by_step["d14"].reason
    assert by_step["d7"].state is S.SCHEDULED and by_step["d7"].expires_at == at(2026, 4, 2, 8)
    late = plan_campaign(
        c,
        main_at=None,
        zone="Europe/Belgrade",
        per_member_zone=False,
        member_zones=(),
        milestones={"deadline": point(c)},
        rules=NONE,
        now=at(2026, 3, 30),
    )
    assert [(e.step, e.state) for e in late] == [
        ("d14", S.SKIPPED),
        ("d7", S.SKIPPED),
        ("d1", S.SCHEDULED),
    ]


def test_nine_in_each_members_zone_makes_one_row_per_zone() -> None:
    c = campaign()
    entries = plan_campaign(
        c,
        main_at=dt.datetime(2026, 3, 20, 9),
        zone="Europe/Belgrade",
        per_member_zone=True,
        member_zones={"", "Europe/Belgrade", "Europe/Istanbul", "Europe/London"},
        milestones={"deadline": point(c)},
        rules=NONE,
        now=at(2026, 3, 10),
    )
    mains = {e.zone_group: e.due_at for e in entries if e.kind is ScheduleKind.SEND}
    assert mains == {
        "": at(2026, 3, 20, 8),  # Belgrade and members with no zone on file
        "Europe/Istanbul": at(2026, 3, 20, 6),
        "Europe/London": at(2026, 3, 20, 9),
    }


def rows_for(c: CampaignDefinition, sent: set[str]) -> list[Any]:
    planned = plan_campaign(
        c,
        main_at=None,
        zone="Europe/Belgrade",
        per_member_zone=False,
        member_zones=(),
        milestones={"deadline": point(c)},
        rules=NONE,
        now=at(2026, 3, 1),
    )
    return [
        replace(e, id=i, state=S.SENT if e.step in sent else e.state)
        for i, e in enumerate(planned, 1)
    ]


def test_extending_a_deadline_moves_pending_steps_and_notifies_those_reminded() -> None:
    c = campaign()
    rows = rows_for(c, sent={"d14"})  # d14 went out on 19 March
    now = at(2026, 3, 22)
    new = MilestonePoint("deadline", at(2026, 4, 20, 8), "Europe/Belgrade", 1)
    out = {
        e.step: e
        for e in replan_milestone(c, point(c), new, rows, rules=NONE, now=now, notify=True)
    }
    assert out["d7"].id is not None and out["d7"].due_at == at(2026, 4, 13, 7)  # moved in place
    assert out["d7"].milestone_version == 1 and out["d7"].expires_at == new.at
    assert out["d1"].due_at == at(2026, 4, 19, 7)
    # The sent step still makes sense for the new deadline: planned again under a new key.
    again = out[versioned("d14", 1)]
    assert again.id is None and again.due_at == at(2026, 4, 6, 7)
    notice = out[notice_key("deadline", 1)]
    assert notice.kind is ScheduleKind.NOTICE and notice.due_at == now


def test_moving_a_deadline_earlier_cancels_steps_that_no_longer_fit() -> None:
    c = campaign()
    rows = rows_for(c, sent=set())
    now = at(2026, 3, 22)
    new = MilestonePoint("deadline", at(2026, 3, 25, 8), "Europe/Belgrade", 1)
    out = {
        e.step: e
        for e in replan_milestone(c, point(c), new, rows, rules=NONE, now=now, notify=True)
    }
    assert out["d14"].state is S.CANCELLED and out["d14"].reason.startswith("deadline moved")
    assert out["d7"].state is S.CANCELLED
    assert out["d1"].state is S.SCHEDULED and out["d1"].due_at == at(2026, 3, 24, 8)
    assert not any(e.kind is ScheduleKind.NOTICE for e in out.values())  # nobody reminded


def test_a_held_step_moves_with_its_deadline_and_stays_held_for_its_reason() -> None:
    c = campaign()
    why = "changed after approval: not sent until an approver approves the new version"
    rows = [replace(e, state=S.HELD, reason=why) for e in rows_for(c, sent=set())]
    new = MilestonePoint("deadline", at(2026, 4, 20, 8), "Europe/Belgrade", 1)
    out = replan_milestone(c, point(c), new, rows, rules=NONE, now=at(2026, 3, 22), notify=True)
    assert out and all((e.state, e.reason) == (S.HELD, why) for e in out)


def test_the_campaign_as_scheduled_shows_the_new_deadline_and_the_added_steps() -> None:
    c = campaign()
    moved = MilestonePoint("deadline", at(2026, 4, 20, 8), "Europe/Belgrade", 2)
    ui = {"en": {"deadline_extended": "Deadline extended"}, "bg": {"deadline_extended": "Удължен"}}
    seen = with_schedule(c, {"deadline": moved}, {"d14@v2", notice_key("deadline", 2)}, ui)
    assert seen.milestones["deadline"].at == dt.datetime(2026, 4, 20, 10)  # local wall clock
    assert seen.milestones["deadline"].label == {"en": "Submission"}
    again = seen.step("d14@v2")
    assert isinstance(again, ReminderStep) and again.subject == c.step("d14").subject
    notice = seen.step(notice_key("deadline", 2))
    assert notice.subject_for("en") == "Deadline extended: Submission"
    assert notice.subject_for("bg") == "Удължен: A call"  # no bg label: the campaign title
    assert notice.copy_for("en")["button"] == "Apply"
    assert seen.missing_texts() == []  # the notice is written in every campaign language
    assert with_schedule(c, {"deadline": point(c)}, {"main", "d14"}, ui) is c
