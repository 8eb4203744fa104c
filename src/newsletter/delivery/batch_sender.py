"""One run over the pending rows of one step: claim batches, hand them to the transport with up
to ``max_in_flight`` requests in flight, record each outcome.

Outcomes per batch: accepted -> ``sent``; refused (4xx) -> ``failed`` (permanent); 429 -> back
to ``pending`` after the wait the provider asked for, the attempt not counted; 5xx / connection
refused -> back to ``pending`` with backoff (``failed``, transient, after 5 attempts); timeout or
connection lost after the request was written -> ``unknown``, and the circuit breaker opens:
no new request starts until the ones in flight are answered and a one-recipient probe got
through, so a provider that stops answering leaves only the requests in flight in doubt (the
waits, streaks and the breaker: :mod:`newsletter.delivery.retry_timing`); 401/403 -> the run
stops, rows back to ``pending``. Each batch's rows are claimed in this process's name and
record, committed, when their request starts: a later sender releases a dead sender's rows at
once, and only started requests become ``unknown``. While requests are in flight the sender
renews their claim (a lease), so another worker can tell a live sender from a dead one.
``sending.send_campaign`` plans the rows and starts a run.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from typing import Any

from newsletter.audiences.domain.deliveries import FailureKind, Recipient
from newsletter.content.composing import compose_step, personalizations_for
from newsletter.content.domain.campaigns import CampaignDefinition
from newsletter.content.rendering.compose import Batch, ComposedVariant
from newsletter.delivery.domain.unknowns import UnknownPolicy
from newsletter.delivery.ports import (
    DeliveryServices,
    Mailer,
    PreparingMailer,
    ReconcilingMailer,
    SendResult,
)
from newsletter.delivery.retry_timing import MAX_ATTEMPTS, RetryTiming, StopRun
from newsletter.errors import (
    AccountError,
    DeliveryError,
    OutboxError,
    PermanentDeliveryError,
    TransientDeliveryError,
)

__all__ = ["MAX_ATTEMPTS", "STOP_ASKED", "BatchSender", "Progress", "SendReport", "Sleep"]

#: ``SendReport.stopped`` of a run stopped from outside (a worker's SIGTERM).
STOP_ASKED = "asked to stop: the requests in flight were finished, the rest stays pending"

Progress = Callable[[int, int], None]
Sleep = Callable[[float], None]


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
    #: Rows a stopped sender had claimed but whose request never started: back to pending.
    recovered_pending: int = 0
    #: ``unknown`` rows the transport settled for certain (the outbox: the file is there or not).
    reconciled: int = 0
    #: Senders found dead whose rows this run settled (``pid N on HOST``).
    dead_senders: list[str] = field(default_factory=list)
    #: ``unknown`` rows re-queued by the resend policy (reminders) at the start of this run.
    resent_unknown: int = 0
    pending: int = 0
    #: Rows another live sender has in flight right now (their claim has not expired).
    in_flight_elsewhere: int = 0
    #: Those rows per live sender (``pid N on HOST``), as last seen.
    held_elsewhere: dict[str, int] = field(default_factory=dict)
    requests: int = 0
    #: Seconds spent waiting for the transport's rate limit.
    throttled_seconds: float = 0.0
    unknown_policy: str = UnknownPolicy.ASK.value
    #: Why the run stopped early, if it did (the rows left are pending; run again later).
    stopped: str | None = None
    errors: list[str] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class _Done:
    """A request's answer, and whether the worker already recorded its rows as sent."""

    result: SendResult | None
    recorded: bool
    #: The rows were released by another sender before the request started: not sent.
    revoked: bool = False


class BatchSender:
    """One run over the pending rows of one step, with up to ``max_in_flight`` requests."""

    def __init__(
        self,
        ctx: DeliveryServices,
        campaign: CampaignDefinition,
        campaign_id: int,
        step: str,
        variants: dict[str, ComposedVariant],
        report: SendReport,
        progress: Progress | None,
        sleep: Sleep,
        should_stop: Callable[[], bool] | None = None,
    ) -> None:
        self.ctx, self.campaign, self.campaign_id, self.step = ctx, campaign, campaign_id, step
        #: Asked before each claim (a worker's SIGTERM): when true, no new batch is claimed;
        #: the requests in flight are finished and recorded, the rest stays pending.
        self.should_stop = should_stop or (lambda: False)
        self.variants, self.report, self.progress, self.sleep = variants, report, progress, sleep
        self.total = 0
        #: Rows put back to pending by this run (429, 5xx, deferrals), by language: claim
        #: them again.
        self.requeued: Counter[str] = Counter()
        #: Per language, the last id this run claimed: the next claim starts after it, so on
        #: PostgreSQL it does not step over the index entries of rows claimed before (they
        #: stay in the index, dead, until vacuum). Reset whenever rows behind it may be
        #: pending again.
        self.after: dict[str, int] = {}
        self.in_flight: dict[Future[_Done], list[Recipient]] = {}
        self.language_of: dict[Future[_Done], str] = {}
        # Renew claims well before they could expire; never busy-loop on a tiny lease.
        self.renew_every = max(0.05, ctx.lease_seconds / 3)
        self.owner = ""
        self.mailer: Mailer | None = None
        self.timing = RetryTiming()

    def run(self) -> None:
        ctx = self.ctx
        mailer = self.mailer = ctx.mailer()
        self.owner = ctx.ledger.owner()
        size = max(1, min(ctx.batch_size, mailer.max_batch, ctx.limiter.max_batch or 1000))
        languages = ctx.ledger.pending_languages(self.campaign_id, self.step)
        self.total = sum(languages.values())
        try:
            with ThreadPoolExecutor(max_workers=ctx.max_in_flight) as pool:
                try:
                    self._send_all(pool, mailer, languages, size)
                except StopRun as stop:
                    self.report.stopped = str(stop)
                except BaseException:
                    # Ctrl-C or a bug: record what is in flight before leaving, so those rows
                    # end sent/failed/pending rather than waiting out their lease as unknown.
                    self._drain()
                    raise
                self._drain()
        finally:
            mailer.close()

    def _send_all(
        self, pool: ThreadPoolExecutor, mailer: Mailer, languages: dict[str, int], size: int
    ) -> None:
        """Claim and hand over batches, language by language, keeping ``max_in_flight``
        requests going all the way: the pipeline does not empty between two languages (it
        did, once per language: ~0.4 s of a 100k send in 7 languages). Rows an answer put back
        (429, 5xx, deferrals) are claimed again before any later language's, so the same rows
        take their next attempt first, as within one language."""
        ctx = self.ctx
        left = dict(languages)  # language -> rows still to claim, in the ledger's order
        while True:
            if self.should_stop():
                raise StopRun(STOP_ASKED)
            for back, count in self.requeued.items():
                left[back] = left.get(back, 0) + count
                self.after[back] = 0  # their ids are behind the cursor
            self.requeued.clear()
            lang = next((k for k, n in left.items() if n > 0), None)
            if lang is None:
                if not self.in_flight:
                    return
                self._wait_one()
                continue
            if len(self.in_flight) >= ctx.max_in_flight:
                self._wait_one()
                continue
            batch = size
            if self.timing.open:
                # After a timeout or a dropped connection: no new request until the ones in
                # flight are answered, then one small probe after a pause.
                if self.in_flight:
                    self._wait_one()
                    continue
                self._pause(self.timing.before_probe())
                batch = self.timing.probe()
            self._reserve(min(batch, left[lang]))
            after = self.after.get(lang, 0)
            recipients, suppressed = ctx.ledger.claim(
                self.campaign_id, self.step, lang, self.campaign.topic, batch,
                now=ctx.clock.now(), owner=self.owner, after=after,
            )  # fmt: skip
            self.report.suppressed += suppressed
            left[lang] -= len(recipients) + suppressed
            if not recipients:
                if suppressed:  # a batch of people who left meanwhile: on to the next
                    continue
                if after:
                    # Rows behind the cursor may be pending again (released by another
                    # sender's recovery): look from the start once before calling it done.
                    self.after[lang] = 0
                    left[lang] = max(left[lang], 1)
                else:
                    left[lang] = 0
                continue
            self.after[lang] = recipients[-1].delivery_id
            self._hand_over(pool, mailer, lang, recipients)

    def _hand_over(
        self, pool: ThreadPoolExecutor, mailer: Mailer, lang: str, recipients: list[Recipient]
    ) -> None:
        """Sign the batch's links, write its request here, and make it in a worker."""
        ctx = self.ctx
        variant = self.variants.get(lang)
        if variant is None:  # rows planned under an older language set
            variant = compose_step(ctx, self.campaign, self.step, [lang])[lang]
            self.variants[lang] = variant
        issued = int(ctx.clock.now().timestamp())
        try:
            people = personalizations_for(ctx, self.campaign, recipients, issued, variant=variant)
            request = _prepare(mailer, Batch(variant, ctx.sender, people))
        except DeliveryError as exc:  # refused before the network: recorded as such
            request = functools.partial(_raise, exc)
        except BaseException:
            # Nothing left this process: the rows go back rather than end unknown.
            ids = [r.delivery_id for r in recipients]
            ctx.ledger.release(
                ids, "not sent: the batch could not be prepared", now=ctx.clock.now(),
                refund=True,
            )  # fmt: skip
            raise
        future = pool.submit(self._make, request, recipients)
        self.in_flight[future], self.language_of[future] = recipients, lang
        self.report.requests += 1

    def _reserve(self, count: int) -> None:
        """Block (renewing claims in flight) until the rate limit lets ``count`` more go."""
        while (delay := self.ctx.limiter.reserve(count, now=self.ctx.clock.now())) > 0:
            self.report.throttled_seconds += delay
            self._pause(delay)

    def _pause(self, seconds: float) -> None:
        """Sleep, renewing the claims of requests in flight meanwhile."""
        left = seconds
        while left > 0:
            step = min(left, self.renew_every)
            self.sleep(step)
            left -= step
            self._renew()

    def _renew(self) -> None:
        ids = [r.delivery_id for rows in self.in_flight.values() for r in rows]
        if ids:
            self.ctx.ledger.renew(ids, now=self.ctx.clock.now(), owner=self.owner)

    def _wait_one(self) -> None:
        """Wait for at least one request to finish, record it, renew the others' claims."""
        done, _ = wait(self.in_flight, timeout=self.renew_every, return_when=FIRST_COMPLETED)
        if not done:
            self._renew()
            return
        for future in done:
            self._record(future, self.in_flight.pop(future), self.language_of.pop(future))

    def _drain(self) -> None:
        while self.in_flight:
            done, _ = wait(self.in_flight, timeout=self.renew_every, return_when=FIRST_COMPLETED)
            if not done:
                self._renew()
            for future in done:
                try:
                    self._record(future, self.in_flight.pop(future), self.language_of.pop(future))
                except StopRun as stop:
                    self.report.stopped = self.report.stopped or str(stop)

    def _make(self, request: Callable[[], SendResult], recipients: list[Recipient]) -> _Done:
        """In a worker: make the request and, when the provider took all of it (the usual
        answer), commit ``sent`` at once, beside the other requests in flight - the database
        driver lets go of the interpreter lock while it writes - rather than queue the write
        behind the sender's thread, which is busy preparing the next batch."""
        ids = [r.delivery_id for r in recipients]
        # Committed before the request: after a crash only rows whose request started are
        # in doubt; the others go back to pending.
        if not self.ctx.ledger.start_request(ids, self.owner, now=self.ctx.clock.now()):
            return _Done(None, recorded=False, revoked=True)
        result = request()
        if result.rejected or result.deferred or result.unknown:
            return _Done(result, recorded=False)
        try:
            self.ctx.ledger.mark_sent(ids, result.provider_id, now=self.ctx.clock.now())
        except BaseException:
            # The database failed (full, locked, gone) after the transport took the batch.
            # Where nothing left the machine (the outbox), take the messages back: a message
            # is kept only where its row says sent, and the rows are sent again next time.
            # Elsewhere the rows stay "request started", which the next run settles.
            if isinstance(self.mailer, ReconcilingMailer):
                self.mailer.withdraw(self.campaign.slug, self.step, ids)
            raise
        return _Done(result, recorded=True)

    def _record(self, future: Future[_Done], recipients: list[Recipient], lang: str) -> None:
        """Commit the outcome of one request; raise StopRun when the run must not go on."""
        ctx, report = self.ctx, self.report
        ids = [r.delivery_id for r in recipients]
        now = ctx.clock.now()
        try:
            done = future.result()
        except TransientDeliveryError as exc:
            report.errors.append(str(exc))
            if exc.maybe_sent:
                ctx.ledger.mark_unknown(ids, str(exc), now=now)
                report.unknown += len(ids)
                self.timing.maybe_sent()
                return
            ctx.ledger.release(
                ids, str(exc), now=now, max_attempts=MAX_ATTEMPTS, refund=exc.throttled
            )
            self.requeued[lang] += len(ids)
            self._pause(self.timing.retry_wait(exc))
            return
        except (AccountError, OutboxError) as exc:
            # Nothing was sent and nothing will be: the rows go back untouched.
            ctx.ledger.release(ids, str(exc), now=now, refund=True)
            report.errors.append(str(exc))
            raise StopRun(str(exc)) from exc
        except PermanentDeliveryError as exc:
            ctx.ledger.mark_failed(ids, str(exc), now=now, kind=FailureKind.PERMANENT)
            report.failed += len(ids)
            report.errors.append(str(exc))
            return
        except DeliveryError as exc:  # pragma: no cover - the three above are exhaustive
            ctx.ledger.mark_unknown(ids, str(exc), now=now)
            report.unknown += len(ids)
            raise StopRun(str(exc)) from exc
        if done.revoked or done.result is None:
            report.errors.append(
                f"{len(ids)} rows were released by another sender before their request "
                "started; not sent by this run"
            )
            return
        self.timing.succeeded()
        result = done.result
        special = set(result.rejected) | set(result.deferred) | set(result.unknown)
        sent = [i for i in ids if i not in special]
        if not done.recorded:
            ctx.ledger.mark_sent(sent, result.provider_id, now=now)
        for did, why in result.rejected.items():
            ctx.ledger.mark_failed([did], why, now=now, kind=FailureKind.PERMANENT)
        for did, why in result.deferred.items():
            ctx.ledger.release([did], why, now=now, max_attempts=MAX_ATTEMPTS)
        self.requeued[lang] += len(result.deferred)
        for did, why in result.unknown.items():
            ctx.ledger.mark_unknown([did], why, now=now)
        report.sent += len(sent)
        report.failed += len(result.rejected)
        report.unknown += len(result.unknown)
        if self.progress is not None:
            self.progress(report.sent + report.failed + report.unknown, self.total)


def _prepare(mailer: Mailer, batch: Batch) -> Callable[[], SendResult]:
    """The request for ``batch``, for a worker to make. A send is CPU-bound (signing links,
    writing 1000-recipient requests): that work stays on the sender's own thread, where it
    never waits for the interpreter lock behind the workers; they only wait on the network."""
    if isinstance(mailer, PreparingMailer):
        return mailer.prepare(batch)
    return functools.partial(mailer.send, batch)


def _raise(error: DeliveryError) -> SendResult:
    raise error
