"""The member side in a real browser (Debian's headless Chromium through Playwright, on
loopback), starting where a member starts: an email in the outbox. The Days of Clusters
invitation is sent to three members; the links are taken from the ``.eml`` files (parsed with
the email package) and opened as they are, so the test also proves the links the send writes
lead to working pages.

Never downloads a browser: without /usr/bin/chromium the test is skipped with a loud reason.
"""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from newsletter.audiences.files.member_files import read_csv
from newsletter.audiences.imports import import_members
from newsletter.db.tables import consent_events, members, subscriptions
from newsletter.delivery.sending import send_campaign
from newsletter.web.app import create_app
from tests.conftest import FrozenClock
from tests.services import Services, services
from tests.web.browser_helpers import chromium, loopback_settings, require_chromium, serving

pytestmark = pytest.mark.browser

DOC = "days-of-clusters-2015"
HEAD = (
    "email,first_name,last_name,country,language,tier,topics,timezone,consent_source,consent_date"
)
MEMBERS = f"""{HEAD}
jelena@klaster.example,Јелена,Јовановић,RS,sr-Cyrl,member,events;news,Europe/Belgrade,form,2015-01-10
ion@cluster.example,Ion,Popescu,RO,en,member,events,Europe/Bucharest,form,2015-01-10
maria@cluster.example,Maria,Ivanova,BG,en,friend,news,Europe/Sofia,form,2015-01-10
"""


@dataclass
class Site:
    base: str
    ctx: Services
    outbox: Path

    @property
    def engine(self) -> Engine:
        return self.ctx.ledger.engine  # type: ignore[attr-defined,no-any-return]


@pytest.fixture
def site(project: Path) -> Iterator[Site]:
    """The app on a loopback port, with ``web.base_url`` pointing at it, after the send."""
    require_chromium()
    sock, base, settings = loopback_settings(project, "members.db")
    ctx = services(settings, clock=FrozenClock())
    (project / "audiences" / "browser.csv").write_text(MEMBERS, encoding="utf-8")
    _, rows = read_csv(project / "audiences" / "browser.csv")
    assert not import_members(ctx, rows, source="browser.csv").rejected
    report = send_campaign(ctx, DOC)
    assert report.sent == 2  # Jelena and Ion follow events; Maria does not
    try:
        with serving(create_app(ctx.app), sock):
            yield Site(base, ctx, project / "var" / "outbox" / DOC / "main")
    finally:
        ctx.close()


def email_to(site: Site, address: str) -> EmailMessage:
    for path in sorted(site.outbox.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        if address in str(message["To"]):
            return message
    raise AssertionError(f"no email to {address} in {site.outbox}")


def links(message: EmailMessage) -> tuple[str, str]:
    """The one-click link (List-Unsubscribe) and the preference link (the HTML footer)."""
    unsubscribe = re.fullmatch(r"<([^>]+)>", str(message["List-Unsubscribe"]).strip())
    assert unsubscribe, message["List-Unsubscribe"]
    html = message.get_body(("html",))
    assert html is not None
    found = re.findall(r'href="([^"]+/p/[^"]+)"', html.get_content())
    assert len(set(found)) == 1, found
    return unsubscribe.group(1), found[0]


def state(site: Site, address: str) -> tuple[int, str, dict[str, str]]:
    with site.engine.connect() as conn:
        member_id, language = conn.execute(
            select(members.c.id, members.c.language).where(members.c.email == address)
        ).one()
        rows = conn.execute(
            select(subscriptions.c.topic, subscriptions.c.status).where(
                subscriptions.c.member_id == member_id
            )
        ).all()
    return int(member_id), str(language), {str(r.topic): str(r.status) for r in rows}


def changes_by(site: Site, member_id: int, source: str) -> list[tuple[str, str]]:
    with site.engine.connect() as conn:
        rows = conn.execute(
            select(consent_events.c.topic, consent_events.c.action)
            .where(consent_events.c.member_id == member_id, consent_events.c.source == source)
            .order_by(consent_events.c.id)
        ).all()
    return [(str(r.topic), str(r.action)) for r in rows]


def test_member_opens_the_links_of_the_email_changes_script_and_leaves_events(site: Site) -> None:
    address = "jelena@klaster.example"
    message = email_to(site, address)
    assert message["Content-Language"] in (None, "sr-Cyrl")
    one_click, preferences = links(message)
    assert one_click.startswith(f"{site.base}/u/") and preferences.startswith(f"{site.base}/p/")
    before = state(site, address)
    member_id = before[0]
    assert before[1:] == ("sr-Cyrl", {"events": "subscribed", "news": "subscribed"})

    with chromium() as browser:
        page = browser.new_page(viewport={"width": 375, "height": 800})
        # The one-click page: a button to press, and opening it (a GET) changes nothing.
        page.goto(one_click)
        assert page.locator("h1").inner_text() == "Одјава"
        button = page.locator("form[method=post] button[type=submit]")
        assert button.is_visible() and button.inner_text() == "Одјавите се"
        assert state(site, address) == before

        # The preference centre from the footer: Latin script, and no more events.
        page.goto(preferences)
        assert page.locator("h1").inner_text() == "Подешавања порука"
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert state(site, address) == before
        page.check("input[name=language][value=sr-Latn]")
        page.uncheck("input[name=topic][value=events]")
        with page.expect_navigation():
            page.click("button[value=save]")
        assert page.locator("h1").inner_text() == "Podešavanja poruka"
        assert page.locator("[role=status]").inner_text() == "Vaša podešavanja su sačuvana."
        assert not page.is_checked("input[name=topic][value=events]")
        assert page.is_checked("input[name=topic][value=news]")
        assert page.is_checked("input[name=language][value=sr-Latn]")

    _, language, topics = state(site, address)
    assert language == "sr-Latn"
    assert topics == {"events": "unsubscribed", "news": "subscribed"}
    assert changes_by(site, member_id, "preference-centre") == [("events", "unsubscribed")]


def test_pressing_the_one_click_button_unsubscribes_that_list_only(site: Site) -> None:
    address = "ion@cluster.example"
    one_click, _ = links(email_to(site, address))
    with chromium() as browser:
        page = browser.new_page()
        page.goto(one_click)
        assert state(site, address)[2] == {"events": "subscribed"}
        with page.expect_navigation():
            page.click("form[method=post] button[type=submit]")
        assert page.url == one_click  # answered in place (RFC 8058: no redirect)
        assert page.locator("form").count() == 0
    assert state(site, address)[2] == {"events": "unsubscribed"}
