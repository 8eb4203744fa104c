"""Dates, money and deadlines per locale (Babel/CLDR), and a deadline in the reader's zone."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from babel import Locale
from babel.dates import format_date, format_datetime, format_interval, format_skeleton

from newsletter.content.rendering import dates

NBSP, NNBSP, THIN = "\xa0", "\u202f", "\u2009"


def plain(text: str) -> str:
    return text.replace(NBSP, " ").replace(NNBSP, " ").replace(THIN, " ")


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "22 – 23 October 2015"),  # British, as the copy writes dates (CLDR en_GB)
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
    assert plain(dates.daterange("2015-09-30", "2015-10-02", "sr-Cyrl")) == (
        "30. септембар – 2. октобар 2015."
    )
    assert plain(dates.daterange("2015-12-30", "2016-01-02", "en")) == (
        "30 December 2015 – 2 January 2016"
    )
    assert plain(dates.daterange("2015-10-22", "2015-10-22", "en")) == "22 October 2015"


FIRST, LAST = dt.date(2015, 10, 22), dt.date(2015, 10, 23)


@pytest.mark.parametrize("lang", ["en", "bg", "ro", "mk", "tr"])
@pytest.mark.parametrize(("first", "last"), [(FIRST, LAST), (dt.date(2015, 9, 30), LAST)])
def test_daterange_is_cldrs_interval_with_the_month_written_out(
    lang: str, first: dt.date, last: dt.date
) -> None:
    """Babel's own interval for the locale; where CLDR only has the abbreviated-month
    skeleton, with the month widened (Serbian, which writes the ordinal dot once, aside)."""
    locale = dates.babel_locale(lang)
    skeleton = "yMMMMd" if "yMMMMd" in Locale.parse(locale).interval_formats else "yMMMd"
    cldr = format_interval(first, last, skeleton, locale=locale)
    if skeleton == "yMMMd":
        for day in {first, last}:
            short = re.escape(format_date(day, "MMM", locale=locale))
            full = format_date(day, "MMMM", locale=locale)
            cldr = re.sub(rf"(?<!\w){short}(?!\w)", full, cldr)
    assert plain(dates.daterange(first, last, lang)) == plain(cldr)


@pytest.mark.parametrize("lang", ["en", "sr-Cyrl", "sr-Latn", "ro", "mk", "tr"])
def test_date_and_time_are_joined_as_cldr_joins_them(lang: str) -> None:
    """No separator of our own: Babel's long date-time (date, CLDR's join, then a time with
    seconds and zone) begins with exactly what the deadline shows."""
    locale = dates.babel_locale(lang)
    at = dt.datetime(2015, 10, 2, 23, 59, tzinfo=ZoneInfo("Europe/Bucharest"))
    shown = dates.date_time(at, lang)
    assert plain(format_datetime(at, "long", tzinfo=at.tzinfo, locale=locale)).startswith(
        plain(shown)
    )
    assert shown.endswith(format_skeleton("Hm", at, tzinfo=at.tzinfo, locale=locale))


def test_date_and_time_in_british_english_serbian_and_bulgarian() -> None:
    at = dt.datetime(2015, 10, 2, 23, 59, tzinfo=ZoneInfo("Europe/Bucharest"))
    assert dates.date_time(at, "en") == f"2{NBSP}October 2015, 23:59"
    assert dates.date_time(at, "sr-Cyrl") == f"2.{NBSP}октобар 2015. 23:59"  # no comma in CLDR
    assert plain(dates.date_time(at, "bg")) == "2 октомври 2015 г., 23:59 ч."


@pytest.mark.parametrize(
    ("lang", "day_and_month"),
    [("sr-Cyrl", "2.\xa0октобар"), ("sr-Latn", "2.\xa0oktobar"), ("en", "2\xa0October"),
     ("bg", "2\xa0октомври"), ("tr", "2\xa0Ekim")],
)  # fmt: skip
def test_a_day_never_parts_from_its_month(lang: str, day_and_month: str) -> None:
    assert day_and_month in dates.date("2015-10-02", lang)
    assert day_and_month in dates.daterange("2015-10-01", "2015-10-02", lang)


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
        ("Asia/Seoul", "en", f" · 3{NBSP}October, 05:59 (Seoul, GMT+09:00)"),
        ("Asia/Seoul", "sr-Cyrl", f" · 3.{NBSP}октобар 05:59 (Сеул, GMT+09:00)"),
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
