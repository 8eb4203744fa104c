"""Easter computed, holidays per country, quiet hours and skipped days."""

from __future__ import annotations

import datetime as dt

import pytest

from newsletter.scheduling.domain.calendar_rules import (
    PRESETS,
    SendingRules,
    gregorian_easter,
    orthodox_easter,
    rules_for,
)

D = dt.date

# Known dates (published Easter tables): (year, Catholic, Orthodox).
EASTERS = [
    (2010, D(2010, 4, 4), D(2010, 4, 4)),
    (2015, D(2015, 4, 5), D(2015, 4, 12)),
    (2016, D(2016, 3, 27), D(2016, 5, 1)),
    (2019, D(2019, 4, 21), D(2019, 4, 28)),
    (2021, D(2021, 4, 4), D(2021, 5, 2)),
    (2023, D(2023, 4, 9), D(2023, 4, 16)),
    (2024, D(2024, 3, 31), D(2024, 5, 5)),
    (2025, D(2025, 4, 20), D(2025, 4, 20)),
    (2026, D(2026, 4, 5), D(2026, 4, 12)),
    (2027, D(2027, 3, 28), D(2027, 5, 2)),
    (2038, D(2038, 4, 25), D(2038, 4, 25)),
]


@pytest.mark.parametrize(("year", "catholic", "orthodox"), EASTERS)
def test_both_easters_match_published_dates(
    year: int, catholic: dt.date, orthodox: dt.date
) -> None:
    assert gregorian_easter(year) == catholic
    assert orthodox_easter(year) == orthodox


def test_easter_is_always_a_sunday_in_its_window() -> None:
    for year in range(1900, 2100):
        for day in (gregorian_easter(year), orthodox_easter(year)):
            assert day.weekday() == 6
        assert D(year, 3, 22) <= gregorian_easter(year) <= D(year, 4, 25)
        assert D(year, 4, 4) <= orthodox_easter(year) <= D(year, 5, 8)  # 1900-2099


def test_serbian_holidays_follow_orthodox_easter_from_good_friday_to_monday() -> None:
    rs = PRESETS["RS"]
    assert {D(2015, 4, 10), D(2015, 4, 11), D(2015, 4, 12), D(2015, 4, 13)} <= rs.dates(2015)
    assert not rs.is_holiday(D(2015, 4, 6))  # Catholic Easter Monday is a working day
    assert rs.is_holiday(D(2015, 1, 7)) and rs.is_holiday(D(2015, 2, 16))


def test_croatia_follows_catholic_easter_and_albania_keeps_both() -> None:
    assert PRESETS["HR"].is_holiday(D(2024, 4, 1))  # Easter Monday
    assert PRESETS["HR"].is_holiday(D(2024, 5, 30))  # Corpus Christi (Easter + 60) and Statehood
    assert not PRESETS["HR"].is_holiday(D(2024, 5, 6))  # Orthodox Easter Monday
    al = PRESETS["AL"].dates(2024)
    assert {D(2024, 3, 31), D(2024, 4, 1), D(2024, 5, 5), D(2024, 5, 6)} <= al


def test_romania_keeps_orthodox_pentecost() -> None:
    assert PRESETS["RO"].is_holiday(orthodox_easter(2015) + dt.timedelta(days=49))
    assert PRESETS["RO"].is_holiday(D(2015, 12, 1))


def test_quiet_hours_that_wrap_midnight() -> None:
    rules = SendingRules(quiet_start=dt.time(21), quiet_end=dt.time(8))
    assert rules.is_quiet(dt.time(23, 30)) and rules.is_quiet(dt.time(3))
    assert not rules.is_quiet(dt.time(8)) and not rules.is_quiet(dt.time(20, 59))
    evening = dt.datetime(2026, 4, 21, 22, 15)
    assert rules.later_allowed(evening) == dt.datetime(2026, 4, 22, 8, 0)
    night = dt.datetime(2026, 4, 22, 3, 30)
    assert rules.later_allowed(night) == dt.datetime(2026, 4, 22, 8, 0)


def test_sends_move_forward_over_weekends_and_easter() -> None:
    rules = rules_for(["RS"], quiet=(dt.time(21), dt.time(8)), skip_weekends=True)
    friday_night = dt.datetime(2026, 4, 10, 22, 0)  # Orthodox Good Friday 2026
    # Saturday, Easter Sunday and Easter Monday are skipped: Tuesday at the end of quiet hours.
    assert rules.later_allowed(friday_night) == dt.datetime(2026, 4, 14, 8, 0)


def test_reminders_move_back_so_they_stay_before_the_deadline() -> None:
    rules = rules_for(["RS"], quiet=None, skip_weekends=True)
    easter_sunday = dt.datetime(2026, 4, 12, 9, 0)
    # Saturday and Good Friday are skipped too: Thursday, same time.
    assert rules.earlier_allowed(easter_sunday) == dt.datetime(2026, 4, 9, 9, 0)


def test_extra_holidays_and_unknown_regions() -> None:
    rules = rules_for([], quiet=None, skip_weekends=False, extra=[D(2026, 3, 30)])
    assert rules.later_allowed(dt.datetime(2026, 3, 30, 10)) == dt.datetime(2026, 3, 31, 10)
    with pytest.raises(ValueError, match="no holiday calendar"):
        rules_for(["XX"], quiet=None, skip_weekends=False)
