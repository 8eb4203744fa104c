"""Fast tier: a worker (``newsletter worker``, delivery/workers.py) sends the rows someone else
planned, on in-memory ports (tests/fakes/context.py). The same with worker processes on SQLite
and PostgreSQL: test_workers.py and test_worker_processes.py."""

from __future__ import annotations

import dataclasses
import threading

from newsletter.audiences.files.member_files import read_member_file
from newsletter.audiences.imports import import_members
from newsletter.delivery.sending import send_campaign
from newsletter.delivery.workers import pending_steps, run_worker
from newsletter.errors import AccountError
from tests.conftest import REPO
from tests.fakes.context import Fakes, fake_context

DAYS = "days-of-clusters-2015"


def _planned_elsewhere(**options: object) -> Fakes:
    """The campaign planned by a sender whose transport refused its key: every row pending."""
    fakes = fake_context(**options)  # type: ignore[arg-type]
    found = read_member_file(REPO / "audiences" / "members.csv")
    import_members(fakes.ctx, found.rows, source="members.csv")
    fakes.mailer.fail = [AccountError("401: the API key was refused")]
    report = send_campaign(fakes.ctx, DAYS)
    assert report.planned == 234 and report.sent == 0 and report.stopped
    return fakes


def test_a_worker_sends_what_was_planned_and_stops_when_idle() -> None:
    fakes = _planned_elsewhere(batch_size=100)
    assert pending_steps(fakes.ctx) == [(DAYS, "main")]
    summary = run_worker(fakes.ctx, threading.Event(), until_idle=True)
    assert (summary.steps, summary.sent, summary.failed, summary.unknown) == (1, 234, 0, 0)
    assert pending_steps(fakes.ctx) == []
    assert len(set(fakes.mailer.recipients())) == len(fakes.mailer.recipients()) == 234
    # It planned nobody: a member who joined since is left for the next planning send.
    assert fakes.ledger.counts(1).total == 234


def test_a_worker_leaves_a_step_alone_that_may_not_go_out_now() -> None:
    fakes = _planned_elsewhere()
    # Since the rows were planned, file campaigns need an approval too (``approval.files``).
    # The gate holds its own copy of the setting (bootstrap builds both from one settings file).
    gate = dataclasses.replace(fakes.ctx.approvals, approve_files=True)  # type: ignore[type-var]
    strict = dataclasses.replace(fakes.ctx, approve_files=True, approvals=gate)
    summary = run_worker(strict, threading.Event(), until_idle=True, retry_seconds=3600)
    assert summary.sent == 0 and fakes.mailer.batches == []
    [(step, why)] = summary.deferred.items()
    assert step == f"{DAYS}/main" and "approv" in why
    assert fakes.ledger.counts(1).pending == 234


def test_a_stop_request_ends_the_worker_before_the_next_batch() -> None:
    fakes = _planned_elsewhere(batch_size=50)
    stopping = threading.Event()
    real_send = fakes.mailer.send

    def send_then_stop(batch: object) -> object:
        result = real_send(batch)  # type: ignore[arg-type]
        stopping.set()  # SIGTERM while the first request was in flight
        return result

    fakes.mailer.send = send_then_stop  # type: ignore[method-assign]
    summary = run_worker(fakes.ctx, stopping, until_idle=True)
    assert summary.stopped_by_signal and len(fakes.mailer.batches) == 1
    counts = fakes.ledger.counts(1)
    assert counts.sent == len(fakes.mailer.batches[0].personalizations)
    assert counts.sent + counts.pending == 234 and counts.sending == 0
