"""The staff calendar: everything scheduled in one month, across campaigns.

It is the schedule the dispatcher works from (``schedule timeline``: campaign sends, reminder
steps, "deadline extended" notices, recurring runs, with their state and today's audience),
laid out by local day in one zone, plus the runs of each recurring send that its crontab rule
gives later in the month: the schedule holds only the next run of a rule, the calendar shows
them all, marked ``planned``.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from newsletter.errors import InputError
from newsletter.scheduling.domain.rules import resolve_local
from newsletter.scheduling.ports import Scheduling
from newsletter.scheduling.timeline import timeline

#: Runs of one recurring rule shown per month; an every-minute rule would otherwise be 44,640.
MAX_PROJECTED = 62
PLANNED = "planned"


@dataclass(frozen=True, slots=True)
class CalendarItem:
    local: dt.datetime  # in the calendar's zone
    campaign: str
    step: str
    kind: str  # send | reminder | notice | recurring
    state: str  # the schedule row's state, or "planned" for a run the rule gives later
    audience: int | None = None
    zone_group: str = ""
    reason: str = ""

    @property
    def projected(self) -> bool:
        return self.state == PLANNED


@dataclass(frozen=True, slots=True)
class CalendarDay:
    day: dt.date
    in_month: bool
    items: tuple[CalendarItem, ...]


@dataclass
class MonthView:
    year: int
    month: int
    zone: str
    weeks: list[list[CalendarDay]]
    items: list[CalendarItem]
    notes: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"{calendar.month_name[self.month]} {self.year}"

    @property
    def previous(self) -> str:
        return _shift(self.year, self.month, -1)

    @property
    def next(self) -> str:
        return _shift(self.year, self.month, 1)


def _shift(year: int, month: int, by: int) -> str:
    index = year * 12 + month - 1 + by
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def parse_month(text: str, today: dt.date) -> tuple[int, int]:
    """``2015-10`` -> (2015, 10); empty -> the month of ``today``."""
    if not text:
        return today.year, today.month
    try:
        year, month = (int(part) for part in text.split("-", 1))
        dt.date(year, month, 1)
    except ValueError as exc:
        raise InputError(f"not a month like 2015-10: {text!r}", location="month") from exc
    if not 1970 <= year <= 9999:
        raise InputError(f"not a month like 2015-10: {text!r}", location="month")
    return year, month


def check_zone(zone: str) -> str:
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InputError(f"unknown time zone {zone!r}", location="tz") from exc
    return zone


def month_view(sched: Scheduling, year: int, month: int, zone: str | None = None) -> MonthView:
    """The month as weeks (Monday first, as in the network's countries) of days with items."""
    zone = check_zone(zone or sched.default_zone)
    tz = ZoneInfo(zone)
    since = resolve_local(dt.datetime(year, month, 1), zone)
    ny, nm = divmod(year * 12 + month, 12)
    until = resolve_local(dt.datetime(ny, nm + 1, 1), zone)
    items = [
        CalendarItem(
            row.due_utc.astimezone(tz),
            row.campaign,
            row.step,
            row.kind,
            row.state,
            row.audience,
            row.zone_group,
            row.reason,
        )
        for row in timeline(sched, since, until)
    ]
    notes: list[str] = []
    items += _projected(sched, since, until, tz, {(i.campaign, i.local) for i in items}, notes)
    items.sort(key=lambda i: (i.local, i.campaign, i.step, i.zone_group))
    by_day: dict[dt.date, list[CalendarItem]] = {}
    for item in items:
        by_day.setdefault(item.local.date(), []).append(item)
    weeks = [
        [CalendarDay(day, day.month == month, tuple(by_day.get(day, ()))) for day in week]
        for week in calendar.Calendar(firstweekday=calendar.MONDAY).monthdatescalendar(year, month)
    ]
    return MonthView(year, month, zone, weeks, items, notes)


def _projected(
    sched: Scheduling,
    since: dt.datetime,
    until: dt.datetime,
    tz: ZoneInfo,
    scheduled: set[tuple[str, dt.datetime]],
    notes: list[str],
) -> list[CalendarItem]:
    found: list[CalendarItem] = []
    for rec in sched.store.recurrences():
        if not rec.active:
            continue
        # Only runs still to come: a past run is in the schedule, or it did not happen.
        after, shown = max(since - dt.timedelta(microseconds=1), sched.ctx.clock.now()), 0
        while (due := rec.next_after(after)) < until:
            after = due
            local = due.astimezone(tz)
            slug = rec.campaign_on(due.astimezone(ZoneInfo(rec.zone)).date())
            if (slug, local) in scheduled:
                continue
            if shown == MAX_PROJECTED:
                notes.append(
                    f"recurring send {rec.name}: only the first {MAX_PROJECTED} runs shown"
                )
                break
            found.append(CalendarItem(local, slug, "main", "recurring", PLANNED, reason=rec.rule))
            shown += 1
    return found
