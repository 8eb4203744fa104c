"""Send one step of a campaign: plan the ledger, claim batches, hand them over, record.

Order of effects (reliability REL-02): compose every variant (nothing is written if any fails)
-> plan rows (idempotent) -> per batch: claim + eligibility re-check + ``sending`` committed ->
transport -> outcome committed. Up to ``max_in_flight`` batches are in the transport at once;
that number bounds how many rows a crash can leave ``unknown``. Running the same send again
resumes: rows already sent are never claimed again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from typing import Any

from newsletter.domain.campaigns import MAIN_STEP, CampaignDefinition, CampaignState
from newsletter.domain.deliveries import Recipient
from newsletter.errors import (
    CampaignError,
    DeliveryError,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from newsletter.rendering.compose import Batch, ComposedVariant
from newsletter.services.composing import compose_step, personalization_for
from newsletter.services.context import Context
from newsletter.services.ports import Mailer, SendResult

MAX_ATTEMPTS = 5
#: Consecutive transient failures after which the run stops (rows stay pending for later).
MAX_TRANSIENT_STREAK = 5
MAX_WAIT = 60.0

Progress = Callable[[int, int], None]


@dataclass
class SendReport:
    campaign: str
    step: str
    transport: str
    dry_run: bool = False
    audience: int = 0
    planned: int = 0
    sent: int = 0
    failed: int = 0
    suppressed: int = 0
    unknown: int = 0
    recovered_unknown: int = 0
    pending: int = 0
    requests: int = 0
    errors: list[str] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def send_campaign(
    ctx: Context,
    ref: str,
    *,
    step: str = MAIN_STEP,
    dry_run: bool = False,
    progress: Progress | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> SendReport:
    campaign, _ = ctx.catalog.campaign(ref)
    try:
        campaign.step(step)
    except KeyError as exc:
        raise CampaignError(f"no step {step!r}; steps: {', '.join(campaign.step_keys())}") from exc
    segment = ctx.catalog.segment(campaign.audience)
    variants = compose_step(ctx, campaign, step)  # raises before anything is written
    report = SendReport(campaign.slug, step, ctx.transport, dry_run=dry_run)
    report.audience = ctx.members.count(segment, campaign.topic)
    if dry_run:
        return report

    now = ctx.clock.now()
    campaign_id = ctx.ledger.ensure_campaign(campaign, now=now)
    report.recovered_unknown = ctx.ledger.recover_in_flight(campaign_id, step, now=now)
    variant_map = {lang: campaign.variant_for(lang) for lang in _all_member_languages()}
    report.planned = ctx.ledger.plan(
        campaign_id, step, segment, campaign.topic, variant_map, campaign.default_language, now=now
    )
    ctx.ledger.set_state(campaign_id, CampaignState.SENDING, now=now)
    _Sender(ctx, campaign, campaign_id, step, variants, report, progress, sleep).run()

    counts = ctx.ledger.counts(campaign_id, step)
    report.totals = counts.as_dict()
    report.pending = counts.pending
    if counts.pending == 0 and counts.sending == 0 and counts.unknown == 0:
        ctx.ledger.set_state(campaign_id, CampaignState.SENT, now=ctx.clock.now())
    return report


def _all_member_languages() -> tuple[str, ...]:
    from newsletter.domain.members import LANGUAGES

    return LANGUAGES


class _Sender:
    """One run over the pending rows of one step, with up to ``max_in_flight`` requests."""

    def __init__(
        self,
        ctx: Context,
        campaign: CampaignDefinition,
        campaign_id: int,
        step: str,
        variants: dict[str, ComposedVariant],
        report: SendReport,
        progress: Progress | None,
        sleep: Callable[[float], None],
    ) -> None:
        self.ctx, self.campaign, self.campaign_id, self.step = ctx, campaign, campaign_id, step
        self.variants, self.report, self.progress, self.sleep = variants, report, progress, sleep
        self.streak = 0
        self.total = 0

    def run(self) -> None:
        ctx = self.ctx
        mailer = ctx.mailer()
        size = max(1, min(ctx.batch_size, mailer.max_batch))
        self.total = ctx.ledger.counts(self.campaign_id, self.step).pending
        try:
            with ThreadPoolExecutor(max_workers=ctx.max_in_flight) as pool:
                for lang in ctx.ledger.pending_languages(self.campaign_id, self.step):
                    if not self._send_language(pool, mailer, lang, size):
                        break
        finally:
            mailer.close()

    def _send_language(
        self, pool: ThreadPoolExecutor, mailer: Mailer, lang: str, size: int
    ) -> bool:
        ctx = self.ctx
        variant = self.variants.get(lang)
        if variant is None:  # rows planned under an older language set
            variant = compose_step(ctx, self.campaign, self.step, [lang])[lang]
        in_flight: dict[Future[SendResult], list[Recipient]] = {}
        exhausted = False
        while True:
            while not exhausted and len(in_flight) < ctx.max_in_flight:
                recipients, suppressed = ctx.ledger.claim(
                    self.campaign_id,
                    self.step,
                    lang,
                    self.campaign.topic,
                    size,
                    now=ctx.clock.now(),
                )
                self.report.suppressed += suppressed
                if not recipients:
                    exhausted = True
                    break
                issued = int(ctx.clock.now().timestamp())
                batch = Batch(
                    variant,
                    ctx.sender,
                    tuple(personalization_for(ctx, self.campaign, r, issued) for r in recipients),
                )
                in_flight[pool.submit(mailer.send, batch)] = recipients
                self.report.requests += 1
            if not in_flight:
                return True
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in done:
                if not self._record(future, in_flight.pop(future)):
                    # Stop claiming; let what is in flight finish and be recorded.
                    for rest in list(in_flight):
                        self._record(rest, in_flight.pop(rest))
                    return False

    def _record(self, future: Future[SendResult], recipients: list[Recipient]) -> bool:
        ctx, report = self.ctx, self.report
        ids = [r.delivery_id for r in recipients]
        now = ctx.clock.now()
        try:
            result = future.result()
        except TransientDeliveryError as exc:
            report.errors.append(str(exc))
            if exc.maybe_sent:
                ctx.ledger.mark_unknown(ids, str(exc), now=now)
                report.unknown += len(ids)
            else:
                ctx.ledger.release(ids, str(exc), now=now, max_attempts=MAX_ATTEMPTS)
            self.streak += 1
            if self.streak >= MAX_TRANSIENT_STREAK:
                report.errors.append("stopping after repeated transient errors; run again later")
                return False
            self.sleep(min(MAX_WAIT, exc.retry_after if exc.retry_after else 2.0**self.streak))
            return True
        except PermanentDeliveryError as exc:
            ctx.ledger.mark_failed(ids, str(exc), now=now)
            report.failed += len(ids)
            report.errors.append(str(exc))
            return True
        except DeliveryError as exc:  # pragma: no cover - the two above are exhaustive
            ctx.ledger.mark_unknown(ids, str(exc), now=now)
            report.unknown += len(ids)
            return False
        self.streak = 0
        special = set(result.rejected) | set(result.deferred) | set(result.unknown)
        sent = [i for i in ids if i not in special]
        ctx.ledger.mark_sent(sent, result.provider_id, now=now)
        for did, why in result.rejected.items():
            ctx.ledger.mark_failed([did], why, now=now)
        for did, why in result.deferred.items():
            ctx.ledger.release([did], why, now=now, max_attempts=MAX_ATTEMPTS)
        for did, why in result.unknown.items():
            ctx.ledger.mark_unknown([did], why, now=now)
        report.sent += len(sent)
        report.failed += len(result.rejected)
        report.unknown += len(result.unknown)
        if self.progress is not None:
            self.progress(report.sent + report.failed + report.unknown, self.total)
        return True
