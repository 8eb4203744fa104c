"""Dates, money and deadlines per locale (Babel/CLDR), and a deadline in the reader's zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from newsletter.rendering import dates

NBSP, NNBSP, THIN = "\xa0", "\u202f", "\u2009"


def plain(text: str) -> str:
    return text.replace(NBSP, " ").replace(NNBSP, " ").replace(THIN, " ")


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "October 22 – 23, 2015"),
        ("sr-Cyrl", "22–23. октобар 2015."),
        ("sr-Latn", "22–23. oktobar 2015."),
        ("bg", "22 – 23 октомври 2015 г."),
        ("ro", "22–23 octombrie 2015"),
        ("mk", "22 – 23 октомври 2015 г."),
        ("tr", "22–23 Ekim 2015"),
    ],
)
def test_daterange_within_a_month(lang: str, expected: str) -> None:
    assert plain(dates.daterange("2015-10-22", "2015-10-23", lang)) == expected


def test_daterange_across_months_and_years_and_one_day() -> None:
    assert dates.daterange("2015-09-30", "2015-10-02", "sr-Cyrl") == (
        "30. септембар – 2. октобар 2015."
    )
    assert plain(dates.daterange("2015-12-30", "2016-01-02", "en")) == (
        "December 30, 2015 – January 2, 2016"
    )
    assert dates.daterange("2015-10-22", "2015-10-22", "en") == "October 22, 2015"


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "€12,687,304.24"),
        ("tr", "€12.687.304,24"),
        ("sr-Cyrl", "12.687.304,24 €"),
        ("bg", "12 687 304,24 €"),
        ("ro", "12.687.304,24 EUR"),
    ],
)
def test_money_per_locale(lang: str, expected: str) -> None:
    assert plain(dates.money("12687304.24", "EUR", lang)) == expected


def test_time_and_zone_of_a_deadline_in_its_official_zone() -> None:
    at = dt.datetime(2015, 11, 17, 16, 0, tzinfo=ZoneInfo("Europe/Sofia"))
    assert dates.time(at, "en") == "16:00"
    assert dates.time(at, "bg") == "16:00 ч."
    assert dates.zone(at, "en") == "Sofia, GMT+02:00"
    assert dates.zone(at, "sr-Cyrl") == "Софија, GMT+02:00"


BUCHAREST = "Europe/Bucharest"
EARLY_BIRD = dt.datetime(2015, 10, 2, 23, 59, tzinfo=ZoneInfo(BUCHAREST))


@pytest.mark.parametrize(
    ("reader", "lang", "expected"),
    [
        ("Europe/Belgrade", "en", " · 22:59 (Belgrade, GMT+02:00)"),
        ("Europe/Belgrade", "sr-Cyrl", " · 22:59 (Београд, GMT+02:00)"),
        ("America/New_York", "en", " · 16:59 (New York, GMT-04:00)"),
        # The reader's date differs: it is shown.
        ("Asia/Seoul", "en", " · October 3, 05:59 (Seoul, GMT+09:00)"),
        # Same wall-clock time (Istanbul was on +03 too), same zone, unknown zone: nothing.
        ("Europe/Istanbul", "en", ""),
        (BUCHAREST, "en", ""),
        ("", "en", ""),
        ("Not/AZone", "en", ""),
    ],
)
def test_local_time_for_the_reader(reader: str, lang: str, expected: str) -> None:
    assert dates.local_time(EARLY_BIRD, BUCHAREST, reader, lang) == expected


def test_local_time_follows_dst_of_the_instant() -> None:
    # 2026-03-29 10:00 Belgrade is after the spring-forward (CEST, +02); Istanbul is +03.
    at = dt.datetime(2026, 3, 29, 10, 0, tzinfo=ZoneInfo("Europe/Belgrade"))
    assert dates.local_time(at, "Europe/Belgrade", "Europe/Istanbul", "en") == (
        " · 11:00 (Istanbul, GMT+03:00)"
    )
    before = dt.datetime(2026, 3, 28, 10, 0, tzinfo=ZoneInfo("Europe/Belgrade"))
    assert dates.local_time(before, "Europe/Belgrade", "Europe/Istanbul", "en") == (
        " · 12:00 (Istanbul, GMT+03:00)"
    )
