"""Wall-clock resolution pinned for the network's zones, and the dispatcher's rules.

Transition instants (IANA tz database, EU rules): 2026-03-29 01:00 UTC and 2025-10-26 01:00 UTC.
Belgrade and Skopje jump 02:00->03:00 and fall back 03:00->02:00; Sofia and Bucharest jump
03:00->04:00 and fall back 04:00->03:00; Istanbul keeps +03:00 all year.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from zoneinfo import ZoneInfo

import pytest

from newsletter.scheduling.domain.calendar_rules import SendingRules, rules_for
from newsletter.scheduling.domain.recurrence import CronRule
from newsletter.scheduling.domain.rules import (
    ScheduleEntry,
    ScheduleKind,
    SchedulePolicy,
    ScheduleState,
    decide,
    group_zones,
    local_anomaly,
    local_day_bounds,
    next_catch_up,
    resolve_local,
    supersede,
)

UTC = dt.UTC


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def test_tzdata_has_the_transitions_we_pin() -> None:
    """The tzdata in use agrees with the table the tests below rely on."""
    assert ZoneInfo("Europe/Istanbul").utcoffset(dt.datetime(2026, 7, 1)) == dt.timedelta(hours=3)
    before, after = at(2026, 3, 29, 0, 59), at(2026, 3, 29, 1, 0)
    belgrade = ZoneInfo("Europe/Belgrade")
    assert before.astimezone(belgrade).utcoffset() == dt.timedelta(hours=1)
    assert after.astimezone(belgrade).utcoffset() == dt.timedelta(hours=2)


# A daily 03:30 job on the autumn change day: exactly one run, at this UTC instant.
AUTUMN_0330 = {
    "Europe/Belgrade": at(2025, 10, 26, 2, 30),  # after the fold (02:00-03:00): plain CET
    "Europe/Skopje": at(2025, 10, 26, 2, 30),
    "Europe/Sofia": at(2025, 10, 26, 0, 30),  # in the fold: the first 03:30 (EEST), once
    "Europe/Bucharest": at(2025, 10, 26, 0, 30),
    "Europe/Istanbul": at(2025, 10, 26, 0, 30),
}
# ... and on the spring change day: one run at a defined time.
SPRING_0330 = {
    "Europe/Belgrade": at(2026, 3, 29, 1, 30),  # exists (CEST)
    "Europe/Skopje": at(2026, 3, 29, 1, 30),
    "Europe/Sofia": at(2026, 3, 29, 1, 30),  # in the gap: shifted forward, 04:30 EEST
    "Europe/Bucharest": at(2026, 3, 29, 1, 30),
    "Europe/Istanbul": at(2026, 3, 29, 0, 30),
}


def runs_on_local_day(rule: str, zone: str, day: dt.date) -> list[dt.datetime]:
    cron = CronRule.parse(rule)
    found, t = [], at(day.year, day.month, day.day) - dt.timedelta(days=1)
    while True:
        t = cron.next_after(t, zone)
        local = t.astimezone(ZoneInfo(zone)).date()
        if local > day:
            return found
        if local == day:
            found.append(t)


@pytest.mark.parametrize("zone", sorted(AUTUMN_0330))
def test_a_0330_job_on_the_autumn_change_day_fires_once(zone: str) -> None:
    assert runs_on_local_day("30 3 * * *", zone, dt.date(2025, 10, 26)) == [AUTUMN_0330[zone]]


@pytest.mark.parametrize("zone", sorted(SPRING_0330))
def test_a_0330_job_on_the_spring_change_day_fires_once_at_a_defined_time(zone: str) -> None:
    assert runs_on_local_day("30 3 * * *", zone, dt.date(2026, 3, 29)) == [SPRING_0330[zone]]


def test_the_gap_and_the_fold_are_named_and_resolved() -> None:
    gap, fold = dt.datetime(2026, 3, 29, 2, 30), dt.datetime(2025, 10, 26, 2, 30)
    assert local_anomaly(gap, "Europe/Belgrade") == "nonexistent"
    assert resolve_local(gap, "Europe/Belgrade") == at(2026, 3, 29, 1, 30)  # 03:30 CEST
    assert local_anomaly(fold, "Europe/Belgrade") == "ambiguous"
    assert resolve_local(fold, "Europe/Belgrade") == at(2025, 10, 26, 0, 30)  # first, CEST
    assert local_anomaly(dt.datetime(2025, 10, 26, 3, 30), "Europe/Istanbul") is None


def test_a_local_day_is_23_or_25_hours_on_change_days() -> None:
    start, end = local_day_bounds(at(2026, 3, 29, 12), "Europe/Sofia")
    assert end - start == dt.timedelta(hours=23)
    start, end = local_day_bounds(at(2025, 10, 26, 12), "Europe/Sofia")
    assert (start, end - start) == (at(2025, 10, 25, 21), dt.timedelta(hours=25))


def entry(step: str, due: dt.datetime, **kw: object) -> ScheduleEntry:
    base: dict[str, object] = {"kind": ScheduleKind.REMINDER, "zone": "Europe/Bucharest"}
    base.update(kw)
    return ScheduleEntry("doc", step, due_at=due, **base)  # type: ignore[arg-type]


def test_decide_never_after_the_milestone_and_not_when_stale() -> None:
    policy = SchedulePolicy()
    due, deadline = at(2015, 9, 29, 6), at(2015, 10, 2, 20, 59)
    step = entry("early-bird-3d", due, expires_at=deadline, milestone="early_bird")
    assert decide(step, due + dt.timedelta(minutes=3), policy).fire
    late = decide(step, due + dt.timedelta(hours=13), policy)
    assert not late.fire and "late" in late.reason
    expired = decide(replace(step, state=ScheduleState.SENT), deadline, policy)
    assert not expired.fire and "milestone passed" in expired.reason
    # A send may be 2 hours late, no more (scheduling.max_late_send_hours).
    send = entry("main", due, kind=ScheduleKind.SEND)
    assert decide(send, due + dt.timedelta(hours=1, minutes=59), policy).fire
    assert not decide(send, due + dt.timedelta(hours=2, minutes=1), policy).fire


def test_after_an_outage_only_the_latest_step_of_a_chain_goes_out() -> None:
    chain = [
        entry("eb-14d", at(2015, 9, 18, 6), milestone="early_bird", id=1),
        entry("eb-3d", at(2015, 9, 29, 6), milestone="early_bird", id=2),
        entry("sub-7d", at(2015, 9, 20, 6), milestone="submission", id=3),
        entry("main", at(2015, 9, 1, 7), kind=ScheduleKind.SEND, id=4),
    ]
    keep, dropped = supersede(chain)
    assert {e.id for e in keep} == {2, 3, 4}
    assert [e.id for e in dropped] == [1]


def test_catch_up_runs_daily_at_the_step_time_until_the_next_step() -> None:
    step = entry("eb-3d", at(2015, 9, 29, 6), expires_at=at(2015, 10, 2, 20, 59))
    none = SendingRules.none()
    assert next_catch_up(step, at(2015, 9, 29, 6), None, none) == at(2015, 9, 30, 6)
    assert next_catch_up(step, at(2015, 9, 30, 6), at(2015, 10, 1, 6), none) is None
    assert next_catch_up(step, at(2015, 10, 2, 6), None, none) is None  # next would be after
    weekend = rules_for([], quiet=None, skip_weekends=True)
    friday = entry("x", at(2015, 10, 2, 6), expires_at=at(2015, 10, 9))
    assert next_catch_up(friday, at(2015, 10, 2, 6), None, weekend) == at(2015, 10, 5, 6)


def test_zone_groups() -> None:
    present = {"", "Europe/Sofia", "Europe/Belgrade", "Europe/Istanbul"}
    grouped = {"Europe/Sofia", "Europe/Istanbul"}
    assert group_zones("Europe/Sofia", grouped, present) == ("Europe/Sofia",)
    assert group_zones("", grouped, present) == ("", "Europe/Belgrade")
