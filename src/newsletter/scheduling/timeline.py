"""What will go out when (``schedule timeline``), and a rehearsal of it on a virtual clock
(``schedule simulate``): the real dispatcher, the real send path, the outbox transport, a copy
of the database, and a clock that jumps from one due time to the next."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from newsletter.errors import NewsletterError
from newsletter.scheduling.dispatch import Fired, dispatch_due, plan_recurring
from newsletter.scheduling.domain.rules import (
    ScheduleEntry,
    ScheduleKind,
    ScheduleState,
    group_zones,
    local_anomaly,
    narrow_segment,
    wall_clock,
    zone_rule,
)
from newsletter.scheduling.ports import Scheduling


class SettableClock(Protocol):
    def now(self) -> dt.datetime: ...

    def set(self, at: dt.datetime) -> None: ...


@dataclass
class TimelineRow:
    due_utc: dt.datetime
    local: str  # wall-clock time in the official zone (or the member zone of a zone group)
    zone: str
    campaign: str
    step: str
    kind: str
    state: str
    zone_group: str = ""
    milestone: str | None = None
    audience: int | None = None  # members it would go to if it went out now
    reason: str = ""
    next_catch_up: dt.datetime | None = None
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def timeline(
    sched: Scheduling, since: dt.datetime | None = None, until: dt.datetime | None = None
) -> list[TimelineRow]:
    """Every schedule row due in [since, until), in due order, with today's audience size."""
    entries = sched.store.entries(since=since, until=until)
    sizes: dict[tuple[str, str, str], int | None] = {}
    holds: dict[str, str | None] = {}
    rows = []
    for entry in entries:
        if entry.state is ScheduleState.SCHEDULED:
            # Changed after approval another way than through the store (a file edited on
            # disk): say now what the dispatcher will do at the due time.
            if entry.campaign not in holds:
                holds[entry.campaign] = _hold_reason(sched, entry.campaign)
            if (why := holds[entry.campaign]) is not None:
                entry = replace(entry, state=ScheduleState.HELD, reason=why)
        key = (entry.campaign, entry.step, entry.zone_group)
        if key not in sizes:
            sizes[key] = _audience(sched, entry, entries)
        zone = entry.zone_group or entry.zone
        local = wall_clock(entry.due_at, zone)
        anomaly = local_anomaly(local, zone)
        rows.append(
            TimelineRow(
                due_utc=entry.due_at,
                local=entry.due_at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z"),
                zone=zone,
                campaign=entry.campaign,
                step=entry.step,
                kind=entry.kind.value,
                state=entry.state.value,
                zone_group=entry.zone_group,
                milestone=entry.milestone,
                audience=sizes[key],
                reason=entry.reason,
                next_catch_up=entry.attempt_at if entry.state is ScheduleState.SENT else None,
                note=f"local time {anomaly} (DST change)" if anomaly else "",
            )
        )
    return rows


def _hold_reason(sched: Scheduling, slug: str) -> str | None:
    try:
        campaign, where = sched.ctx.catalog.campaign(slug)
        return sched.ctx.approvals.hold_reason(campaign, where)
    except NewsletterError:
        return None  # an unreadable campaign: the dispatcher reports it when it is due


def _audience(sched: Scheduling, entry: ScheduleEntry, all_rows: list[ScheduleEntry]) -> int | None:
    if entry.kind is ScheduleKind.NOTICE:
        return None  # those already reminded: known when it goes out
    ctx = sched.ctx
    try:
        campaign, _ = ctx.catalog.campaign(entry.campaign)
        segment = ctx.catalog.segment(campaign.audience)
    except NewsletterError:
        return None  # e.g. a recurring digest whose file is not written yet
    grouped = {r.zone_group for r in all_rows if r.campaign == entry.campaign and r.zone_group}
    if grouped:
        zones = group_zones(entry.zone_group, grouped, sched.store.member_zones())
        segment = narrow_segment(segment, zone_rule(zones))
    return ctx.members.count(segment, campaign.topic)


@dataclass
class Rehearsal:
    since: dt.datetime
    until: dt.datetime
    fired: list[Fired] = field(default_factory=list)
    ticks: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def simulate(
    sched: Scheduling,
    clock: SettableClock,
    since: dt.datetime,
    until: dt.datetime,
    *,
    max_ticks: int = 100_000,
) -> Rehearsal:
    """Run the schedule from ``since`` to ``until``: the clock jumps to each next due time
    and the dispatcher runs there, exactly as the scheduler process would call it."""
    result = Rehearsal(since, until)
    clock.set(since)
    plan_recurring(sched, since)
    now = since
    while result.ticks < max_ticks:
        nxt = sched.store.next_attempt()
        if nxt is None or nxt >= until:
            break
        now = max(now, nxt)
        clock.set(now)
        result.fired.extend(dispatch_due(sched, now, holder="rehearsal").fired)
        result.ticks += 1
    clock.set(until)
    return result
