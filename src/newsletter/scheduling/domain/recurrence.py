"""Recurring sends with crontab semantics, computed here rather than by APScheduler's CronTrigger.

Two traps this avoids (both pinned against the installed APScheduler in tests/scheduling/):

- **Day of week.** In crontab 0 and 7 are Sunday and 1 is Monday; APScheduler 3.x's
  ``CronTrigger`` (and its ``from_crontab``) counts 0 = Monday, so ``0 9 * * 0`` fires on
  Mondays there. We read numbers the crontab way and give APScheduler only day *names*
  (:meth:`CronRule.apscheduler_fields`).
- **DST.** Local times resolve like every other schedule (:func:`resolve_local`: a time in the
  spring gap moves forward, a time in the autumn fold fires once); ``CronTrigger`` fires twice.

Syntax: ``minute hour day-of-month month day-of-week`` with ``*``, lists, ranges, steps, names
(``jan``, ``mon``) and ``mon#1`` for "the first Monday of the month". As in Vixie cron, when both
day fields are restricted a day matching either one runs (``0 10 1-7 * mon`` is "days 1-7 and
every Monday", not "the first Monday": write ``0 10 * * mon#1`` for that).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from newsletter.scheduling.domain.rules import resolve_local, wall_clock

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # crontab order: 0 = Sunday
_PY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # Python weekday() order
_ORDINAL = {1: "1st", 2: "2nd", 3: "3rd", 4: "4th", 5: "5th"}


@dataclass(frozen=True)
class CronRule:
    text: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # Python numbering: 0 = Monday ... 6 = Sunday
    nth: frozenset[tuple[int, int]]  # (Python weekday, n): the n-th such day of the month
    days_restricted: bool
    weekdays_restricted: bool

    @classmethod
    def parse(cls, text: str) -> CronRule:
        parts = text.split()
        if len(parts) != 5:
            raise ValueError(f"{text!r}: a cron rule has 5 fields: minute hour day month weekday")
        minute, hour, day, month, weekday = parts
        weekdays: set[int] = set()
        nth: set[tuple[int, int]] = set()
        for item in weekday.lower().split(","):
            if "#" in item:
                name, _, n = item.partition("#")
                (cron_day,) = _values(name, 0, 7, _DAYS, "day of week")
                if not n.isdigit() or not 1 <= int(n) <= 5:
                    raise ValueError(f"{item!r}: '#n' takes n from 1 to 5")
                nth.add(((cron_day - 1) % 7, int(n)))
            else:
                weekdays |= {(d - 1) % 7 for d in _values(item, 0, 7, _DAYS, "day of week")}
        return cls(
            text=text,
            minutes=frozenset(_values(minute, 0, 59, (), "minute")),
            hours=frozenset(_values(hour, 0, 23, (), "hour")),
            days=frozenset(_values(day, 1, 31, (), "day of month")),
            months=frozenset(_values(month, 1, 12, _MONTHS, "month", offset=1)),
            weekdays=frozenset(weekdays),
            nth=frozenset(nth),
            days_restricted=not day.startswith("*"),
            weekdays_restricted=not weekday.startswith("*"),
        )

    def runs_on(self, day: dt.date) -> bool:
        if day.month not in self.months:
            return False
        by_day = day.day in self.days
        by_weekday = day.weekday() in self.weekdays or (
            (day.weekday(), (day.day - 1) // 7 + 1) in self.nth
        )
        if self.days_restricted and self.weekdays_restricted:
            return by_day or by_weekday  # Vixie cron: either one
        return by_day and by_weekday

    def next_after(self, after: dt.datetime, zone: str) -> dt.datetime:
        """The first run strictly after the UTC instant ``after``, as a UTC instant."""
        times = sorted(dt.time(h, m) for h in self.hours for m in self.minutes)
        day = wall_clock(after, zone).date()
        for _ in range(366 * 8):  # 29 February on a Monday recurs within 28 years; 8 is plenty
            if self.runs_on(day):
                for at in times:
                    instant = resolve_local(dt.datetime.combine(day, at), zone)
                    if instant > after:
                        return instant
            day += dt.timedelta(days=1)
        raise ValueError(f"{self.text!r} never runs")

    def apscheduler_fields(self) -> dict[str, str] | None:
        """The same rule as APScheduler 3.x ``CronTrigger`` keyword arguments, with day names
        (never numbers: 0 is Monday there). None when APScheduler cannot say it (both day
        fields restricted is OR in cron, AND in APScheduler)."""
        if self.days_restricted and self.weekdays_restricted:
            return None
        fields = {
            "minute": _join(self.minutes, range(60)),
            "hour": _join(self.hours, range(24)),
            "month": _join(self.months, range(1, 13)),
            "day": _join(self.days) if self.days_restricted else "*",
        }
        if self.nth:
            if self.weekdays or self.days_restricted:
                return None
            fields["day"] = ",".join(f"{_ORDINAL[n]} {_PY_NAMES[d]}" for d, n in sorted(self.nth))
            fields["day_of_week"] = "*"
        else:
            names = sorted(self.weekdays)
            restricted = self.weekdays_restricted
            fields["day_of_week"] = ",".join(_PY_NAMES[d] for d in names) if restricted else "*"
        return fields


def _join(values: frozenset[int], every: range | None = None) -> str:
    if every is not None and values == frozenset(every):
        return "*"
    return ",".join(str(v) for v in sorted(values))


def _values(
    field: str, lo: int, hi: int, names: tuple[str, ...], what: str, offset: int = 0
) -> set[int]:
    found: set[int] = set()
    for item in field.lower().split(","):
        body, _, step_text = item.partition("/")
        step = int(step_text) if step_text.isdigit() and int(step_text) > 0 else None
        if step_text and step is None:
            raise ValueError(f"{item!r}: a step must be a positive number ({what})")
        if body == "*":
            start, end = lo, (6 if names is _DAYS else hi)
        elif "-" in body:
            first, _, last = body.partition("-")
            start, end = (
                _one(first, lo, hi, names, what, offset),
                _one(last, lo, hi, names, what, offset),
            )
        else:
            start = _one(body, lo, hi, names, what, offset)
            end = hi if step else start
        if start > end:
            raise ValueError(f"{item!r}: range runs backwards ({what})")
        found.update(range(start, end + 1, step or 1))
    return found


def _one(text: str, lo: int, hi: int, names: tuple[str, ...], what: str, offset: int) -> int:
    if text in names:
        return names.index(text) + offset
    if not text.isdigit() or not lo <= int(text) <= hi:
        raise ValueError(f"{text!r} is not a valid {what} ({lo}-{hi} or a name)")
    return int(text)


@dataclass(frozen=True)
class Recurrence:
    """A recurring send: each run sends the campaign whose slug the pattern gives for that
    local date (``network-digest-{date:%Y-%m}``), since every digest has its own content."""

    name: str
    campaign: str
    rule: str
    zone: str
    active: bool = True

    def __post_init__(self) -> None:
        CronRule.parse(self.rule)
        if "{date" not in self.campaign:
            # The ledger sends a campaign once per member: a fixed slug would go out once.
            raise ValueError(
                f"campaign pattern {self.campaign!r} needs a {{date:...}} part, e.g. "
                "network-digest-{date:%Y-%m}: each run sends its own campaign"
            )
        self.campaign_on(dt.date(2000, 1, 1))

    def campaign_on(self, day: dt.date) -> str:
        try:
            return self.campaign.format(date=day)
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(
                f"campaign pattern {self.campaign!r}: only {{date:...}} may be used ({exc})"
            ) from exc

    def next_after(self, after: dt.datetime) -> dt.datetime:
        return CronRule.parse(self.rule).next_after(after, self.zone)
