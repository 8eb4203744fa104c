"""``newsletter worker``: a sending process that helps whoever planned a step.

Whoever starts a step - the scheduler's leader when it comes due, or ``campaigns send`` -
plans its ledger rows and sets the campaign ``sending``. Any number of workers, on any
machines that reach the same database, poll for such steps with ``pending`` rows and send
them through :func:`newsletter.delivery.sending.send_campaign` without planning
(``plan_rows=False``): the approval gate and composing as always, then claims. The claims
share the rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the write lock on SQLite), and the
claim-owner rules settle a dead worker's rows (:mod:`newsletter.delivery.sql.leases`): a
worker that dies loses nobody, and nobody is sent twice except what its requests in flight
leave ``unknown``.

A stop (SIGTERM) is asked between batches: the requests in flight are finished and
recorded, nothing new is claimed, and the rows left stay ``pending`` for the other workers.
A step that cannot go now (not approved as it is, blocked by complaints, the provider
refusing) is left alone for ``retry_seconds`` rather than retried in a tight loop.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from newsletter.delivery.ports import DeliveryServices
from newsletter.delivery.sending import SendReport, send_campaign
from newsletter.errors import NewsletterError

log = logging.getLogger("newsletter.worker")

#: (campaign slug, step key)
StepRef = tuple[str, str]


@dataclass
class WorkerSummary:
    """What one worker did until it stopped."""

    steps: int = 0
    sent: int = 0
    failed: int = 0
    unknown: int = 0
    requests: int = 0
    #: Steps left alone for a while, with why (the last reason seen per step).
    deferred: dict[str, str] = field(default_factory=dict)
    stopped_by_signal: bool = False


def pending_steps(ctx: DeliveryServices) -> list[StepRef]:
    """Steps of campaigns in the ``sending`` state that have ``pending`` rows, in the order
    the campaigns started and the steps stand in the campaign file."""
    found: list[StepRef] = []
    for campaign_id, slug in ctx.ledger.sending_campaigns():
        try:
            steps = ctx.catalog.campaign(slug)[0].step_keys()
        except NewsletterError as exc:  # the file went away or broke: the leader reports it
            log.warning("%s: cannot read the campaign: %s", slug, exc)
            continue
        found += [(slug, step) for step in steps if ctx.ledger.has_pending(campaign_id, step)]
    return found


def run_worker(
    ctx: DeliveryServices,
    stopping: threading.Event,
    *,
    poll_seconds: float = 5.0,
    retry_seconds: float = 60.0,
    until_idle: bool = False,
    send: Callable[..., SendReport] = send_campaign,
) -> WorkerSummary:
    """Send planned steps until ``stopping`` is set (or, ``until_idle``, until no step has a
    pending row this worker may send)."""
    summary = WorkerSummary()
    resting: dict[StepRef, float] = {}  # step -> monotonic time before which it is left alone
    while not stopping.is_set():
        now = time.monotonic()
        ready = [s for s in pending_steps(ctx) if resting.get(s, 0.0) <= now]
        for ref in ready:
            if stopping.is_set():
                break
            why = _send_one(ctx, ref, stopping, send, summary)
            if why is not None:
                summary.deferred[f"{ref[0]}/{ref[1]}"] = why
                resting[ref] = time.monotonic() + retry_seconds
                log.warning("%s/%s: %s; looking again in %.0f s", *ref, why, retry_seconds)
        if until_idle and not ready:
            break
        if not ready:
            stopping.wait(poll_seconds)
    summary.stopped_by_signal = stopping.is_set()
    return summary


def _send_one(
    ctx: DeliveryServices,
    ref: StepRef,
    stopping: threading.Event,
    send: Callable[..., SendReport],
    summary: WorkerSummary,
) -> str | None:
    """Send one step's planned rows; the reason to leave it alone for a while, if any."""
    slug, step = ref
    try:
        report = send(ctx, slug, step=step, plan_rows=False, should_stop=stopping.is_set)
    except NewsletterError as exc:  # not approved as it is now, complaints, a broken template
        return str(exc)
    summary.steps += 1
    summary.sent += report.sent
    summary.failed += report.failed
    summary.unknown += report.unknown
    summary.requests += report.requests
    log.info(
        "%s/%s: %d sent, %d failed, %d unknown in %d requests; %d pending, %d held by others",
        slug, step, report.sent, report.failed, report.unknown, report.requests,
        report.pending, report.in_flight_elsewhere,
    )  # fmt: skip
    if report.stopped and not stopping.is_set():
        return f"stopped: {report.stopped}"  # the provider refused or kept failing
    return None
