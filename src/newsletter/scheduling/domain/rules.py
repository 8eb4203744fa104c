"""What should go out when, and whether something due may still go out.

The database holds one :class:`ScheduleEntry` per (campaign, step, time-zone group); this module
holds the rules the scheduler applies to them. Times are UTC instants plus the IANA zone whose
wall clock they were decided in (IANA time zone database names, e.g. ``Europe/Sofia``).

Wall-clock resolution (:func:`resolve_local`), pinned by tests for the network's zones:

- a local time that does not exist (the spring-forward gap, 02:00-03:00 in Belgrade) is shifted
  forward by the gap: 02:30 becomes 03:30 local, the same instant as 02:30 in the old offset;
- a local time that exists twice (the autumn fall-back) means its first occurrence (fold=0),
  so a job at 03:30 in Sofia on that day fires once, not twice as APScheduler's CronTrigger
  would (tests/scheduling/test_leader.py pins that behaviour of the installed version).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from zoneinfo import ZoneInfo

from newsletter.audiences.domain.segments import AllRule, FieldRule, Rule, Segment
from newsletter.scheduling.domain.calendar_rules import SendingRules

UTC = dt.UTC


class ScheduleState(StrEnum):
    SCHEDULED = "scheduled"
    SENDING = "sending"  # claimed by a dispatcher; a crashed one's claim is taken over
    SENT = "sent"
    CANCELLED = "cancelled"
    PAUSED = "paused"
    SKIPPED = "skipped"
    #: Waiting for an approval: the campaign is not approved as it is now (edited after its
    #: approval, or never approved). Approving the current version makes it scheduled again.
    HELD = "held"


#: States a staff action (pause, cancel, reschedule) may still change.
PENDING = frozenset({ScheduleState.SCHEDULED, ScheduleState.PAUSED, ScheduleState.HELD})


class ScheduleKind(StrEnum):
    SEND = "send"  # the announcement itself
    REMINDER = "reminder"  # a step before a milestone
    NOTICE = "notice"  # "deadline extended", to those already reminded
    RECURRING = "recurring"  # one occurrence of a recurring send


@dataclass(frozen=True)
class ScheduleEntry:
    """One row of the schedule: a campaign step due at an instant, for a zone group."""

    campaign: str
    step: str
    kind: ScheduleKind
    due_at: dt.datetime  # UTC; staleness is measured from here
    zone: str  # the official zone the time was decided in
    zone_group: str = ""  # "" = the whole audience; a zone = only members living in it
    milestone: str | None = None
    milestone_version: int | None = None
    expires_at: dt.datetime | None = None  # never fires at or after this (the milestone)
    state: ScheduleState = ScheduleState.SCHEDULED
    reason: str = ""
    # Next look: a retry or a late-joiner catch-up; None = at due_at while scheduled.
    attempt_at: dt.datetime | None = None
    fired_at: dt.datetime | None = None
    recurrence: str | None = None
    id: int | None = None

    @property
    def local_due(self) -> dt.datetime:
        return self.due_at.astimezone(ZoneInfo(self.zone_group or self.zone))


def resolve_local(local: dt.datetime, zone: str) -> dt.datetime:
    """A naive wall-clock time in ``zone`` -> the UTC instant (gap: forward; fold: first)."""
    return local.replace(tzinfo=ZoneInfo(zone), fold=0).astimezone(UTC)


def local_anomaly(local: dt.datetime, zone: str) -> str | None:
    """'nonexistent' or 'ambiguous' when ``local`` falls in a DST change, else None."""
    z = ZoneInfo(zone)
    first, second = local.replace(tzinfo=z, fold=0), local.replace(tzinfo=z, fold=1)
    if first.astimezone(UTC).astimezone(z).replace(tzinfo=None) != local:
        return "nonexistent"
    return "ambiguous" if first.utcoffset() != second.utcoffset() else None


def wall_clock(instant: dt.datetime, zone: str) -> dt.datetime:
    """The naive local time of a UTC instant in ``zone``."""
    return instant.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def local_day_bounds(instant: dt.datetime, zone: str) -> tuple[dt.datetime, dt.datetime]:
    """[midnight, next midnight) of the local day containing ``instant``, as UTC instants
    (23 or 25 hours long on DST change days). The daily reminder cap counts in this window."""
    day = wall_clock(instant, zone).date()
    start = resolve_local(dt.datetime.combine(day, dt.time()), zone)
    end = resolve_local(dt.datetime.combine(day + dt.timedelta(days=1), dt.time()), zone)
    return start, end


@dataclass(frozen=True)
class SchedulePolicy:
    """How late each kind may still go out (``scheduling.max_late_*_hours``), the daily reminder
    cap, and how often a failed dispatch is retried. Beyond the staleness limit nothing is sent
    automatically: the entry is skipped with a reason asking staff to confirm."""

    max_staleness: Mapping[ScheduleKind, dt.timedelta] = field(
        default_factory=lambda: {
            ScheduleKind.SEND: dt.timedelta(hours=2),
            ScheduleKind.RECURRING: dt.timedelta(hours=2),
            ScheduleKind.REMINDER: dt.timedelta(hours=12),
            ScheduleKind.NOTICE: dt.timedelta(hours=24),
        }
    )
    reminder_cap: int | None = 1  # reminders per member per local day, across campaigns
    catch_up: bool = True  # late joiners get the open reminder step at its next daily time
    retry_after: dt.timedelta = dt.timedelta(minutes=5)
    claim_for: dt.timedelta = dt.timedelta(minutes=30)


@dataclass(frozen=True)
class Decision:
    fire: bool
    reason: str = ""


def decide(entry: ScheduleEntry, now: dt.datetime, policy: SchedulePolicy) -> Decision:
    """May a due entry go out now? Never at or after its milestone, never later than its
    kind's staleness limit (a restored backup must not send old campaigns)."""
    if entry.expires_at is not None and now >= entry.expires_at:
        return Decision(
            False, f"its milestone passed ({_utc(entry.expires_at)}) before it went out"
        )
    if entry.state is ScheduleState.SENT:  # a catch-up run: its window is checked by the caller
        return Decision(True)
    late = now - entry.due_at
    limit = policy.max_staleness.get(entry.kind, dt.timedelta(hours=2))
    if late > limit:
        return Decision(
            False,
            f"{_hours(late)} late (limit {_hours(limit)} for a {entry.kind.value}): not sent "
            "automatically; send it by hand or reschedule it if it is still wanted",
        )
    return Decision(True)


def supersede(due: Iterable[ScheduleEntry]) -> tuple[list[ScheduleEntry], list[ScheduleEntry]]:
    """Of the reminder steps of one milestone that are due together (after an outage, or a
    member who joined late), only the latest goes out; the earlier ones are returned apart.
    Mautic sends late joiners the whole chain at once; we send the one still relevant."""
    entries = list(due)
    latest: dict[tuple[str, str | None, str], ScheduleEntry] = {}
    for entry in filter(_chained, entries):
        key = (entry.campaign, entry.milestone, entry.zone_group)
        if key not in latest or latest[key].due_at < entry.due_at:
            latest[key] = entry
    keep: list[ScheduleEntry] = []
    dropped: list[ScheduleEntry] = []
    for entry in entries:
        chained = _chained(entry)
        key = (entry.campaign, entry.milestone, entry.zone_group)
        (dropped if chained and latest[key] is not entry else keep).append(entry)
    return keep, dropped


def _chained(entry: ScheduleEntry) -> bool:
    return entry.kind is ScheduleKind.REMINDER and entry.state is ScheduleState.SCHEDULED


def next_catch_up(
    entry: ScheduleEntry, after: dt.datetime, window_end: dt.datetime | None, rules: SendingRules
) -> dt.datetime | None:
    """The next daily run of an open reminder step for members who joined since: the same
    local time on the next allowed day, while the step is still the latest one before its
    milestone (``window_end``: the next step's due time or the milestone)."""
    zone = entry.zone
    at = wall_clock(entry.due_at, zone).time()
    day = wall_clock(after, zone).date() + dt.timedelta(days=1)
    moment = resolve_local(rules.later_allowed(dt.datetime.combine(day, at)), zone)
    if window_end is not None and moment >= window_end:
        return None
    if entry.expires_at is not None and moment >= entry.expires_at:
        return None
    return moment


def group_zones(group: str, grouped: Collection[str], present: Collection[str]) -> tuple[str, ...]:
    """Member time zones a zone group covers: its own, or for the catch-all group "" the
    members with no zone on file and every zone that has no group of its own."""
    if group:
        return (group,)
    return tuple(sorted({""} | {z for z in present if z not in grouped}))


def _utc(instant: dt.datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _hours(delta: dt.timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} days"


def narrow_segment(segment: Segment, only: Rule) -> Segment:
    """The segment with one more condition ANDed in: a time-zone group of a per-member-time
    send, or nobody (:data:`NOBODY`) when the rows were planned beforehand."""
    rule = AllRule(all=(segment.rule, only)) if segment.rule is not None else only
    return segment.model_copy(update={"rule": rule})


def zone_rule(zones: Collection[str]) -> Rule:
    return FieldRule(field="timezone", op="in", value=tuple(sorted(zones)))


#: Plans no new rows: for sends whose rows the scheduler planned itself (notices).
NOBODY: Rule = FieldRule(field="email", op="in", value=())
