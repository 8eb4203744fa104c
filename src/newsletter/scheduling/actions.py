"""Staff actions on the schedule: schedule a campaign (its reminders are planned from the file
at the same time), cancel, pause, resume, move a milestone, and recurring sends."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from newsletter.content.composing import validate_campaign
from newsletter.content.domain.campaigns import CampaignDefinition
from newsletter.errors import CampaignError, InputError, StateError
from newsletter.scheduling.dispatch import plan_recurring
from newsletter.scheduling.domain.recurrence import Recurrence
from newsletter.scheduling.domain.reminders import (
    MOVED,
    MilestonePoint,
    plan_campaign,
    replan_milestone,
)
from newsletter.scheduling.domain.rules import (
    PENDING,
    ScheduleEntry,
    ScheduleKind,
    ScheduleState,
    local_anomaly,
    resolve_local,
)
from newsletter.scheduling.ports import Scheduling

S = ScheduleState
#: A send time this far in the past is refused, not "sent late".
PAST_TOLERANCE = dt.timedelta(minutes=5)
_GONE = (S.SENT, S.SENDING)


class MilestonePassedError(InputError):
    """The announcement would go out at or after a milestone it promotes (an early-bird price
    that has ended): refused unless the approver confirms, having read which."""


@dataclass
class Planned:
    campaign: str
    entries: list[ScheduleEntry] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sequence: int | None = None  # the moved milestone's version = .ics SEQUENCE


def zone_of(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InputError(
            f"unknown time zone {name!r} (use an IANA name like Europe/Sofia)"
        ) from exc
    return name


def wall_clock_in(at: dt.datetime, zone: str) -> dt.datetime:
    """A datetime given by staff -> naive wall clock in ``zone`` (an offset wins over --tz)."""
    return at.astimezone(ZoneInfo(zone)).replace(tzinfo=None) if at.tzinfo else at


def schedule_campaign(
    sched: Scheduling,
    ref: str,
    *,
    at: dt.datetime | None,
    zone: str | None,
    local_time: dt.time | None,
    now: dt.datetime,
    after_milestones: bool = False,
) -> Planned:
    """Plan the announcement at ``at`` (or only the reminders when ``at`` is None).
    ``after_milestones``: the approver confirmed sending after a milestone has passed."""
    ctx, store = sched.ctx, sched.store
    campaign, where = ctx.catalog.campaign(ref)
    checked = validate_campaign(ctx, ref)  # a campaign that cannot be composed is not planned
    if not checked.ok:
        raise CampaignError("; ".join(checked.problems[:5]))
    if at is not None:
        _refuse_sent_again(sched, campaign.slug)
    zone = zone_of(zone or sched.default_zone)
    result = Planned(campaign.slug)
    main_at = None
    if at is not None:
        main_at = wall_clock_in(at, zone)
        if local_time is not None:
            main_at = dt.datetime.combine(main_at.date(), local_time)
        if resolve_local(main_at, zone) < now - PAST_TOLERANCE:
            raise InputError(f"{main_at:%Y-%m-%d %H:%M} {zone} is in the past")
        if anomaly := local_anomaly(main_at, zone):
            result.notes.append(f"{main_at:%H:%M} is {anomaly} in {zone} that day: see timeline")
    stored = store.milestones(campaign.slug)
    points = {
        name: stored.get(name) or MilestonePoint.of(name, milestone)
        for name, milestone in campaign.milestones.items()
    }
    if main_at is not None and not after_milestones:
        _refuse_after_milestones(resolve_local(main_at, zone), points, campaign)
    for name, point in points.items():
        if name not in stored:
            store.save_milestone(campaign.slug, point, now=now)
    entries = plan_campaign(
        campaign,
        main_at=main_at,
        zone=zone,
        per_member_zone=local_time is not None,
        member_zones=store.member_zones() if local_time is not None else (),
        milestones=points,
        rules=sched.rules,
        now=now,
    )
    passed = sorted(e.zone_group for e in entries if e.zone_group and e.due_at < now)
    if passed:
        result.notes.append(
            f"{local_time} has already passed in {', '.join(passed)}: those members get it as "
            "soon as the scheduler runs, or not at all once it is too late (see timeline)"
        )
    hold = ctx.approvals.hold_reason(campaign, where)
    if hold is not None:  # scheduled from the CLI before an approval: say so from the start
        waiting = S.SCHEDULED
        entries = [
            replace(e, state=S.HELD, reason=hold) if e.state is waiting else e for e in entries
        ]
        result.notes.append(f"{hold}; the steps are held until then")
    result.entries = store.save(entries, now=now)
    return result


def _refuse_sent_again(sched: Scheduling, slug: str) -> None:
    gone = [e for e in sched.store.entries(campaign=slug) if e.step == "main" and e.state in _GONE]
    cid = sched.ctx.ledger.campaign_id(slug)
    if gone or (cid is not None and sched.ctx.ledger.counts(cid, "main").total):
        raise StateError(
            f"{slug} has already been sent (or is being sent): a campaign's announcement goes "
            "out once; duplicate the campaign to send it again"
        )


def _refuse_after_milestones(
    send_at: dt.datetime, points: dict[str, MilestonePoint], campaign: CampaignDefinition
) -> None:
    passed = sorted((p for p in points.values() if p.at <= send_at), key=lambda p: p.at)
    if passed:
        names = ", ".join(
            f"{_label(campaign, p.name)} ({p.local:%Y-%m-%d %H:%M} {p.zone})" for p in passed
        )
        verb, them = ("has", "it") if len(passed) == 1 else ("have", "them")
        raise MilestonePassedError(
            f"the announcement would go out after {names} {verb} passed, while its text "
            f"still promotes {them}; confirm to schedule anyway"
        )


def _label(campaign: CampaignDefinition, name: str) -> str:
    """ "Early-bird online registration (early_bird)": what staff wrote, and the key."""
    label = campaign.milestones[name].label_for(campaign.default_language)
    return f"{label} [{name}]" if label else name


def cancel(sched: Scheduling, ref: str, *, now: dt.datetime, step: str | None = None) -> int:
    """Cancel what has not gone out; steps already sent stop catching up late joiners."""
    slug = sched.ctx.catalog.campaign(ref)[0].slug
    store = sched.store
    n = store.change_state(
        slug, from_states=PENDING, to=S.CANCELLED, reason="cancelled by staff", now=now, step=step
    )
    store.change_state(
        slug,
        from_states=[S.SENT],
        to=S.SENT,
        reason="catch-ups cancelled by staff",
        now=now,
        step=step,
    )
    return n


def pause(sched: Scheduling, ref: str, *, now: dt.datetime, step: str | None = None) -> int:
    """Scheduled rows (of one ``step``, or all) wait as paused: the dispatcher does not send a
    paused row when it falls due; :func:`resume` releases it."""
    slug = sched.ctx.catalog.campaign(ref)[0].slug
    return sched.store.change_state(
        slug, from_states=[S.SCHEDULED], to=S.PAUSED, reason="paused by staff", now=now, step=step
    )


def resume(sched: Scheduling, ref: str, *, now: dt.datetime, step: str | None = None) -> int:
    """Paused rows (of one ``step``, or all) go back to scheduled; one whose time passed
    meanwhile goes out only within its kind's staleness limit (the dispatcher checks), never
    after its milestone."""
    slug = sched.ctx.catalog.campaign(ref)[0].slug
    return sched.store.change_state(
        slug, from_states=[S.PAUSED], to=S.SCHEDULED, reason="", now=now, step=step
    )


def reschedule_milestone(
    sched: Scheduling,
    ref: str,
    milestone: str,
    new_at: dt.datetime,
    *,
    zone: str | None,
    notify: bool,
    now: dt.datetime,
) -> Planned:
    """Move a milestone: pending steps move or are cancelled, sent steps that still make sense
    are planned again, and those already reminded get a "deadline extended" notice."""
    store = sched.store
    campaign, _ = sched.ctx.catalog.campaign(ref)  # milestones as already moved, if they were
    if milestone not in campaign.milestones:
        known = ", ".join(campaign.milestones) or "none"
        raise CampaignError(f"{campaign.slug} has no milestone {milestone!r} (milestones: {known})")
    old = store.milestones(campaign.slug).get(milestone) or MilestonePoint.of(
        milestone, campaign.milestones[milestone]
    )
    zone = zone_of(zone or old.zone)
    at = resolve_local(wall_clock_in(new_at, zone), zone)
    if at == old.at:
        raise InputError(f"{milestone} is already at {new_at:%Y-%m-%d %H:%M} {zone}")
    if at <= now:
        raise InputError(f"{new_at:%Y-%m-%d %H:%M} {zone} is in the past")
    rows = store.entries(campaign=campaign.slug)
    announced = [r for r in rows if r.step == "main" and r.state in PENDING and r.due_at >= at]
    if announced:
        first = min(r.due_at for r in announced)
        raise InputError(
            f"{milestone} cannot move to {new_at:%Y-%m-%d %H:%M} {zone}: the announcement is "
            f"scheduled for {first:%Y-%m-%d %H:%M} UTC, after it; reschedule the announcement first"
        )
    new = MilestonePoint(milestone, at, zone, old.version + 1)
    changes = replan_milestone(campaign, old, new, rows, rules=sched.rules, now=now, notify=notify)
    store.save_milestone(campaign.slug, new, now=now)
    for row in rows:  # late joiners now get the new chain, not the old one's catch-ups
        if row.milestone == milestone and row.state is S.SENT and row.attempt_at is not None:
            store.change_state(
                campaign.slug,
                from_states=[S.SENT],
                to=S.SENT,
                now=now,
                step=row.step,
                reason=f"{MOVED}: catch-ups of this occurrence end",
            )
    result = Planned(campaign.slug, store.save(changes, now=now), sequence=new.version)
    if notify and new.at < old.at:
        result.notes.append("the deadline moved earlier: no 'deadline extended' notice is sent")
    if (
        not any(e.kind is ScheduleKind.NOTICE for e in result.entries)
        and notify
        and new.at > old.at
    ):
        result.notes.append("nobody was reminded yet: no notice needed")
    result.notes.append("check the campaign's texts for the old date: they are yours to edit")
    return result


def add_recurring(sched: Scheduling, recurrence: Recurrence, *, now: dt.datetime) -> ScheduleEntry:
    zone_of(recurrence.zone)
    if any(r.name == recurrence.name for r in sched.store.recurrences()):
        raise StateError(f"a recurring send named {recurrence.name!r} exists; remove it first")
    sched.store.save_recurrence(recurrence, now=now)
    planned = plan_recurring(sched, now)
    return next(e for e in planned if e.recurrence == recurrence.name)


def remove_recurring(sched: Scheduling, name: str, *, now: dt.datetime) -> int:
    if not sched.store.delete_recurrence(name):
        raise InputError(f"no recurring send named {name!r}")
    cancelled = 0
    for entry in sched.store.entries():
        if entry.recurrence == name and entry.state in PENDING:
            cancelled += sched.store.change_state(
                entry.campaign,
                from_states=PENDING,
                to=S.CANCELLED,
                reason="recurring send removed",
                now=now,
                step=entry.step,
            )
    return cancelled
