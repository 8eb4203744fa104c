"""``run_worker`` in one process: it sends only what someone planned (never plans itself),
leaves a step that cannot go now for later instead of spinning on it, and stops between
batches when asked."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from newsletter.content.domain.campaigns import MAIN_STEP
from newsletter.delivery.sending import SendReport, send_campaign
from newsletter.delivery.workers import pending_steps, run_worker
from newsletter.errors import NotApprovedError
from tests.delivery.test_sending import expected_audience, load_samples
from tests.services import Services

DOC = "days-of-clusters-2015"


def _planned(ctx: Services, project: Path) -> int:
    """The step planned as its starter does, with nothing sent yet."""
    load_samples(ctx, project)
    report = send_campaign(ctx, DOC, should_stop=lambda: True)
    assert report.sent == 0 and report.planned == len(expected_audience(project, "events"))
    return report.planned


@pytest.mark.slow
def test_worker_sends_what_was_planned_and_stops_when_idle(ctx: Services, project: Path) -> None:
    assert run_worker(ctx, threading.Event(), until_idle=True).steps == 0  # nothing planned
    assert not (project / "var" / "outbox" / DOC).exists()
    planned = _planned(ctx, project)
    assert pending_steps(ctx) == [(DOC, MAIN_STEP)]
    summary = run_worker(ctx, threading.Event(), until_idle=True, poll_seconds=0.05)
    assert summary.sent == planned and summary.steps == 1 and not summary.deferred
    assert summary.stopped_by_signal is False
    assert len(list((project / "var" / "outbox" / DOC / MAIN_STEP).glob("*.eml"))) == planned
    assert pending_steps(ctx) == []
    cid = ctx.ledger.campaign_id(DOC)
    assert cid is not None and ctx.ledger.counts(cid, MAIN_STEP).sent == planned


@pytest.mark.slow
def test_a_step_that_cannot_go_is_left_alone_and_a_stop_ends_between_batches(
    ctx: Services, project: Path
) -> None:
    planned = _planned(ctx, project)
    calls: list[str] = []

    def refused(_ctx: Services, slug: str, **_: object) -> SendReport:
        calls.append(slug)
        raise NotApprovedError(f"{slug}: changed since it was approved")

    summary = run_worker(ctx, threading.Event(), until_idle=True, retry_seconds=3600, send=refused)
    assert calls == [DOC]  # tried once, then left alone: the worker did not spin on it
    assert summary.deferred == {f"{DOC}/{MAIN_STEP}": f"{DOC}: changed since it was approved"}
    assert pending_steps(ctx) == [(DOC, MAIN_STEP)]  # still pending for when it may go

    stopping = threading.Event()
    stopping.set()  # SIGTERM before the first batch: nothing is claimed
    assert run_worker(ctx, stopping).stopped_by_signal is True
    cid = ctx.ledger.campaign_id(DOC)
    assert cid is not None and ctx.ledger.counts(cid, MAIN_STEP).pending == planned
