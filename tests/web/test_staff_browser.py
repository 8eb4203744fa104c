"""The staff app in a real browser (Debian's headless Chromium through Playwright, on
loopback): sign in and open a campaign's preview at phone width.

Never downloads a browser: without /usr/bin/chromium the test is skipped with a loud reason.
"""

from __future__ import annotations

import pytest

from tests.services import Services
from tests.synthetic import add_members
from tests.web.browser_helpers import chromium, phone_frame, submit_sign_in
from tests.web.staff_helpers import EDITOR

pytestmark = pytest.mark.browser

SLUG = "days-of-clusters-2015"


def test_sign_in_and_preview_in_serbian_cyrillic_at_phone_width(
    served: tuple[str, Services],
) -> None:
    base, _ = served
    with chromium() as browser:
        page = browser.new_page()
        page.goto(f"{base}/staff/campaigns/{SLUG}")
        assert page.url.endswith("/staff/login")  # no session: to the sign-in page
        submit_sign_in(page, EDITOR)
        page.goto(f"{base}/staff/campaigns/{SLUG}?lang=sr-Cyrl")
        frame = phone_frame(page)
        width = frame.evaluate("document.documentElement.clientWidth")
        scroll = frame.evaluate("document.documentElement.scrollWidth")
        assert width == 375
        assert scroll <= width, f"the phone preview scrolls sideways ({scroll} px)"
        assert "Дани кластера" in frame.content() or "кластер" in frame.content()


def test_member_switches_to_latin_and_leaves_events_in_the_browser(
    served: tuple[str, Services],
) -> None:
    base, ctx = served
    engine = ctx.ledger.engine  # type: ignore[attr-defined]
    (member,) = add_members(engine, 1, topics=("events", "news"), languages=("sr-Cyrl",))
    url = ctx.links.preferences(member, "events", int(ctx.clock.now().timestamp()))
    path = url.split("/p/", 1)[1]
    with chromium() as browser:
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
