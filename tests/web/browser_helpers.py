"""Shared bits of the browser tests: Debian's headless Chromium through Playwright, the app in
a uvicorn thread on a loopback port, and a member of staff signed in.

Never downloads a browser: without /usr/bin/chromium a test is skipped with a loud reason.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Frame, Page, sync_playwright
from starlette.types import ASGIApp

from newsletter.config import Settings
from newsletter.content.files.screenshots import CHROMIUM_ARGS, DEBIAN_CHROMIUM
from newsletter.web.app import create_app
from tests.conftest import FrozenClock, make_settings
from tests.delivery.test_sending import load_samples
from tests.services import Services, services
from tests.web.staff_helpers import PASSWORD, add_accounts


def require_chromium() -> None:
    if not Path(DEBIAN_CHROMIUM).exists():
        pytest.skip(f"BROWSER TESTS SKIPPED: no Chromium at {DEBIAN_CHROMIUM}")


def loopback() -> tuple[socket.socket, str]:
    """A socket bound to a free loopback port, and the app's address on it (known before the
    app is built, so ``web.base_url`` can name it)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock, f"http://127.0.0.1:{sock.getsockname()[1]}"


def loopback_settings(project: Path, database: str) -> tuple[socket.socket, str, Settings]:
    """A free loopback port, the app's address on it, and the project's settings with SQLite
    in ``var/<database>`` and ``web.base_url`` naming that address, so the links the app
    writes (emails, pages) lead back to it."""
    sock, base = loopback()
    settings = make_settings(
        project,
        database={"url": f"sqlite:///{project / 'var' / database}"},
        web={"base_url": base},
    )
    return sock, base, settings


@contextlib.contextmanager
def serving(app: ASGIApp, sock: socket.socket) -> Iterator[None]:
    """The app on ``sock`` in a uvicorn thread of this process."""
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)  # uvicorn has no "started" event to wait on
    assert server.started, "the app did not start"
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@contextlib.contextmanager
def staff_app(project: Path, *, samples: bool = False) -> Iterator[tuple[str, Services]]:
    """The app over ``project`` (SQLite in var/web.db, the frozen clock) with the editor's and
    the approver's sign-ins, and with the sample audiences when ``samples``; yields its
    address and context."""
    require_chromium()
    settings = make_settings(project, database={"url": f"sqlite:///{project / 'var/web.db'}"})
    ctx = services(settings, clock=FrozenClock())
    if samples:
        load_samples(ctx, project)
    add_accounts(ctx)
    sock, base = loopback()
    try:
        with serving(create_app(ctx.app), sock):
            yield base, ctx
    finally:
        ctx.close()


@contextlib.contextmanager
def chromium() -> Iterator[Browser]:
    """One headless Chromium, closed afterwards."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=DEBIAN_CHROMIUM, args=list(CHROMIUM_ARGS))
        try:
            yield browser
        finally:
            browser.close()


def submit_sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """Fill in the sign-in page ``page`` shows and wait for the campaign list."""
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/staff/campaigns")


def sign_in(page: Page, base: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/staff/login")
    submit_sign_in(page, email, password)


def phone_frame(page: Page) -> Frame:
    """The campaign page's phone-width preview frame, loaded."""
    element = page.wait_for_selector(".frame-phone iframe")
    assert element is not None
    frame = element.content_frame()
    assert frame is not None
    frame.wait_for_load_state()
    return frame
