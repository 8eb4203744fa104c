"""The staff app in a real browser (Debian's headless Chromium through Playwright, on
loopback): sign in and open a campaign's preview at phone width.

Never downloads a browser: without /usr/bin/chromium the test is skipped with a loud reason.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from newsletter.web.app import create_app
from tests.conftest import FrozenClock, make_settings
from tests.services import Services, services
from tests.synthetic import add_members
from tests.web.staff_helpers import EDITOR, PASSWORD, add_accounts

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SLUG = "days-of-clusters-2015"


@pytest.fixture
def served(project: Path) -> Iterator[tuple[str, Services]]:
    if not CHROMIUM.exists():
        pytest.skip("BROWSER TESTS SKIPPED: no Chromium at /usr/bin/chromium")
    settings = make_settings(project, database={"url": f"sqlite:///{project / 'var/web.db'}"})
    ctx = services(settings, clock=FrozenClock())
    add_accounts(ctx)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(ctx.app), log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", ctx
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
        ctx.close()


def test_sign_in_and_preview_in_serbian_cyrillic_at_phone_width(
    served: tuple[str, Services],
) -> None:
    from playwright.sync_api import sync_playwright

    base, _ = served
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page()
            page.goto(f"{base}/staff/campaigns/{SLUG}")
            assert page.url.endswith("/staff/login")  # no session: to the sign-in page
            page.fill("input[name=email]", EDITOR)
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url("**/staff/campaigns")
            page.goto(f"{base}/staff/campaigns/{SLUG}?lang=sr-Cyrl")
            frame_element = page.wait_for_selector(".frame-phone iframe")
            assert frame_element is not None
            frame = frame_element.content_frame()
            assert frame is not None
            frame.wait_for_load_state()
            width = frame.evaluate("document.documentElement.clientWidth")
            scroll = frame.evaluate("document.documentElement.scrollWidth")
            assert width == 375
            assert scroll <= width, f"the phone preview scrolls sideways ({scroll} px)"
            assert "Дани кластера" in frame.content() or "кластер" in frame.content()
        finally:
            browser.close()


def test_member_switches_to_latin_and_leaves_events_in_the_browser(
    served: tuple[str, Services],
) -> None:
    from playwright.sync_api import sync_playwright

    base, ctx = served
    engine = ctx.ledger.engine  # type: ignore[attr-defined]
    (member,) = add_members(engine, 1, topics=("events", "news"), languages=("sr-Cyrl",))
    url = ctx.links.preferences(member, "events", int(ctx.clock.now().timestamp()))
    path = url.split("/p/", 1)[1]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 375, "height": 800})
            page.goto(f"{base}/p/{path}")
            assert page.locator("h1").inner_text() == "Подешавања порука"
            page.check("input[name=language][value=sr-Latn]")
            page.uncheck("input[name=topic][value=events]")
            page.click("button[value=save]")
            page.wait_for_load_state()
            assert page.locator("h1").inner_text() == "Podešavanja poruka"
            assert not page.is_checked("input[name=topic][value=events]")
            assert page.is_checked("input[name=topic][value=news]")
        finally:
            browser.close()
