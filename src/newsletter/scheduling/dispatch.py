"""The scheduler's tick: :func:`dispatch_due` sends what is due at ``now``.

A plain function of the database and a time, so tests and ``schedule simulate`` drive it with a
virtual clock and the APScheduler process (``scheduling/leader.py``) only decides *when* to
call it. Each due row is claimed atomically before anything is sent, the send itself goes
through :func:`send_campaign`, whose unique (campaign, step, member) key is the duplicate guard:
a row re-run after a crash resumes and never sends twice. A row of a campaign that is not
approved as it is now is held, not sent (:mod:`newsletter.authoring.approvals`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any
from zoneinfo import ZoneInfo

from newsletter.audiences.domain.segments import Rule
from newsletter.content.domain.campaigns import CampaignDefinition, ReminderStep
from newsletter.delivery.ports import DeliveryServices
from newsletter.delivery.sending import SendReport, send_campaign
from newsletter.errors import NewsletterError, NotApprovedError
from newsletter.scheduling.domain.recurrence import Recurrence
from newsletter.scheduling.domain.reminders import base_key
from newsletter.scheduling.domain.rules import (
    NOBODY,
    ScheduleEntry,
    ScheduleKind,
    ScheduleState,
    decide,
    group_zones,
    local_day_bounds,
    next_catch_up,
    supersede,
    zone_rule,
)
from newsletter.scheduling.ports import Scheduling

S = ScheduleState
SendStep = Callable[[DeliveryServices, str, str, Rule | None], SendReport]


def send_step(ctx: DeliveryServices, campaign: str, step: str, only: Rule | None) -> SendReport:
    return send_campaign(ctx, campaign, step=step, only=only)


@dataclass
class Fired:
    """What one due row came to in a tick."""

    campaign: str
    step: str
    kind: str
    zone_group: str
    due_at: dt.datetime
    at: dt.datetime
    outcome: str  # sent | catch-up | retry | skipped | cancelled | held
    reason: str = ""
    sent: int = 0
    suppressed: int = 0


@dataclass
class Tick:
    now: dt.datetime
    fired: list[Fired] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def dispatch_due(
    sched: Scheduling,
    now: dt.datetime,
    *,
    holder: str = "dispatcher",
    send: SendStep = send_step,
    limit: int = 500,
) -> Tick:
    """Send everything due at ``now`` (in due order) and write each row's outcome."""
    tick = Tick(now)
    plan_recurring(sched, now)
    store, policy = sched.store, sched.policy
    due = store.due(now, limit)
    ids = [e.id for e in due if e.id is not None]
    mine = store.claim_many(ids, holder, now=now, until=now + policy.claim_for)
    keep, superseded = supersede(e for e in due if e.id in mine)  # others: another dispatcher
    for entry in superseded:
        why = "superseded: a later step of the chain is due"
        store.finish(replace(entry, state=S.SKIPPED, reason=why, attempt_at=None), holder, now=now)
        tick.fired.append(_fired(entry, now, S.SKIPPED.value, why))
    # One query for the rows of every campaign in this tick (chains, zone groups).
    rows: dict[str, list[ScheduleEntry]] = {}
    for row in store.entries(campaigns={e.campaign for e in keep}) if keep else []:
        rows.setdefault(row.campaign, []).append(row)
    for entry in sorted(keep, key=lambda e: (e.attempt_at or e.due_at, e.id or 0)):
        at = max(now, sched.ctx.clock.now())  # a long send before this one makes it later
        done, fired = _run(sched, entry, at, send, rows.get(entry.campaign, []))
        store.finish(done, holder, now=at)
        tick.fired.append(fired)
        if entry.recurrence is not None and done.state is not S.SCHEDULED:
            plan_recurring(sched, at)
    return tick


def _fired(entry: ScheduleEntry, now: dt.datetime, outcome: str, reason: str = "") -> Fired:
    return Fired(
        entry.campaign,
        entry.step,
        entry.kind.value,
        entry.zone_group,
        entry.due_at,
        now,
        outcome,
        reason,
    )


def _run(
    sched: Scheduling,
    entry: ScheduleEntry,
    now: dt.datetime,
    send: SendStep,
    rows: list[ScheduleEntry],
) -> tuple[ScheduleEntry, Fired]:
    catch_up = entry.state is S.SENT  # a late-joiner run of a step that already went out
    decision = decide(
        entry if entry.fired_at is None else replace(entry, state=S.SENT), now, sched.policy
    )
    if not decision.fire:
        final = S.SENT if catch_up else S.SKIPPED
        return _done(entry, final, decision.reason, now), _fired(
            entry, now, final.value, decision.reason
        )
    try:
        campaign, where = sched.ctx.catalog.campaign(entry.campaign)
    except NewsletterError as exc:
        why = f"campaign not available: {exc}"
        return _done(entry, S.SKIPPED, why, now), _fired(entry, now, "skipped", why)
    if entry.step not in campaign.step_keys():
        why = "the step is no longer in the campaign file"
        return _done(entry, S.CANCELLED, why, now), _fired(entry, now, "cancelled", why)
    window_end = _window_end(entry, rows)
    held = sched.ctx.approvals.hold_reason(campaign, where)
    if held is not None:
        return _hold(sched, entry, now, held, catch_up, window_end)
    if catch_up and any(r.state is S.PAUSED for r in rows):
        later = next_catch_up(entry, now, window_end, sched.rules)
        return replace(entry, state=S.SENT, attempt_at=later), _fired(entry, now, "paused")
    ctx = sched.ctx
    segment = ctx.catalog.segment(campaign.audience)
    campaign_id = ctx.ledger.campaign_id(campaign.slug)  # the send refreshes the row
    if campaign_id is None:
        campaign_id = ctx.ledger.ensure_campaign(campaign, now=ctx.clock.now())
    suppressed = 0
    if entry.kind is ScheduleKind.REMINDER:
        if (
            catch_up
            and sched.store.audience_left(campaign_id, entry.step, segment, campaign.topic) == 0
        ):
            later = next_catch_up(entry, now, window_end, sched.rules)
            return replace(entry, state=S.SENT, attempt_at=later), _fired(entry, now, "catch-up")
        suppressed = _exclude(sched, campaign, campaign_id, entry, now)
    if entry.kind is ScheduleKind.NOTICE:
        chain = {
            r.step
            for r in rows
            if r.kind is ScheduleKind.REMINDER and r.milestone == entry.milestone
        }
        sched.store.plan_from(campaign_id, entry.step, chain, now=ctx.clock.now())
    try:
        report = send(ctx, entry.campaign, entry.step, _only(sched, entry, rows))
    except NotApprovedError as exc:  # changed between the check above and the compose
        return _hold(sched, entry, now, str(exc), catch_up, window_end)
    except NewsletterError as exc:  # e.g. blocked by the complaint rate, a broken template
        why = f"not sent: {exc}; retrying"
        again = replace(
            entry,
            state=S.SENT if catch_up else S.SCHEDULED,
            reason=why,
            attempt_at=now + sched.policy.retry_after,
        )
        return again, _fired(entry, now, "retry", why)
    fired = _fired(entry, now, "catch-up" if catch_up else "sent")
    fired.sent, fired.suppressed = report.sent, report.suppressed + suppressed
    if report.pending:
        why = f"{report.pending} still pending ({'; '.join(report.errors[-1:])}); retrying"
        retry = replace(entry, state=S.SENT if catch_up else S.SCHEDULED, reason=why)
        fired.outcome, fired.reason = "retry", why
        return replace(
            retry, attempt_at=now + sched.policy.retry_after, fired_at=entry.fired_at or now
        ), fired
    if report.in_flight_elsewhere:
        # Another sender holds rows of this step (a live one, or one on another machine whose
        # lease has not run out): the step is not done until they are settled, so look again
        # soon - once the lease ran out at the latest - rather than call it sent.
        who = ", ".join(f"{n} by {owner}" for owner, n in report.held_elsewhere.items())
        why = f"{report.in_flight_elsewhere} rows held by another sender ({who}); looking again"
        soon = min(sched.policy.retry_after, dt.timedelta(seconds=max(1.0, ctx.lease_seconds)))
        retry = replace(entry, state=S.SENT if catch_up else S.SCHEDULED, reason=why)
        fired.outcome, fired.reason = "retry", why
        return replace(retry, attempt_at=now + soon, fired_at=entry.fired_at or now), fired
    fired.reason = _unfinished(report)
    later = None
    if entry.kind is ScheduleKind.REMINDER and sched.policy.catch_up:
        later = next_catch_up(entry, now, window_end, sched.rules)
    done = replace(entry, state=S.SENT, reason="", attempt_at=later, fired_at=entry.fired_at or now)
    return done, fired


def _unfinished(report: SendReport) -> str:
    """What a finished step leaves for a person: rows in doubt, rows that failed."""
    parts = []
    unknown = report.totals.get("unknown", 0)
    if unknown:
        parts.append(
            f"{unknown} unknown (in a request in flight when a sender stopped, or timed out; "
            f"provider events or `campaigns resolve-unknown {report.campaign}` settle them)"
        )
    if report.failed:
        parts.append(f"{report.failed} failed")
    return "; ".join(parts)


def _hold(
    sched: Scheduling,
    entry: ScheduleEntry,
    now: dt.datetime,
    why: str,
    catch_up: bool,
    window_end: dt.datetime | None,
) -> tuple[ScheduleEntry, Fired]:
    """Not approved as it is now: the step waits for an approval (which makes it scheduled
    again). A late-joiner run of a step already sent skips this day and looks again later."""
    if catch_up:
        later = next_catch_up(entry, now, window_end, sched.rules)
        return replace(entry, state=S.SENT, reason=f"catch-up {why}", attempt_at=later), _fired(
            entry, now, S.HELD.value, why
        )
    # attempt_at is kept: approving releases the row with its lateness measured from due_at.
    return replace(entry, state=S.HELD, reason=why), _fired(entry, now, S.HELD.value, why)


def _done(
    entry: ScheduleEntry, state: ScheduleState, reason: str, now: dt.datetime
) -> ScheduleEntry:
    return replace(entry, state=state, reason=reason, attempt_at=None)


def _window_end(entry: ScheduleEntry, rows: list[ScheduleEntry]) -> dt.datetime | None:
    """A reminder step is the one late joiners get until the next step of its chain is due."""
    later = [
        r.due_at
        for r in rows
        if r.kind is ScheduleKind.REMINDER
        and r.milestone == entry.milestone
        and r.due_at > entry.due_at
        and r.state in (S.SCHEDULED, S.PAUSED, S.HELD, S.SENDING, S.SENT)
    ]
    return min([*later, *([entry.expires_at] if entry.expires_at else [])], default=None)


def _only(sched: Scheduling, entry: ScheduleEntry, rows: list[ScheduleEntry]) -> Rule | None:
    """Who this run may plan: everyone, one time-zone group, or nobody new (notices)."""
    if entry.kind is ScheduleKind.NOTICE:
        return NOBODY
    grouped = {r.zone_group for r in rows if r.step == entry.step and r.zone_group}
    if not grouped:
        return None
    return zone_rule(group_zones(entry.zone_group, grouped, sched.store.member_zones()))


def _exclude(
    sched: Scheduling,
    campaign: CampaignDefinition,
    campaign_id: int,
    entry: ScheduleEntry,
    now: dt.datetime,
) -> int:
    """Before a reminder is planned: its skip segment (already registered) and the daily cap."""
    ctx, policy = sched.ctx, sched.policy
    step = campaign.step(entry.step)
    assert isinstance(step, ReminderStep)
    skip = ctx.catalog.segment(step.skip_segment) if step.skip_segment else None
    cap = None
    if policy.reminder_cap is not None:
        cap = (policy.reminder_cap, *local_day_bounds(now, entry.zone))
    if skip is None and cap is None:
        return 0
    skipped, capped = sched.store.suppress(
        campaign_id,
        entry.step,
        ctx.catalog.segment(campaign.audience),
        campaign.topic,
        skip=skip,
        cap=cap,
        reason_skip=f"in skip segment {step.skip_segment} (reminder {base_key(entry.step)})",
        reason_cap=f"daily reminder cap reached ({policy.reminder_cap} per day, {entry.zone})",
        now=ctx.clock.now(),
    )
    return skipped + capped


def plan_recurring(sched: Scheduling, now: dt.datetime) -> list[ScheduleEntry]:
    """Give every active recurring send its next occurrence, if it has none pending. Runs
    missed while the scheduler was down are not replayed (APScheduler's coalesce)."""
    planned: list[ScheduleEntry] = []
    recurrences = [r for r in sched.store.recurrences() if r.active]
    if not recurrences:
        return planned
    rows = [e for e in sched.store.entries() if e.recurrence is not None]
    for rec in recurrences:
        mine = [e for e in rows if e.recurrence == rec.name]
        if any(e.state in (S.SCHEDULED, S.PAUSED, S.HELD, S.SENDING) for e in mine):
            continue
        after = max([now, *(e.due_at for e in mine)])
        planned.append(occurrence(rec, rec.next_after(after)))
    return sched.store.save(planned, now=now) if planned else []


def occurrence(rec: Recurrence, due: dt.datetime) -> ScheduleEntry:
    local = due.astimezone(ZoneInfo(rec.zone))
    return ScheduleEntry(
        rec.campaign_on(local.date()),
        "main",
        ScheduleKind.RECURRING,
        due,
        rec.zone,
        recurrence=rec.name,
    )
