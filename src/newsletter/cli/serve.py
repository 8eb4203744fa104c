"""``newsletter serve``: the web app, and on the embedded default the scheduler in the same process.

newsletter serve [--host H] [--port P] [--scheduler/--no-scheduler]

The scheduler is the same one ``newsletter scheduler run`` runs (bootstrap.scheduler_process):
a background thread that leads only while it holds the ``scheduler_lock`` lease, so a separate
``scheduler run`` (or a second ``serve``) simply waits. By default it runs in-process only on
SQLite - the one-machine installation where a second process is one thing too many to keep
running; with PostgreSQL the operator runs ``newsletter scheduler run`` as its own service.

Shutdown on SIGTERM or Ctrl-C: uvicorn stops accepting requests and finishes the ones in
flight, then the scheduler finishes the step in progress and lets go of the lease. uvicorn
re-raises the signal it handled once it is done (so an embedding program sees it); our own
handler is in place by then, so the command ends with exit code 0 instead of dying by signal.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
from types import FrameType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import click

from newsletter.cli.common import State, err, handle_errors, out, pass_state
from newsletter.errors import ConfigError

if TYPE_CHECKING:
    from newsletter.bootstrap import App
    from newsletter.config import Settings
    from newsletter.scheduling.leader import SchedulerProcess

#: Seconds the scheduler gets to finish the step in progress at shutdown.
STOP_TIMEOUT = 120
#: Connections served at once; past it uvicorn answers 503 instead of queueing.
UVICORN_LIMIT_CONCURRENCY = 500


def runs_scheduler(flag: bool | None, configured: bool | None, database_url: str) -> bool:
    """The command-line flag wins, then ``web.scheduler``; unset, only the SQLite default runs
    one in-process."""
    if flag is not None:
        return flag
    if configured is not None:
        return configured
    return database_url.startswith("sqlite")


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """What ``newsletter serve`` tells uvicorn besides the app, host and port."""
    return {
        # X-Forwarded-For / -Proto only from the reverse proxies named in web.trusted_proxies:
        # from anyone else they are ignored, so no client picks its own address.
        "proxy_headers": bool(settings.web.trusted_proxies),
        "forwarded_allow_ips": list(settings.web.trusted_proxies) or None,
        # Close idle keep-alive connections soon, cap one request's head, and refuse (503)
        # past a number of connections rather than queue without end. Bodies are capped per
        # route by the app (web/limits.py).
        "timeout_keep_alive": 5,
        "h11_max_incomplete_event_size": 16 * 1024,
        "limit_concurrency": UVICORN_LIMIT_CONCURRENCY,
        # A request head must be complete within HEAD_SECONDS (slowloris); uvicorn imports
        # the protocol by name, like the app, so the CLI does not load the web layer.
        "http": "newsletter.web.slow_heads:HeadDeadlineProtocol",
    }


@click.command("serve")
@click.option("--host", default=None, help="Interface (default: web.host).")
@click.option("--port", type=int, default=None, help="Port (default: web.port).")
@click.option(
    "--scheduler/--no-scheduler",
    "scheduler",
    default=None,
    help="Run the scheduler in this process (default: web.scheduler; unset, on for SQLite).",
)
@pass_state
@handle_errors
def serve(state: State, host: str | None, port: int | None, scheduler: bool | None) -> None:
    """Run the web app (staff pages, preference centre, one-click unsubscribe, SendGrid event
    webhook) and, on the embedded SQLite default, the scheduler, until SIGTERM or Ctrl-C."""
    import uvicorn

    from newsletter.bootstrap import build_app, webhook_verifier
    from newsletter.config import config_path

    settings = state.settings  # fail here, with a clear message, rather than inside uvicorn
    webhook_verifier(settings)
    build_app(settings).close()  # create / migrate the database before serving
    # The web layer is loaded by uvicorn from its factory, not imported by the CLI: the two
    # are separate top layers. The factory reads the same config file.
    # Set for this call only: run in-process (tests, an embedding script), a leaked value
    # would point every later command of the process at this config file.
    previous_config = os.environ.get("NEWSLETTER_CONFIG")
    os.environ["NEWSLETTER_CONFIG"] = str(config_path(state.config).resolve())
    host = host or settings.web.host
    port = port or settings.web.port
    with_scheduler = runs_scheduler(scheduler, settings.web.scheduler, settings.database_url)
    if not settings.sendgrid.webhook_public_key:
        err.print(
            "[yellow]note:[/] sendgrid.webhook_public_key is not set: /webhooks/sendgrid "
            "refuses every request",
            highlight=False,
        )
    config = uvicorn.Config(
        "newsletter.web.app:from_environment",
        factory=True,
        host=host,
        port=port,
        log_level="info",
        **uvicorn_options(settings),
    )
    server = uvicorn.Server(config)

    def stop(_signum: int, _frame: FrameType | None) -> None:
        # Before uvicorn installs its handlers and after it restores ours (it re-raises the
        # signal it handled): ask it to stop, never die half-way through a dispatch.
        server.should_exit = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        sock = _listen(host, port)  # a port in use fails here, before the scheduler starts
        out.print(
            f"serving on http://{host}:{sock.getsockname()[1]} "
            f"(public base URL {settings.web.base_url})",
            highlight=False,
        )
        mismatch = loopback_mismatch(settings.web.base_url, sock.getsockname()[1])
        if mismatch:
            err.print(f"[yellow]note:[/] {mismatch}", highlight=False)
        running = _start_scheduler(state) if with_scheduler else None
        if running is None:
            out.print(
                "scheduler: not in this process; run `newsletter scheduler run` to send "
                "scheduled campaigns",
                highlight=False,
            )
        try:
            server.run(sockets=[sock])
        finally:
            if running is not None:
                _stop_scheduler(*running)
            sock.close()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if previous_config is None:
            os.environ.pop("NEWSLETTER_CONFIG", None)
        else:
            os.environ["NEWSLETTER_CONFIG"] = previous_config
    if not server.started:
        sys.exit(1)  # uvicorn logged why (the app factory or its lifespan failed)


def loopback_mismatch(base_url: str, port: int) -> str | None:
    """Why links would miss this server: ``web.base_url`` names this machine on another port
    (``--port 8001`` with the default ``http://localhost:8000``). A base URL of another host is
    a proxy's business and is left alone."""
    parts = urlsplit(base_url)
    if parts.hostname not in ("localhost", "127.0.0.1", "::1"):
        return None
    theirs = parts.port or (443 if parts.scheme == "https" else 80)
    if theirs == port:
        return None
    return (
        f"web.base_url ({base_url}) points at port {theirs} of this machine but the app "
        f"listens on {port}: links in emails and pages will miss it; set "
        f"NEWSLETTER_WEB__BASE_URL=http://localhost:{port} too"
    )


def _listen(host: str, port: int) -> socket.socket:
    """Bind as uvicorn's ``Config.bind_socket`` does, but fail with our error and exit code."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigError(
            f"cannot listen on {host}:{port}: {exc.strerror} (another server there? "
            "use --port or web.port)"
        ) from exc
    sock.set_inheritable(True)
    return sock


def _start_scheduler(state: State) -> tuple[SchedulerProcess, App]:
    from newsletter.bootstrap import scheduler_process

    # One line per fired step on stderr, as `scheduler run` logs; only our loggers, so the
    # migration check's INFO lines do not end up between uvicorn's.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(message)s"))
    ours = logging.getLogger("newsletter")
    ours.addHandler(handler)
    ours.setLevel(logging.INFO)
    process, app = scheduler_process(state.settings)
    process.start_background()
    out.print(
        "scheduler: running in this process (it sends once it holds the scheduler lease; "
        "--no-scheduler to leave that to `newsletter scheduler run`)",
        highlight=False,
    )
    return process, app


def _stop_scheduler(process: SchedulerProcess, app: App) -> None:
    err.print("stopping the scheduler: the step in progress finishes first", highlight=False)
    process.stop(timeout=STOP_TIMEOUT)
    thread = process.thread
    if thread is not None and thread.is_alive():
        err.print(
            f"[yellow]warning:[/] the scheduler was still busy after {STOP_TIMEOUT} s; rows "
            "it claimed are taken over by the next scheduler",
            highlight=False,
        )
        return  # its connections go with the process
    app.close()
