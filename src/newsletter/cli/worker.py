"""``newsletter worker``: send the steps whoever starts them has planned, until SIGTERM.

newsletter worker [--poll SECONDS] [--retry SECONDS] [--until-idle] [--json]
"""

from __future__ import annotations

import faulthandler
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import asdict

import click

from newsletter.cli.common import State, emit_json, handle_errors, out, pass_state


def stop_handler(stopping: threading.Event) -> Callable[[int, object], None]:
    """SIGTERM/SIGINT: no new batch is claimed; what is in flight is finished and recorded."""

    def stop(signum: int, _frame: object) -> None:
        # Flag first, and no buffered I/O in a handler (it may land inside a logging write).
        stopping.set()
        os.write(2, f"signal {signum}: finishing the requests in flight, then stopping\n".encode())

    return stop


@click.command("worker")
@click.option(
    "--poll",
    "poll",
    type=click.FloatRange(min=0.05),
    default=5.0,
    show_default=True,
    help="Seconds between looks for planned steps when there is nothing to send.",
)
@click.option(
    "--retry",
    "retry",
    type=click.FloatRange(min=0.0),
    default=60.0,
    show_default=True,
    help="Seconds a step that cannot go now (not approved, refused) is left alone.",
)
@click.option(
    "--until-idle", is_flag=True, help="Stop once no planned step has a pending row (for cron)."
)
@click.option("--json", "as_json", is_flag=True, help="Print a summary as JSON when stopping.")
@pass_state
@handle_errors
def worker(state: State, poll: float, retry: float, until_idle: bool, as_json: bool) -> None:
    """Send planned campaign steps beside other workers and the scheduler (any number, any
    machine, one database); SIGTERM or Ctrl-C stop it after the requests in flight."""
    from newsletter.delivery.workers import run_worker

    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s"
    )
    ctx = state.app.delivery
    stopping = threading.Event()
    faulthandler.register(signal.SIGUSR1, all_threads=True)  # `kill -USR1`: where it waits
    stop = stop_handler(stopping)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    summary = run_worker(
        ctx, stopping, poll_seconds=poll, retry_seconds=retry, until_idle=until_idle
    )
    if as_json:
        emit_json(asdict(summary))
    else:
        out.print(
            f"worker: {summary.sent} sent, {summary.failed} failed, {summary.unknown} unknown "
            f"in {summary.requests} requests over {summary.steps} step runs"
            + (" (stopped by signal)" if summary.stopped_by_signal else "")
        )
        for step, why in summary.deferred.items():
            out.print(f"  left for later: {step}: {why}", highlight=False)
    if until_idle and summary.deferred:
        sys.exit(1)  # something planned could not go out
