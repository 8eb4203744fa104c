"""Send one step of a campaign: plan the ledger, claim batches, hand them over, record.

Order of effects: the approval gate (:mod:`newsletter.authoring.approvals`) -> compose every
variant (nothing is written if any fails) -> plan rows (idempotent) -> per batch: rate-limit
reservation -> claim + eligibility re-check + ``sending`` committed -> transport -> outcome
committed. Up to ``max_in_flight`` batches are in
the transport at once; that number times the batch size bounds how many rows a crash can leave
``unknown``. While requests are in flight the sender renews their claim (a lease), so another
worker can tell a live sender from a dead one. Running the same send again resumes: rows already
sent are never claimed again.

What happens to each batch's outcome: :mod:`newsletter.delivery.batch_sender`.

``unknown`` rows follow the step's policy
(:func:`newsletter.audiences.domain.deliveries.unknown_policy`): reminders are resent once provider
events had ``resend_unknown_after`` seconds to confirm them; the announcement waits for staff
(``campaigns resolve-unknown``).

Test sends: :mod:`newsletter.delivery.proofs`.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass

from newsletter.audiences.domain.deliveries import DeliveryStatus
from newsletter.audiences.domain.segments import Rule
from newsletter.content.composing import compose_step
from newsletter.content.domain.campaigns import MAIN_STEP, CampaignDefinition, CampaignState
from newsletter.delivery.batch_sender import MAX_ATTEMPTS, BatchSender, Progress, SendReport, Sleep
from newsletter.delivery.domain.claims import Recovery
from newsletter.delivery.domain.unknowns import UnknownPolicy, unknown_policy
from newsletter.delivery.ports import DeliveryServices, ReconcilingMailer
from newsletter.delivery.reporting import ensure_not_blocked
from newsletter.errors import CampaignError

#: Runs over a step in one call: a cooperating sender that dies meanwhile has its rows settled
#: and the released ones sent by the next run.
RUNS = 3

__all__ = ["SendReport", "check_step", "resolve_unknown", "retry_failed", "send_campaign"]


def send_campaign(
    ctx: DeliveryServices,
    ref: str,
    *,
    step: str = MAIN_STEP,
    dry_run: bool = False,
    progress: Progress | None = None,
    sleep: Sleep = time.sleep,
    only: Rule | None = None,
    plan_rows: bool = True,
    should_stop: Callable[[], bool] | None = None,
) -> SendReport:
    """Plan, send and record one step. ``only`` narrows who is *planned* by this run (the
    scheduler sends a step per time-zone group); rows already pending are sent regardless.
    ``plan_rows=False``: send only the rows already planned (a worker helping whoever planned
    them). ``should_stop`` is asked before each batch is claimed (a worker's SIGTERM)."""
    campaign, where = ctx.catalog.campaign(ref)
    check_step(campaign, step)
    if not dry_run:
        # The gate, against the very object composed below: what goes out is what was
        # approved, even if the campaign is edited while this runs.
        ctx.approvals.check_send(campaign, where)
    segment = ctx.catalog.segment(campaign.audience)
    variants = compose_step(ctx, campaign, step)  # raises before anything is written
    report = SendReport(campaign.slug, step, ctx.transport, dry_run=dry_run)
    report.unknown_policy = unknown_policy(step).value
    if plan_rows or dry_run:  # a worker sends what is planned: no audience to count
        report.audience = ctx.members.count(segment, campaign.topic)
    if dry_run:
        return report

    existing = ctx.ledger.campaign_id(campaign.slug)
    if plan_rows and (existing is None or ctx.ledger.counts(existing, step).total == 0):
        ensure_not_blocked(ctx, campaign.slug)  # complaint rate: new sends wait for a person

    now = ctx.clock.now()
    campaign_id = ctx.ledger.ensure_campaign(campaign, now=now)
    _recover(ctx, report, campaign_id, step)
    report.reconciled = _reconcile(ctx, campaign.slug, campaign_id, step)
    if unknown_policy(step) is UnknownPolicy.RESEND:
        report.resent_unknown = ctx.ledger.requeue_unknown(
            campaign_id,
            step,
            older_than=now - dt.timedelta(seconds=ctx.resend_unknown_after),
            now=now,
            max_attempts=MAX_ATTEMPTS,
        )
    if plan_rows:
        variant_map = {lang: campaign.variant_for(lang) for lang in _all_member_languages()}
        report.planned = ctx.ledger.plan(
            campaign_id,
            step,
            segment,
            campaign.topic,
            variant_map,
            campaign.default_language,
            now=now,
            only=only,
        )
        ctx.ledger.set_state(campaign_id, CampaignState.SENDING, now=now)
    for _ in range(RUNS):
        BatchSender(
            ctx, campaign, campaign_id, step, variants, report, progress, sleep, should_stop
        ).run()
        # A cooperating sender may have died meanwhile: its rows are settled now and, where
        # its requests never started, sent by this run rather than left for the next.
        if report.stopped or not _recover(ctx, report, campaign_id, step).released:
            break

    counts = ctx.ledger.counts(campaign_id, step)
    report.totals = counts.as_dict()
    report.pending = counts.pending
    report.in_flight_elsewhere = counts.sending
    report.failures = ctx.ledger.failure_kinds(campaign_id, step)
    if counts.pending == 0 and counts.sending == 0 and counts.unknown == 0:
        ctx.ledger.set_state(campaign_id, CampaignState.SENT, now=ctx.clock.now())
    return report


def _recover(ctx: DeliveryServices, report: SendReport, campaign_id: int, step: str) -> Recovery:
    found = ctx.ledger.recover_claims(
        campaign_id, step, now=ctx.clock.now(), lease_seconds=ctx.lease_seconds
    )
    report.recovered_unknown += found.unknown
    report.recovered_pending += found.released
    report.held_elsewhere = found.held
    for owner in found.dead_owners:
        if owner not in report.dead_senders:
            report.dead_senders.append(owner)
    return found


def _reconcile(ctx: DeliveryServices, slug: str, campaign_id: int, step: str) -> int:
    """Where the transport knows for certain (the outbox), ``unknown`` rows are settled from
    what it holds: the outbox never keeps a message its row does not call sent, and a row
    whose message was never written is sent again. Returns how many rows were settled."""
    ids = ctx.ledger.unknown_ids(campaign_id, step)
    if not ids:
        return 0
    mailer = ctx.mailer()
    try:
        if not isinstance(mailer, ReconcilingMailer):
            return 0
        there = mailer.delivered(slug, step, ids)
    finally:
        mailer.close()
    ctx.ledger.settle_unknown(
        sorted(there), [i for i in ids if i not in there], now=ctx.clock.now()
    )
    return len(ids)


def check_step(campaign: CampaignDefinition, step: str) -> None:
    try:
        campaign.step(step)
    except KeyError as exc:
        raise CampaignError(f"no step {step!r}; steps: {', '.join(campaign.step_keys())}") from exc


def _all_member_languages() -> tuple[str, ...]:
    from newsletter.audiences.domain.members import LANGUAGES

    return LANGUAGES


# -- staff decisions ---------------------------------------------------------------------------


@dataclass
class Resolution:
    campaign: str
    step: str | None
    action: str
    rows: int


def resolve_unknown(
    ctx: DeliveryServices, ref: str, *, resend: bool, step: str | None = None
) -> Resolution:
    """Staff decide about rows whose fate is unknown: send them again, or count them as sent."""
    campaign, _ = ctx.catalog.campaign(ref)
    if step is not None:
        check_step(campaign, step)
    cid = ctx.ledger.campaign_id(campaign.slug)
    target = DeliveryStatus.PENDING if resend else DeliveryStatus.SENT
    rows = 0 if cid is None else ctx.ledger.resolve_unknown(cid, step, target, now=ctx.clock.now())
    return Resolution(campaign.slug, step, "resend" if resend else "mark-sent", rows)


def retry_failed(ctx: DeliveryServices, ref: str, *, step: str | None = None) -> Resolution:
    """Re-queue rows that failed for transient reasons; permanent failures stay failed."""
    campaign, _ = ctx.catalog.campaign(ref)
    if step is not None:
        check_step(campaign, step)
    cid = ctx.ledger.campaign_id(campaign.slug)
    rows = 0 if cid is None else ctx.ledger.retry_failed(cid, step, now=ctx.clock.now())
    return Resolution(campaign.slug, step, "retry-failed", rows)
