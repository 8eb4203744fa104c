"""What the staff pages show about campaigns: the list with state and counts, and one
campaign's detail (validation, audience, approval). Previews come from
:func:`newsletter.services.composing.preview` unchanged, so staff see what members get."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from newsletter.domain.deliveries import DeliveryCounts
from newsletter.errors import NewsletterError
from newsletter.services import staff
from newsletter.services.campaign_library import campaign_refs, label_of
from newsletter.services.campaign_schedule import Planned, cancel, schedule_campaign
from newsletter.services.composing import validate_campaign
from newsletter.services.context import Context
from newsletter.services.scheduling_ports import Scheduling
from newsletter.services.staff_ports import Approval

SAMPLE_SIZE = 10


@dataclass(frozen=True, slots=True)
class CampaignRow:
    slug: str
    title: str
    kind: str
    languages: tuple[str, ...]
    state: str
    counts: DeliveryCounts | None
    error: str = ""


def state_of(counts: DeliveryCounts | None, approval: Approval | None) -> str:
    """A state staff can read, from the ledger's counts and the approval record."""
    if counts is None or counts.total == 0:
        return "approved" if approval else "draft"
    if counts.pending or counts.sending or counts.unknown:
        return "sending"
    return "sent"


def list_campaigns(ctx: Context) -> list[CampaignRow]:
    rows = []
    for ref in campaign_refs(ctx.catalog, ctx.campaign_documents):  # files, then the database
        try:
            c, _ = ctx.catalog.campaign(ref)
            approval = staff.approval_of(ctx, c.slug)  # by slug: a slug in two places fails
        except NewsletterError as exc:
            rows.append(CampaignRow(label_of(ref), "", "", (), "invalid", None, str(exc)))
            continue
        cid = ctx.ledger.campaign_id(c.slug)
        counts = ctx.ledger.counts(cid) if cid is not None else None
        rows.append(
            CampaignRow(
                c.slug,
                c.title,
                str(c.kind),
                tuple(c.languages),
                state_of(counts, approval),
                counts,
            )
        )
    return rows


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
    problems: list[str] = field(default_factory=list)
    audience_count: int | None = None
    sample: list[dict[str, str]] = field(default_factory=list)
    counts: DeliveryCounts | None = None


def campaign_detail(ctx: Context, ref: str) -> CampaignDetail:
    c, _ = ctx.catalog.campaign(ref)
    validation = validate_campaign(ctx, ref)
    cid = ctx.ledger.campaign_id(c.slug)
    counts = ctx.ledger.counts(cid) if cid is not None else None
    approval = staff.approval_of(ctx, ref)
    detail = CampaignDetail(
        c.slug,
        c.title,
        str(c.kind),
        list(c.languages),
        c.audience,
        c.topic,
        state_of(counts, approval),
        approval,
        list(validation.problems),
        validation.audience,
        counts=counts,
    )
    try:
        segment = ctx.catalog.segment(c.audience)
        detail.sample = ctx.members.sample(segment, c.topic, SAMPLE_SIZE)
    except NewsletterError:
        pass  # already listed among the validation problems
    return detail


def schedule_approved(sched: Scheduling, ref: str, at: dt.datetime, zone: str) -> Planned:
    """Schedule from the web app: refused unless the campaign is approved as it is now, so
    nothing goes out unapproved. (The CLI schedules without approval; it is the operator's
    tool.) ``at`` is a wall-clock time in ``zone``."""
    staff.require_approval(sched.ctx, ref)
    return schedule_campaign(
        sched, ref, at=at, zone=zone, local_time=None, now=sched.ctx.clock.now()
    )


def cancel_scheduled(sched: Scheduling, ref: str) -> int:
    return cancel(sched, ref, now=sched.ctx.clock.now())
