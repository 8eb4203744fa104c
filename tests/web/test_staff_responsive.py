"""Every staff page at phone width (375 px) and desktop width (1280 px), in Debian's headless
Chromium through Playwright, with the sample data of a working installation: the members
imported, the Interreg-IPA call sent (so it has a report), the Days of Clusters invitation
approved and scheduled (so it has a timeline and fills the calendar).

At 375 px no page scrolls sideways (``document.scrollingElement.scrollWidth``) and the menu
is folded behind one "Menu" button that opens every staff page's link and "Sign out" inside
the screen. At 1280 px the bar shows the links and "Sign out" in one row, as it always did.
Any Content-Security-Policy violation fails: the menu works without script.

:data:`PAGES` lists the address of every GET staff route, and a test fails when the app has
a GET route under ``/staff`` that is in neither it nor :data:`NOT_PAGES`, so a new page cannot
be left out. Never downloads a browser: without /usr/bin/chromium the tests are skipped.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from newsletter.authoring import approvals
from newsletter.authoring.overview import schedule_approved
from newsletter.bootstrap import build_scheduling
from newsletter.config import Settings
from newsletter.db.tables import members
from newsletter.delivery.sending import send_campaign
from newsletter.staff import accounts as staff
from newsletter.staff import passwords
from newsletter.web.app import create_app
from tests.conftest import REPO, FrozenClock, make_settings
from tests.delivery.test_sending import load_samples
from tests.services import Services, services
from tests.web.browser_helpers import (
    chromium,
    loopback_settings,
    require_chromium,
    serving,
    sign_in,
)
from tests.web.staff_helpers import APPROVER, add_accounts

PHONE = 375
DESKTOP = 1280
SCHEDULED = "days-of-clusters-2015"
SENT = "interreg-ipa-bg-rs-first-call"
#: The links of the staff menu, in order.
NAV = ("Campaigns", "Calendar", "Reports", "Members")

#: Every GET route under /staff and the address a person opens it at; ``{member}`` and
#: ``{email}`` are a sample member's id and address.
PAGES: dict[str, str] = {
    "/staff": "/staff",
    "/staff/login": "/staff/login",
    "/staff/campaigns": "/staff/campaigns",
    "/staff/campaigns/new": "/staff/campaigns/new?kind=call_for_proposals",
    "/staff/campaigns/{slug}": f"/staff/campaigns/{SCHEDULED}?lang=sr-Cyrl",
    "/staff/campaigns/{slug}/edit": f"/staff/campaigns/{SCHEDULED}/edit",
    "/staff/campaigns/{slug}/why": f"/staff/campaigns/{SCHEDULED}/why?email={{email}}",
    "/staff/campaigns/{slug}/report": f"/staff/campaigns/{SENT}/report",
    "/staff/calendar": "/staff/calendar?month=2015-09&tz=Europe/Belgrade",
    "/staff/reports": "/staff/reports",
    "/staff/members": "/staff/members",
    "/staff/members/import": "/staff/members/import",
    "/staff/members/{member_id:int}": "/staff/members/{member}",
    "/staff/campaigns/{slug}/delete": f"/staff/campaigns/{SCHEDULED}/delete",
    "/staff/account": "/staff/account",
    "/staff/accounts": "/staff/accounts",
    "/staff/forgot": "/staff/forgot",
    "/staff/reset/{token}": "/staff/reset/{reset}",
}
#: Pages seen signed out: no menu, nobody to sign out.
SIGNED_OUT = frozenset({"/staff/login", "/staff/forgot", "/staff/reset/{token}"})
#: GET routes under /staff that are not pages of the staff app, and what they are.
NOT_PAGES: dict[str, str] = {
    "/staff/campaigns/{slug}/preview/{lang}": "the email itself, framed by the campaign page",
    "/staff/campaigns/preview/{name}": "a live-preview frame of the campaign form",
    "/staff/members/export": "a CSV download",
    "/staff/members/{member_id:int}/data.json": "one person's data, a JSON download",
    "/staff/members/import/template.{kind:str}": "a CSV or XLSX template download",
    "/staff/campaigns/{slug}/progress": "JSON the campaign page polls while a send runs",
    "/staff/members/import/{upload}/rejects.csv": "a CSV download",
}


def staff_get_routes(app: Any) -> set[str]:
    inner = getattr(app, "app", app)  # the security-headers middleware wraps the app
    return {
        route.path
        for route in inner.routes
        if getattr(route, "path", "").startswith("/staff") and "GET" in (route.methods or ())
    }


def test_every_get_staff_route_is_checked(project: Path) -> None:
    settings = make_settings(project, database={"url": f"sqlite:///{project / 'var/r.db'}"})
    ctx = services(settings, clock=FrozenClock())
    try:
        app = create_app(ctx.app, scheduling=lambda: build_scheduling(settings, ctx))
        found = staff_get_routes(app)
    finally:
        ctx.close()
    assert "/staff/campaigns" in found  # the discovery itself works
    missing = sorted(found - PAGES.keys() - NOT_PAGES.keys())
    assert not missing, f"staff pages not in PAGES (or NOT_PAGES) of this test: {missing}"
    gone = sorted((PAGES.keys() | NOT_PAGES.keys()) - found)
    assert not gone, f"listed here but no longer routes of the app: {gone}"


@dataclass
class Site:
    base: str
    browser: Browser
    signed_in: dict[str, Any]  # Playwright storage state of the approver's session
    values: dict[str, str]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    require_chromium()
    project = tmp_path_factory.mktemp("responsive")
    for name in ("templates", "audiences", "campaigns"):
        shutil.copytree(REPO / name, project / name)
    shutil.copy(REPO / "config.yaml", project / "config.yaml")
    sock, base, settings = loopback_settings(project, "web.db")
    ctx = services(settings, clock=FrozenClock())
    values = prepare(ctx, settings, project)
    app = create_app(ctx.app, scheduling=lambda: build_scheduling(settings, ctx))
    try:
        with serving(app, sock), chromium() as browser:
            context = browser.new_context()
            sign_in(context.new_page(), base, APPROVER)
            state = context.storage_state()
            context.close()
            yield Site(base, browser, dict(state), values)
    finally:
        ctx.close()


def prepare(ctx: Services, settings: Settings, project: Path) -> dict[str, str]:
    """The sample installation; returns a member's id and address for the member pages."""
    load_samples(ctx, project)
    add_accounts(ctx)
    send_campaign(ctx, SENT)
    found = staff.store(ctx).credentials(APPROVER)
    assert found is not None
    shown = approvals.standing(ctx, SCHEDULED).fingerprint
    approvals.approve(ctx, SCHEDULED, found[0], shown=shown)
    at = dt.datetime(2015, 9, 8, 10, 0)  # a week after the frozen clock's 1 September
    schedule_approved(build_scheduling(settings, ctx), SCHEDULED, at, "Europe/Belgrade")
    with ctx.ledger.engine.connect() as conn:  # type: ignore[attr-defined]
        member_id, address = conn.execute(
            select(members.c.id, members.c.email).where(members.c.language == "sr-Cyrl").limit(1)
        ).one()
    reset = passwords.reset_link(ctx, found[0].id).rsplit("/", 1)[1]
    return {"member": str(member_id), "email": str(address), "reset": reset}


def open_page(site: Site, route: str, width: int) -> tuple[Page, list[str]]:
    """The page at ``width`` (signed in, but for the sign-in page) and the list that collects
    its Content-Security-Policy violations and script errors."""
    state = None if route in SIGNED_OUT else site.signed_in
    context = site.browser.new_context(
        viewport={"width": width, "height": 900},
        storage_state=state,  # type: ignore[arg-type]
    )
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    response = page.goto(site.base + PAGES[route].format(**site.values), wait_until="networkidle")
    assert response is not None and response.ok, f"{route}: {response and response.status}"
    if route not in SIGNED_OUT:
        assert not page.url.endswith("/staff/login"), "the saved session was not accepted"
    return page, problems


def scroll_width(page: Page) -> int:
    return int(page.evaluate("document.scrollingElement.scrollWidth"))


def inside(page: Page, selector_text: str, box: dict[str, float] | None, width: int) -> None:
    assert box is not None, f"{selector_text} has no box"
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, f"{selector_text} off screen: {box}"


@pytest.mark.browser
@pytest.mark.parametrize("route", sorted(PAGES))
def test_at_phone_width_nothing_scrolls_sideways_and_the_menu_opens(site: Site, route: str) -> None:
    page, problems = open_page(site, route, PHONE)
    try:
        assert page.evaluate("window.innerWidth") == PHONE
        wide = scroll_width(page)
        assert wide <= PHONE, f"{route} scrolls sideways at {PHONE} px: {wide} px wide"
        signout = page.get_by_role("button", name="Sign out")
        if route in SIGNED_OUT:
            assert page.locator("header details.menu").count() == 0  # nobody to sign out
            inside(page, "the sign-in button", page.locator("main button").bounding_box(), PHONE)
            return
        # Folded: one button in the bar, the links and "Sign out" behind it.
        toggle = page.locator("header details.menu > summary")
        expect(toggle).to_be_visible()
        expect(signout).to_be_hidden()
        icon = toggle.evaluate("e => getComputedStyle(e, '::before').content")
        assert "\u2630" in icon, icon  # the icon's rule (with its empty alternative) applies
        toggle.click()
        for name in NAV:
            link = page.locator("header nav").get_by_role("link", name=name)
            expect(link).to_be_visible()
            inside(page, name, link.bounding_box(), PHONE)
        expect(signout).to_be_visible()
        inside(page, "Sign out", signout.bounding_box(), PHONE)
        # 44 px tap targets (WCAG 2.2, 2.5.5).
        assert (signout.bounding_box() or {"height": 0})["height"] >= 44
        wide = scroll_width(page)
        assert wide <= PHONE, f"{route} with its menu open is {wide} px wide"
        assert not problems, problems
    finally:
        page.context.close()


@pytest.mark.browser
@pytest.mark.parametrize("route", sorted(PAGES))
def test_at_desktop_width_the_bar_shows_every_link_in_one_row(site: Site, route: str) -> None:
    page, problems = open_page(site, route, DESKTOP)
    try:
        wide = scroll_width(page)
        assert wide <= DESKTOP, f"{route} scrolls sideways at {DESKTOP} px: {wide} px wide"
        if route in SIGNED_OUT:
            return
        expect(page.locator("header details.menu > summary")).to_be_hidden()
        header = page.locator("body > header").bounding_box()
        assert header is not None and header["height"] < 64, f"the bar wraps: {header}"
        boxes = []
        for name in NAV:
            link = page.locator("header nav").get_by_role("link", name=name)
            expect(link).to_be_visible()
            boxes.append(link.bounding_box())
        signout = page.get_by_role("button", name="Sign out")
        expect(signout).to_be_visible()
        boxes.append(signout.bounding_box())
        assert all(b is not None for b in boxes)
        # Links left to right in one row, "Sign out" at the right end of the bar.
        xs = [b["x"] for b in boxes if b]
        assert xs == sorted(xs)
        centres = {round(b["y"] + b["height"] / 2) for b in boxes if b}
        assert max(centres) - min(centres) <= 4, f"not one row: {boxes}"
        last = boxes[-1]
        assert last is not None and last["x"] + last["width"] > DESKTOP - 200
        assert not problems, problems
    finally:
        page.context.close()


@pytest.mark.browser
@pytest.mark.parametrize("route", sorted(PAGES))
def test_between_phone_and_desktop_nothing_scrolls_sideways(site: Site, route: str) -> None:
    # Tablets and narrow windows, and both sides of the 768 px switch between the folded
    # menu and the bar.
    page, problems = open_page(site, route, PHONE)
    try:
        for width in (320, 600, 767, 768, 1024):
            page.set_viewport_size({"width": width, "height": 900})
            page.wait_for_function(f"window.innerWidth === {width}")
            wide = scroll_width(page)
            assert wide <= width, f"{route} scrolls sideways at {width} px: {wide} px wide"
            if route not in SIGNED_OUT:
                signout = page.get_by_role("button", name="Sign out")
                toggle = page.locator("header details.menu > summary")
                # Exactly one of the two is on screen: the bar's button or the menu's.
                assert signout.is_visible() != toggle.is_visible(), width
                assert toggle.is_visible() == (width < 768), width
        assert not problems, problems
    finally:
        page.context.close()


def test_pages_name_no_route_twice() -> None:
    # The two lists are disjoint and every page address fills in only the known values.
    assert not PAGES.keys() & NOT_PAGES.keys()
    for url in PAGES.values():
        assert set(re.findall(r"{(\w+)}", url)) <= {"member", "email", "reset"}, url
