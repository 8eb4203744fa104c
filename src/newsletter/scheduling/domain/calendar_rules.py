"""Days and hours on which the network does not send: weekends, public holidays, quiet hours.

Movable feasts are computed, never typed in: Gregorian (Catholic) Easter with the
Meeus/Jones/Butcher algorithm, Julian (Orthodox) Easter with Meeus' Julian algorithm plus the
Julian -> Gregorian offset (13 days from 1900 to 2099). Fixed holidays are listed per country
as national law had them in 2025; one-off days (a bridge day, a lunar feast such as Ramazan
Bayramı, which is not computed here) go in ``scheduling.extra_holidays``.

Pure: no clock, no settings. Callers pass local (naive) wall-clock times of the zone whose
calendar applies.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache


def gregorian_easter(year: int) -> dt.date:
    """Western Easter Sunday (Meeus/Jones/Butcher, valid for every Gregorian year)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def orthodox_easter(year: int) -> dt.date:
    """Orthodox Easter Sunday as a Gregorian date (Meeus' Julian algorithm + calendar offset)."""
    a, b, c = year % 4, year % 7, year % 19
    d = (19 * c + 15) % 30
    e = (2 * a + 4 * b - d + 34) % 7
    month, day = divmod(d + e + 114, 31)
    # The Julian date (March/April, so no Feb-29 difference) shifted by the days the Julian
    # calendar lags behind in this century: 13 for 1900-2099.
    offset = year // 100 - year // 400 - 2
    return dt.date(year, month, day + 1) + dt.timedelta(days=offset)


@dataclass(frozen=True)
class HolidayCalendar:
    """A country's public holidays: fixed (month, day) plus offsets from either Easter."""

    name: str
    fixed: tuple[tuple[int, int], ...] = ()
    orthodox: tuple[int, ...] = ()  # days after Orthodox Easter Sunday (-2 = Good Friday)
    catholic: tuple[int, ...] = ()  # days after Catholic Easter Sunday (1 = Easter Monday)

    def dates(self, year: int) -> frozenset[dt.date]:
        return _dates(self, year)

    def is_holiday(self, day: dt.date) -> bool:
        return day in self.dates(day.year)


@lru_cache(maxsize=512)
def _dates(calendar: HolidayCalendar, year: int) -> frozenset[dt.date]:
    found = {dt.date(year, m, d) for m, d in calendar.fixed}
    found |= {orthodox_easter(year) + dt.timedelta(days=n) for n in calendar.orthodox}
    found |= {gregorian_easter(year) + dt.timedelta(days=n) for n in calendar.catholic}
    return frozenset(found)


#: Public holidays of the network's countries (work-free days for everyone, 2025 law).
PRESETS: dict[str, HolidayCalendar] = {
    calendar.name: calendar
    for calendar in (
        # Serbia: New Year, Orthodox Christmas, Statehood Day, Labour Day, Armistice Day;
        # Orthodox Good Friday to Easter Monday.
        HolidayCalendar(
            "RS",
            ((1, 1), (1, 2), (1, 7), (2, 15), (2, 16), (5, 1), (5, 2), (11, 11)),
            orthodox=(-2, -1, 0, 1),
        ),
        HolidayCalendar(
            "BG",
            (
                (1, 1),
                (3, 3),
                (5, 1),
                (5, 6),
                (5, 24),
                (9, 6),
                (9, 22),
                (12, 24),
                (12, 25),
                (12, 26),
            ),
            orthodox=(-2, -1, 0, 1),
        ),
        # Romania: Orthodox Good Friday, Easter, Easter Monday, Pentecost and Whit Monday.
        HolidayCalendar(
            "RO",
            (
                (1, 1),
                (1, 2),
                (1, 6),
                (1, 7),
                (1, 24),
                (5, 1),
                (6, 1),
                (8, 15),
                (11, 30),
                (12, 1),
                (12, 25),
                (12, 26),
            ),
            orthodox=(-2, 0, 1, 49, 50),
        ),
        HolidayCalendar(
            "MK",
            ((1, 1), (1, 7), (5, 1), (5, 24), (8, 2), (9, 8), (10, 11), (10, 23), (12, 8)),
            orthodox=(1,),
        ),
        # Greece: Clean Monday (-48), Good Friday, Easter, Easter Monday, Whit Monday.
        HolidayCalendar(
            "GR",
            ((1, 1), (1, 6), (3, 25), (5, 1), (8, 15), (10, 28), (12, 25), (12, 26)),
            orthodox=(-48, -2, 0, 1, 50),
        ),
        # Croatia: Easter, Easter Monday and Corpus Christi follow the Catholic Easter.
        HolidayCalendar(
            "HR",
            (
                (1, 1),
                (1, 6),
                (5, 1),
                (5, 30),
                (6, 22),
                (8, 5),
                (8, 15),
                (11, 1),
                (11, 18),
                (12, 25),
                (12, 26),
            ),
            catholic=(0, 1, 60),
        ),
        # Albania keeps both Easters.
        HolidayCalendar(
            "AL",
            ((1, 1), (1, 2), (3, 14), (3, 22), (5, 1), (11, 28), (11, 29), (12, 8), (12, 25)),
            orthodox=(0, 1),
            catholic=(0, 1),
        ),
        HolidayCalendar("TR", ((1, 1), (4, 23), (5, 1), (5, 19), (7, 15), (8, 30), (10, 29))),
    )
}


@dataclass(frozen=True)
class SendingRules:
    """When we may send: not in quiet hours, not on skipped days (weekends, holidays)."""

    quiet_start: dt.time | None = None  # e.g. 21:00; the window may wrap past midnight
    quiet_end: dt.time | None = None  # e.g. 08:00
    skip_weekends: bool = False
    holidays: tuple[HolidayCalendar, ...] = ()
    extra_holidays: frozenset[dt.date] = field(default_factory=frozenset)

    @classmethod
    def none(cls) -> SendingRules:
        return cls()

    def skips(self, day: dt.date) -> bool:
        if self.skip_weekends and day.weekday() >= 5:
            return True
        return day in self.extra_holidays or any(h.is_holiday(day) for h in self.holidays)

    def is_quiet(self, at: dt.time) -> bool:
        start, end = self.quiet_start, self.quiet_end
        if start is None or end is None or start == end:
            return False
        if start < end:
            return start <= at < end
        return at >= start or at < end  # wraps midnight, e.g. 21:00-08:00

    def allows(self, local: dt.datetime) -> bool:
        return not self.skips(local.date()) and not self.is_quiet(local.time())

    def later_allowed(self, local: dt.datetime) -> dt.datetime:
        """The first allowed wall-clock moment at or after ``local`` (sends move forward)."""
        for _ in range(800):  # > two years of consecutive skipped days would be a config error
            local = self._after_quiet(local)
            if not self.skips(local.date()):
                return local
            local = dt.datetime.combine(local.date() + dt.timedelta(days=1), local.time())
        raise ValueError("no allowed sending day within two years; check scheduling rules")

    def earlier_allowed(self, local: dt.datetime) -> dt.datetime:
        """For reminders: quiet hours move forward to their end (a reminder set for 03:30 goes
        at 08:00), a skipped day moves back to the previous allowed day at the same time, so
        the reminder still comes before its deadline (the caller checks that it does)."""
        local = self._after_quiet(local)
        for _ in range(800):
            if not self.skips(local.date()):
                return local
            local -= dt.timedelta(days=1)
        raise ValueError("no allowed sending day within two years; check scheduling rules")

    def _after_quiet(self, local: dt.datetime) -> dt.datetime:
        if not self.is_quiet(local.time()):
            return local
        assert self.quiet_end is not None
        day = local.date()
        if local.time() >= self.quiet_end:  # the evening part of a window that wraps midnight
            day += dt.timedelta(days=1)
        return dt.datetime.combine(day, self.quiet_end)


def rules_for(
    regions: Iterable[str],
    *,
    quiet: tuple[dt.time, dt.time] | None,
    skip_weekends: bool,
    extra: Iterable[dt.date] = (),
) -> SendingRules:
    """Build rules from configured region codes; an unknown code is a ValueError."""
    calendars = []
    for code in regions:
        if code.upper() not in PRESETS:
            raise ValueError(f"no holiday calendar for {code!r}; known: {', '.join(PRESETS)}")
        calendars.append(PRESETS[code.upper()])
    return SendingRules(
        quiet_start=quiet[0] if quiet else None,
        quiet_end=quiet[1] if quiet else None,
        skip_weekends=skip_weekends,
        holidays=tuple(calendars),
        extra_holidays=frozenset(extra),
    )
