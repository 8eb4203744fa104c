"""Dates, times, money and numbers in the reader's language (Babel, CLDR data).

Templates reach these as filters (see :mod:`environment`). Each language is written in a CLDR
locale (:data:`LOCALES`: English in its British form, as the network's copy writes it), and a
date and a time are joined the way that locale joins them (CLDR's dateTimeFormat: "2 October
2015, 23:59", "2. октобар 2015. 23:59"), never by a separator of our own. A date keeps its day
and month together with a no-break space, so "2. октобар" does not break at phone width.

Two things CLDR does not do the way the network writes: a range of days with the month written
out ("22–23. октобар 2015.", where CLDR's nearest interval pattern abbreviates the month), and
a deadline shown both in its official zone and in the reader's own (:func:`local_time`,
computed per recipient as a merge field because a variant is rendered once for readers in
many zones).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import (
    format_date,
    format_datetime,
    format_skeleton,
    get_datetime_format,
    parse_pattern,
)
from babel.numbers import format_currency, format_decimal

Day = dt.date | str

#: The CLDR locale of a language where it is not the language's own tag: the network's
#: English is British ("22–23 October 2015", not CLDR's default US "October 22 – 23, 2015").
LOCALES: dict[str, str] = {"en": "en_GB"}
NBSP = "\xa0"
#: The space between a day and its month ("2. октобар", "23 October", "October 23").
_DAY_MONTH = re.compile(r"(?<=\d)(\.?) (?=[^\W\d_])|(?<=[^\W\d_]) (?=\d{1,2}(?!\d))")


def babel_locale(lang: str) -> str:
    """BCP 47 (``sr-Cyrl``) to the CLDR identifier Babel expects (``sr_Cyrl``), through
    :data:`LOCALES` (``en`` is ``en_GB``)."""
    return LOCALES.get(lang) or lang.replace("-", "_")


def keep_day_with_month(text: str) -> str:
    """A no-break space between a day and its month, so a narrow screen never puts them on
    two lines ("2." at the end of one, "октобар" at the start of the next)."""
    return _DAY_MONTH.sub(lambda found: (found.group(1) or "") + NBSP, text)


def join_date_and_time(day: str, clock: str, lang: str) -> str:
    """A date and a time as the locale joins them: CLDR's dateTimeFormat for long dates,
    with its quoted literals unquoted as Babel's own ``format_datetime`` does."""
    pattern = str(get_datetime_format("long", locale=babel_locale(lang)))
    return pattern.replace("'", "").replace("{1}", day).replace("{0}", clock)


def _day(value: Day) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def date(value: Day, lang: str, fmt: str = "long") -> str:
    return keep_day_with_month(format_date(_day(value), format=fmt, locale=babel_locale(lang)))


def daterange(start: Day, end: Day, lang: str) -> str:
    """Two days with the month written out, sharing what they share: "22 – 23 October 2015",
    "22–23. октобар 2015.", "22 – 23 октомври 2015 г."."""
    first, last = _day(start), _day(end)
    if first == last:
        return date(first, lang)
    locale = Locale.parse(babel_locale(lang))
    formats = locale.interval_formats
    widen = "yMMMMd" not in formats  # most locales only have the abbreviated-month skeleton
    table = formats["yMMMMd" if not widen else "yMMMd"]
    field = "y" if first.year != last.year else "M" if first.month != last.month else "d"
    patterns = list(table[field])
    if widen:
        patterns = [p.replace("MMM", "MMMM").replace("dd", "d") for p in patterns]
    if locale.language == "sr" and field == "d":
        # Serbian writes the ordinal dot once, after the range: "22–23. октобар 2015."
        # (CLDR gives "22.–23."); the form used in the network's own Serbian copy.
        patterns[0] = patterns[0].replace("d.", "d")
    return keep_day_with_month(
        "".join(
            parse_pattern(pattern).apply(day, locale)
            for pattern, day in zip(patterns, (first, last), strict=True)
        )
    )


def time(value: dt.datetime, lang: str) -> str:
    """The wall-clock time in the value's own zone ("23:59", bg "23:59 ч.")."""
    return format_skeleton("Hm", value, tzinfo=value.tzinfo, locale=babel_locale(lang))


def date_time(value: dt.datetime, lang: str) -> str:
    """The long date and the wall-clock time in the value's own zone, joined as the locale
    joins them: "2 October 2015, 23:59", "2. октобар 2015. 23:59"."""
    return join_date_and_time(date(value, lang), time(value, lang), lang)


def zone(value: dt.datetime, lang: str) -> str:
    """The value's zone as its city and UTC offset at that instant: "Sofia, GMT+02:00"."""
    locale = babel_locale(lang)
    city = format_datetime(value, "VVV", tzinfo=value.tzinfo, locale=locale)
    offset = format_datetime(value, "OOOO", tzinfo=value.tzinfo, locale=locale)
    return f"{city}, {offset}"


def datetime(value: dt.datetime, lang: str, fmt: str = "long") -> str:
    return format_datetime(value, format=fmt, tzinfo=value.tzinfo, locale=babel_locale(lang))


def money(amount: Decimal | float | str, currency: str, lang: str) -> str:
    """CLDR currency format: en "€12,687,304.24", sr "12.687.304,24 €", bg "12 687 304,24 €"."""
    return format_currency(Decimal(str(amount)), currency, locale=babel_locale(lang))


def number(value: Decimal | float | int | str, lang: str) -> str:
    return format_decimal(Decimal(str(value)), locale=babel_locale(lang))


@lru_cache(maxsize=4096)
def local_time(instant: dt.datetime, official: str, reader: str, lang: str) -> str:
    """`` · 22:59 (Belgrade, GMT+02:00)``: a deadline in the reader's zone, to follow the
    official time; empty when the reader's zone is unknown or shows the same wall-clock time.

    Cached: a 100,000-member send asks for a few dozen distinct (deadline, zone, language)
    combinations. The leading separator is part of the value so an empty value leaves no
    trace; it is language-neutral, and the words (city, month) come from CLDR.
    """
    if not reader or reader == official:
        return ""
    try:
        theirs = ZoneInfo(reader)
        ours = ZoneInfo(official)
    except (ZoneInfoNotFoundError, ValueError):
        return ""
    here, there = instant.astimezone(ours), instant.astimezone(theirs)
    if here.utcoffset() == there.utcoffset():
        return ""
    locale = babel_locale(lang)
    when = time(there, lang)
    if there.date() != here.date():
        day = format_skeleton("MMMMd", there, tzinfo=theirs, locale=locale)
        when = join_date_and_time(keep_day_with_month(day), when, lang)
    return f" · {when} ({zone(there, lang)})"
