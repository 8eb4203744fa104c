"""Every public member page in a real browser at phone and tablet widths.

Debian's headless Chromium through Playwright, on loopback; never downloads a browser. At
320, 375 and 768 px each page must not scroll sideways, every form control must have a label
the accessibility tree names it by (and a checkbox or radio button must sit on the same line
as its own label), and the page must log no console error and no CSP violation (Chromium
reports those as console errors). A few offline, axe-style checks come with it: a language and
a title on the document, one ``h1``, unique ids, named links and buttons.

``NEWSLETTER_DOCS_SCREENSHOTS=1`` also writes the screenshots of docs/member-pages.md.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from newsletter.core.links import PREFERENCES, UNSUBSCRIBE
from newsletter.web.app import create_app
from tests.conftest import FrozenClock, make_settings
from tests.services import Services, services
from tests.synthetic import add_deliveries, add_members
from tests.web.browser_helpers import chromium, loopback, require_chromium, serving

pytestmark = pytest.mark.browser

WIDTHS = (320, 375, 768)
ARCHIVED = "interreg-ipa-bg-rs-first-call"  # archive: true; written in en, sr-Cyrl, sr-Latn, bg
INVITATION = "days-of-clusters-2015"  # archive: true
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SCREENSHOTS = os.environ.get("NEWSLETTER_DOCS_SCREENSHOTS") == "1"


@dataclass
class Site:
    base: str
    ctx: Services
    member: int

    @property
    def engine(self) -> Engine:
        return self.ctx.ledger.engine  # type: ignore[attr-defined,no-any-return]

    def link(self, purpose: str, topic: str = "events") -> str:
        issued = int(self.ctx.clock.now().timestamp())
        path = {UNSUBSCRIBE: "u", PREFERENCES: "p"}[purpose]
        return f"{self.base}/{path}/{self.ctx.links.token(purpose, self.member, topic, issued)}"


@pytest.fixture
def site(project: Path) -> Iterator[Site]:
    require_chromium()
    settings = make_settings(project, database={"url": f"sqlite:///{project / 'var/pages.db'}"})
    ctx = services(settings, clock=FrozenClock())
    engine: Engine = ctx.ledger.engine  # type: ignore[attr-defined]
    (member,) = add_members(engine, 1, topics=("events", "news"), languages=("sr-Cyrl",))
    readers = add_members(engine, 2, prefix="reader")
    sent = dt.datetime(2015, 10, 2, 9, 30, tzinfo=dt.UTC)
    add_deliveries(engine, readers, slug=ARCHIVED, at=sent)
    add_deliveries(engine, readers, slug=INVITATION, at=sent)
    sock, base = loopback()
    try:
        with serving(create_app(ctx.app), sock):
            yield Site(base, ctx, member)
    finally:
        ctx.close()


#: Per form control that a person operates: its accessible name (the label it is bound to, by
#: ``for`` or by wrapping), whether it sits on its label's line, and how it is labelled.
CONTROLS = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter(el => el.type !== 'hidden' && !el.closest('[aria-hidden="true"]'))
  .map(el => {
    const label = el.labels && el.labels[0];
    const a = el.getBoundingClientRect();
    const b = label ? label.getBoundingClientRect() : null;
    return {
      name: el.name, value: el.value, type: el.type, id: el.id,
      labels: el.labels ? el.labels.length : 0,
      wraps: !!label && label.contains(el),
      sameLine: !!b && b.top < a.bottom && a.top < b.bottom,
      after: !!b && b.left >= a.right - 1,
    };
  })"""
#: Axe-style checks that need no network: what a screen reader needs of any page.
AUDIT = """() => {
  const ids = [...document.querySelectorAll('[id]')].map(e => e.id);
  const named = e => (e.textContent || e.getAttribute('aria-label') || '').trim().length > 0;
  return {
    lang: document.documentElement.lang,
    title: document.title.trim(),
    h1: document.querySelectorAll('h1').length,
    duplicateIds: ids.filter((id, i) => ids.indexOf(id) !== i),
    unnamedLinks: [...document.querySelectorAll('a[href]')].filter(e => !named(e)).length,
    unnamedButtons: [...document.querySelectorAll('button, summary')].filter(e => !named(e))
      .length,
    focusableHidden: [...document.querySelectorAll('[aria-hidden="true"] input')]
      .filter(e => e.tabIndex >= 0).length,
    scroll: document.documentElement.scrollWidth,
    width: window.innerWidth,
  };
}"""


def ax_names(page: Any) -> dict[str, str]:
    """Role+value -> accessible name, for every checkbox, radio button and text box, read from
    Chromium's own accessibility tree (CDP), not from our markup."""
    cdp = page.context.new_cdp_session(page)
    nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
    found: dict[str, str] = {}
    for node in nodes:
        role = node.get("role", {}).get("value")
        if role in ("checkbox", "radio", "textbox") and not node.get("ignored"):
            name = node.get("name", {}).get("value", "")
            found[f"{role}:{name}"] = name
    return found


def check_page(page: Any, url: str, width: int, errors: list[str]) -> dict[str, Any]:
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(url)
    page.wait_for_load_state("load")
    return check_loaded(page, width, errors)


def check_loaded(page: Any, width: int, errors: list[str]) -> dict[str, Any]:
    audit: dict[str, Any] = page.evaluate(AUDIT)
    where = f"{page.url} at {width} px"
    assert audit["width"] == width
    assert audit["scroll"] <= width, f"{where} scrolls sideways ({audit['scroll']} px)"
    assert audit["lang"] and audit["title"], where
    assert audit["h1"] <= 1 and not audit["duplicateIds"], (where, audit)
    assert audit["unnamedLinks"] == 0 and audit["unnamedButtons"] == 0, (where, audit)
    assert audit["focusableHidden"] == 0, where
    controls = page.evaluate(CONTROLS)
    names = ax_names(page)
    for control in controls:
        assert control["labels"] == 1, (where, control)
        if control["type"] in ("checkbox", "radio"):
            assert control["sameLine"] and control["after"], f"{where}: {control} off its label"
    named = [n for n in names.values() if n.strip()]
    assert len(named) == len(names) >= len(controls), (where, names)
    assert not errors, f"{where}: {errors}"
    return audit


def shoot(page: Any, name: str) -> None:
    if SCREENSHOTS:
        DOCS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOCS / f"{name}.png"), full_page=True)


@pytest.fixture
def browser_page(site: Site) -> Iterator[tuple[Any, list[str]]]:
    with chromium() as browser:
        page = browser.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        yield page, errors


@pytest.mark.parametrize("width", WIDTHS)
def test_the_landing_page(site: Site, browser_page: tuple[Any, list[str]], width: int) -> None:
    page, errors = browser_page
    check_page(page, f"{site.base}/?lang=bg", width, errors)
    assert page.locator("html").get_attribute("lang") == "bg"
    assert page.locator("a[href='/subscribe?lang=bg']").count() >= 1
    assert "2\xa0октомври 2015" in page.locator("main").inner_text()  # Babel, bg
    shoot(page, f"landing-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_sign_up_form(site: Site, browser_page: tuple[Any, list[str]], width: int) -> None:
    page, errors = browser_page
    check_page(page, f"{site.base}/subscribe?lang=sr-Cyrl", width, errors)
    trap = page.locator(".trap")
    assert trap.get_attribute("aria-hidden") == "true"
    assert trap.locator("input").get_attribute("tabindex") == "-1"
    assert trap.locator("label").inner_text() == "Оставите ово поље празно"
    assert not any("Оставите" in name for name in ax_names(page))  # not for screen readers
    shoot(page, f"subscribe-{width}")
    # Sent: "check your inbox", in the same language, as narrow.
    page.fill("input[name=email]", f"reader{width}@example.org")
    page.check("input[name=topic][value=events]")
    with page.expect_navigation():
        page.click("form.subscribe button[type=submit]")
    check_loaded(page, width, errors)
    assert page.locator("h1").inner_text() == "Проверите пријемно сандуче"


@pytest.mark.parametrize("width", WIDTHS)
def test_the_preference_centre(site: Site, browser_page: tuple[Any, list[str]], width: int) -> None:
    page, errors = browser_page
    check_page(page, site.link(PREFERENCES), width, errors)
    assert page.locator("h1").inner_text() == "Подешавања порука"
    leave = page.locator("button[value=leave]")
    assert not leave.is_visible()  # behind the disclosure: asked once before it is offered
    save = page.locator("button[value=save]")
    page.locator("details.danger-zone summary").click()
    assert leave.is_visible()
    assert leave.evaluate("e => getComputedStyle(e).color") != save.evaluate(
        "e => getComputedStyle(e).color"
    )  # red on white: it does not look like Save
    check_loaded(page, width, errors)
    shoot(page, f"preferences-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_unsubscribe_and_change_your_mind(
    site: Site, browser_page: tuple[Any, list[str]], width: int
) -> None:
    page, errors = browser_page
    check_page(page, site.link(UNSUBSCRIBE), width, errors)
    assert page.locator("h1").inner_text() == "Одјава"
    shoot(page, f"unsubscribe-{width}")
    with page.expect_navigation():
        page.click("form[method=post] button[type=submit]")
    check_loaded(page, width, errors)
    assert page.locator("h1").inner_text() == "Одјављени сте"
    assert page.locator("#changed-mind").inner_text() == "Предомислили сте се?"
    shoot(page, f"unsubscribed-{width}")
    with page.expect_navigation():
        page.click(".changed a")
    assert page.locator("h1").inner_text() == "Подешавања порука"
    assert not page.is_checked("input[name=topic][value=events]")
    page.check("input[name=topic][value=events]")
    with page.expect_navigation():
        page.click("button[value=save]")
    assert page.is_checked("input[name=topic][value=events]")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_archive_index(site: Site, browser_page: tuple[Any, list[str]], width: int) -> None:
    page, errors = browser_page
    check_page(page, f"{site.base}/archive?lang=mk", width, errors)
    text = page.locator("main").inner_text()
    assert "Архива" in text or "Архив" in text
    assert "2015-10-02" not in text and "2\xa0октомври 2015" in text
    shoot(page, f"archive-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_archived_email_at_full_height(
    site: Site, browser_page: tuple[Any, list[str]], width: int
) -> None:
    page, errors = browser_page
    # Macedonian is not one of this call's languages: the email falls back, the chrome not.
    audit = check_page(page, f"{site.base}/archive/{ARCHIVED}?lang=mk", width, errors)
    assert page.locator("iframe").count() == 0
    header = page.locator("header.nl-archive")
    assert header.get_attribute("lang") == "mk"
    assert "Сите" in header.inner_text() or "Испратено" in header.inner_text()
    assert page.locator(".nl-note").is_visible()
    footer = page.locator("footer.nl-archive")
    footer.scroll_into_view_if_needed()
    assert footer.is_visible()  # the end of the email is reachable: nothing clipped by a frame
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height > 800, height
    assert audit["scroll"] <= width
    shoot(page, f"archive-email-{width}")
    # The links work although the page is sandboxed (it may navigate itself, never script).
    # The page has no script; Chromium reports Playwright's own helpers for the click as
    # blocked script in the sandboxed document, which is the sandbox doing its work.
    assert page.locator("script").count() == 0
    with page.expect_navigation():
        page.click(".nl-langs a[hreflang=bg]")
    errors[:] = [e for e in errors if not e.startswith("Blocked script execution")]
    assert page.locator("html").get_attribute("lang") == "bg"
    assert page.locator("header.nl-archive").get_attribute("lang") == "bg"
    assert page.locator(".nl-note").count() == 0
    check_loaded(page, width, errors)
