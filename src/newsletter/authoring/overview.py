"""What the staff pages show about campaigns: the list with state and counts, and one
campaign's detail (validation, audience, approval). Previews come from
:func:`newsletter.content.composing.preview` unchanged, so staff see what members get."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from newsletter.audiences.domain.deliveries import DeliveryCounts
from newsletter.authoring import approvals
from newsletter.authoring.approvals import Standing
from newsletter.authoring.domain.campaign_list import CampaignRow
from newsletter.authoring.ports import AuthoringServices
from newsletter.content.composing import validate_campaign
from newsletter.content.domain.campaigns import MAIN_STEP
from newsletter.content.domain.coverage import VersionCoverage
from newsletter.content.library import campaign_refs, label_of
from newsletter.errors import InputError, NewsletterError, StateError
from newsletter.scheduling.actions import Planned, cancel, pause, resume, schedule_campaign
from newsletter.scheduling.domain.rules import PENDING, ScheduleEntry, ScheduleState
from newsletter.scheduling.ports import ScheduleStore, Scheduling
from newsletter.staff.ports import Approval

SAMPLE_SIZE = 10


_WAITING = (ScheduleState.SCHEDULED, ScheduleState.PAUSED)


def next_step(planned: list[ScheduleEntry]) -> ScheduleEntry | None:
    waiting = [e for e in planned if e.state in _WAITING]
    return min(waiting, key=lambda e: e.attempt_at or e.due_at, default=None)


def state_of(
    counts: DeliveryCounts | None,
    standing: Standing | None,
    planned: list[ScheduleEntry] | None = None,
) -> str:
    """A state staff can read, from the ledger's counts, the approval and the schedule:
    draft, changed (since its approval), approved, scheduled, held, sending or sent."""
    planned = planned or []
    if any(e.state is ScheduleState.HELD for e in planned):
        return "held"
    if counts is not None and counts.total > 0:
        return "sending" if counts.pending or counts.sending or counts.unknown else "sent"
    if next_step(planned) is not None:
        return "scheduled"
    if standing is None or standing.latest is None:
        return "draft"
    return "approved" if standing.approved else "changed"


def list_campaigns(
    ctx: AuthoringServices, schedule: ScheduleStore | None = None, zone: str = "UTC"
) -> list[CampaignRow]:
    """Every campaign (files, then the database) with its state and dates. ``zone``: where
    times are shown for a campaign that has no schedule of its own."""
    planned: dict[str, list[ScheduleEntry]] = {}
    for entry in schedule.entries() if schedule is not None else []:
        planned.setdefault(entry.campaign, []).append(entry)
    refs = campaign_refs(ctx.catalog, ctx.campaign_documents)  # files, then the database
    return [campaign_row(ctx, ref, planned, zone) for ref in refs]


def campaign_row(
    ctx: AuthoringServices, ref: str, planned: dict[str, list[ScheduleEntry]], zone: str = "UTC"
) -> CampaignRow:
    """One campaign's row; ``planned``: schedule rows by campaign slug."""
    try:
        c, _ = ctx.catalog.campaign(ref)
        standing = approvals.standing(ctx, c.slug)  # by slug: a slug in two places fails
    except NewsletterError as exc:
        return CampaignRow(label_of(ref), "", "", (), "invalid", None, str(exc))
    cid = ctx.ledger.campaign_id(c.slug)
    counts = ctx.ledger.counts(cid) if cid is not None else None
    mine = planned.get(c.slug, [])
    stored = ctx.campaign_documents.get(c.slug) if ctx.campaign_documents else None
    main = [e for e in mine if e.step == MAIN_STEP]
    return CampaignRow(
        c.slug,
        c.title,
        str(c.kind),
        tuple(c.languages),
        state_of(counts, standing, mine),
        counts,
        next_step=next_step(mine),
        subjects=tuple(c.subject.values()),
        stored=stored is not None,
        created_at=stored.created_at if stored else None,
        approved_at=standing.latest.approved_at if standing.latest else None,
        scheduled_at=min((e.due_at for e in main), default=None),
        sent_at=ctx.ledger.first_sent_at(cid) if cid is not None else None,
        zone=main[0].zone if main else (mine[0].zone if mine else zone),
    )


@dataclass
class CampaignDetail:
    slug: str
    title: str
    kind: str
    languages: list[str]
    audience: str
    topic: str
    state: str
    approval: Approval | None
    standing: Standing
    problems: list[str] = field(default_factory=list)
    audience_count: int | None = None
    sample: list[dict[str, str]] = field(default_factory=list)
    counts: DeliveryCounts | None = None
    #: Where it lives: a file's path, or ``database:<slug>``.
    where: str = ""
    #: Its steps: the announcement (``main``), then each reminder's key.
    steps: list[str] = field(default_factory=list)
    #: Who reads which language version, and the sizable groups reading another's.
    coverage: list[VersionCoverage] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def campaign_detail(
    ctx: AuthoringServices, ref: str, planned: list[ScheduleEntry] | None = None
) -> CampaignDetail:
    c, where = ctx.catalog.campaign(ref)
    validation = validate_campaign(ctx, ref)
    cid = ctx.ledger.campaign_id(c.slug)
    counts = ctx.ledger.counts(cid) if cid is not None else None
    standing = approvals.standing_of(ctx, c, where)
    detail = CampaignDetail(
        c.slug,
        c.title,
        str(c.kind),
        list(c.languages),
        c.audience,
        c.topic,
        state_of(counts, standing, planned),
        standing.approval,
        standing,
        list(validation.problems),
        validation.audience,
        counts=counts,
        where=str(where),
        steps=[MAIN_STEP, *(r.key for r in c.reminders)],
        coverage=validation.coverage,
        warnings=validation.warnings,
    )
    try:
        segment = ctx.catalog.segment(c.audience)
        detail.sample = ctx.members.sample(segment, c.topic, SAMPLE_SIZE)
    except NewsletterError:
        pass  # already listed among the validation problems
    return detail


def schedule_approved(
    sched: Scheduling, ref: str, at: dt.datetime, zone: str, *, after_milestones: bool = False
) -> Planned:
    """Schedule from the web app: refused unless the campaign is approved as it is now. (The
    CLI may schedule first; the steps are then held until an approval.) ``at`` is a wall-clock
    time in ``zone``."""
    sched.ctx.approvals.require_approved(ref)
    return schedule_campaign(
        sched,
        ref,
        at=at,
        zone=zone,
        local_time=None,
        now=sched.ctx.clock.now(),
        after_milestones=after_milestones,
    )


def cancel_scheduled(sched: Scheduling, ref: str) -> int:
    return cancel(sched, ref, now=sched.ctx.clock.now())


#: What staff may do to one step from its campaign's page: the CLI's use cases, per step.
STEP_ACTIONS = {"pause": pause, "resume": resume, "cancel": cancel}
#: The states each action applies to (what the page offers it for).
STEP_ACTION_STATES = {
    "pause": frozenset({ScheduleState.SCHEDULED}),
    "resume": frozenset({ScheduleState.PAUSED}),
    "cancel": PENDING,
}


def act_on_step(sched: Scheduling, ref: str, step: str, action: str) -> int:
    """Pause, resume or cancel one step (every zone group of it); the number of rows changed.
    A step the campaign does not have, or one the action does not apply to now, is refused
    with what it is instead."""
    if action not in STEP_ACTIONS:
        raise InputError(f"unknown action {action!r} (pause, resume or cancel)")
    slug = sched.ctx.catalog.campaign(ref)[0].slug
    rows = [e for e in sched.store.entries(campaign=slug) if e.step == step]
    if not rows:
        raise InputError(f"{slug} has no scheduled step {step!r}")
    if not any(e.state in STEP_ACTION_STATES[action] for e in rows):
        states = ", ".join(sorted({e.state.value for e in rows}))
        raise StateError(f"step {step} is {states}: nothing to {action}")
    return STEP_ACTIONS[action](sched, slug, now=sched.ctx.clock.now(), step=step)
