"""Cron semantics: Sunday is 0 and 7 as in crontab, ``mon#1`` is the first Monday, DST-safe."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from newsletter.scheduling.domain.recurrence import CronRule, Recurrence

UTC = dt.UTC
BELGRADE = ZoneInfo("Europe/Belgrade")


def runs(rule: str, zone: str, start: dt.datetime, n: int) -> list[dt.datetime]:
    cron, out, t = CronRule.parse(rule), [], start
    for _ in range(n):
        t = cron.next_after(t, zone)
        out.append(t.astimezone(ZoneInfo(zone)))
    return out


@pytest.mark.parametrize("sunday", ["0", "7", "sun", "SUN"])
def test_zero_and_seven_are_sunday_as_in_crontab(sunday: str) -> None:
    found = runs(f"0 9 * * {sunday}", "Europe/Sofia", dt.datetime(2026, 1, 1, tzinfo=UTC), 3)
    assert [d.strftime("%a %H:%M") for d in found] == ["Sun 09:00"] * 3


def test_one_is_monday_and_ranges_use_crontab_numbers() -> None:
    found = runs("0 9 * * 1-5", "Europe/Sofia", dt.datetime(2026, 1, 2, 12, tzinfo=UTC), 5)
    assert [d.strftime("%a") for d in found] == ["Mon", "Tue", "Wed", "Thu", "Fri"]


def test_first_monday_of_the_month_10_00_belgrade_across_dst() -> None:
    found = runs("0 10 * * mon#1", "Europe/Belgrade", dt.datetime(2026, 1, 1, tzinfo=UTC), 12)
    assert [d.date() for d in found][:5] == [
        dt.date(2026, 1, 5),
        dt.date(2026, 2, 2),
        dt.date(2026, 3, 2),
        dt.date(2026, 4, 6),
        dt.date(2026, 5, 4),
    ]
    assert all(d.weekday() == 0 and d.day <= 7 and d.hour == 10 for d in found)
    offsets = {d.strftime("%Z") for d in found}
    assert offsets == {"CET", "CEST"}  # the same 10:00 on both sides of the change


def test_both_day_fields_restricted_means_either_as_in_vixie_cron() -> None:
    found = runs("0 10 1-7 * mon", "Europe/Belgrade", dt.datetime(2026, 6, 1, tzinfo=UTC), 9)
    days = [d.day for d in found]
    assert days[:7] == [1, 2, 3, 4, 5, 6, 7] and 8 in days  # Monday 8 June counts too


@pytest.mark.parametrize(
    "bad",
    ["0 9 * *", "61 9 * * *", "0 9 * * mon#6", "0 9 * * funday", "0 9 5-1 * *", "0 9 * * */0"],
)
def test_bad_rules_are_refused_with_a_reason(bad: str) -> None:
    with pytest.raises(ValueError):
        CronRule.parse(bad)


def test_apscheduler_fields_use_day_names_never_numbers() -> None:
    assert CronRule.parse("0 9 * * 0").apscheduler_fields() == {
        "minute": "0",
        "hour": "9",
        "month": "*",
        "day": "*",
        "day_of_week": "sun",
    }
    assert CronRule.parse("0 10 * * mon#1").apscheduler_fields() == {
        "minute": "0",
        "hour": "10",
        "month": "*",
        "day": "1st mon",
        "day_of_week": "*",
    }
    assert CronRule.parse("0 10 1-7 * mon").apscheduler_fields() is None  # OR is not expressible


def test_a_recurrence_names_each_runs_campaign_by_its_local_date() -> None:
    digest = Recurrence(
        "digest", "network-digest-{date:%Y-%m}", "0 10 * * mon#1", "Europe/Belgrade"
    )
    assert digest.campaign_on(dt.date(2026, 2, 2)) == "network-digest-2026-02"
    first = digest.next_after(dt.datetime(2026, 1, 10, tzinfo=UTC))
    assert first == dt.datetime(2026, 2, 2, 9, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="each run sends its own campaign"):
        Recurrence("x", "digest", "0 10 * * mon#1", "Europe/Belgrade")  # would go out once
    with pytest.raises(ValueError, match="only"):
        Recurrence("x", "digest-{date:%Y}-{month}", "0 10 * * mon#1", "Europe/Belgrade")
