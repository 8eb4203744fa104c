"""Members in the staff app in a real browser (Debian's headless Chromium through Playwright,
on loopback): a Latin query finds a Cyrillic name, filters survive paging, a member is edited,
unsubscribed and erased by clicking through the forms as staff would.

Never downloads a browser: without /usr/bin/chromium the test is skipped with a loud reason.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import select

from newsletter.audiences.data_rights import person_data, suppression_of
from newsletter.db.tables import consent_events, members, subscriptions
from newsletter.web.app import create_app
from tests.conftest import FrozenClock, make_settings
from tests.delivery.test_sending import load_samples
from tests.services import Services, services
from tests.web.staff_helpers import APPROVER, PASSWORD, add_accounts
from tests.web.test_staff_browser import ARGS, CHROMIUM

pytestmark = pytest.mark.browser

DJORDJE = "djordje.ciric@wine-cluster-vranje.example"


@pytest.fixture
def served(project: Path) -> Iterator[tuple[str, Services]]:
    if not CHROMIUM.exists():
        pytest.skip("BROWSER TESTS SKIPPED: no Chromium at /usr/bin/chromium")
    settings = make_settings(project, database={"url": f"sqlite:///{project / 'var/web.db'}"})
    ctx = services(settings, clock=FrozenClock())
    load_samples(ctx, project)
    add_accounts(ctx)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(
        uvicorn.Config(create_app(ctx.app), log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}", ctx
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
        ctx.close()


@pytest.fixture
def page(served: tuple[str, Services]) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    base, _ = served
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            tab = browser.new_page()
            tab.goto(f"{base}/staff/login")
            tab.fill("input[name=email]", APPROVER)
            tab.fill("input[name=password]", PASSWORD)
            tab.click("button[type=submit]")
            tab.wait_for_url("**/staff/campaigns")
            yield tab
        finally:
            browser.close()


def search(page: Any, base: str, text: str) -> list[str]:
    page.goto(f"{base}/staff/members")
    page.fill("input[name=q]", text)
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state()
    return [str(t) for t in page.locator("table.members tbody td:first-child a").all_inner_texts()]


def test_a_latin_query_finds_the_cyrillic_name(page: Any, served: tuple[str, Services]) -> None:
    base, _ = served
    for query in ("Djordje Ciric", "Đorđe Ćirić", "dordje", "ЋИРИЋ"):
        assert DJORDJE in search(page, base, query), query
    row = page.locator("table.members tbody tr", has_text=DJORDJE)
    assert "Ђорђе Ћирић" in row.inner_text()


def test_filters_and_pages_keep_each_other(page: Any, served: tuple[str, Services]) -> None:
    base, _ = served
    page.goto(f"{base}/staff/members")
    page.select_option("select[name=country]", "RS")
    page.select_option("select[name=tier]", "member")
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state()
    assert "79 member(s)" in page.inner_text("[data-testid=count]")
    first = set(page.locator("table.members tbody td:first-child a").all_inner_texts())
    page.click("a[rel=next]")
    page.wait_for_load_state()
    assert "page 2 of 2" in page.inner_text("[data-testid=count]")
    assert page.input_value("select[name=country]") == "RS"
    assert page.input_value("select[name=tier]") == "member"
    second = set(page.locator("table.members tbody td:first-child a").all_inner_texts())
    assert len(first) == 50 and len(second) == 29 and not first & second
    countries = page.locator("table.members tbody td:nth-child(4)").all_inner_texts()
    assert set(countries) == {"RS"}
    page.click("a[rel=prev]")
    page.wait_for_load_state()
    assert set(page.locator("table.members tbody td:first-child a").all_inner_texts()) == first


def test_edit_unsubscribe_and_erase_a_member(page: Any, served: tuple[str, Services]) -> None:
    base, ctx = served
    engine = ctx.ledger.engine  # type: ignore[attr-defined]
    search(page, base, "Ćirić")
    page.click(f"text={DJORDJE}")
    page.wait_for_load_state()
    url = page.url
    mid = int(url.rsplit("/", 1)[1])
    assert page.locator("table.profile").inner_text().startswith("Email address")
    # Edit: name to Latin, language to Serbian Latin
    form = page.locator("[data-testid=profile-form]")
    form.locator("input[name=first_name]").fill("Đorđe")
    form.locator("input[name=last_name]").fill("Ćirić")
    form.locator("select[name=language]").select_option("sr-Latn")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.url == url
    assert "Saved: First name, Last name, Language and script." in page.inner_text(
        "[data-testid=notice]"
    )
    assert page.locator("h1").inner_text().startswith("Đorđe Ćirić")
    with engine.connect() as conn:
        row = conn.execute(select(members).where(members.c.id == mid)).one()
    assert (row.first_name, row.language) == ("Đorđe", "sr-Latn")
    # Reloading the page after the redirect repeats nothing and shows no stale message.
    page.reload()
    assert page.locator("[data-testid=notice]").count() == 0
    # Unsubscribe from everything, with a reason.
    unsubscribe = page.locator("[data-testid=unsubscribe-form]")
    unsubscribe.locator("input[name=why]").fill("wrote in on 3 May")
    unsubscribe.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert "Unsubscribed from 2 topic(s)" in page.inner_text("[data-testid=notice]")
    assert "staff approver@cluster-house.example: wrote in on 3 May" in page.inner_text(
        "table.consent"
    )
    with engine.connect() as conn:
        left = conn.execute(
            select(subscriptions.c.topic).where(
                subscriptions.c.member_id == mid, subscriptions.c.status == "subscribed"
            )
        ).all()
        sources = conn.execute(
            select(consent_events.c.source).where(consent_events.c.member_id == mid)
        ).scalars()
        assert left == [] and "staff approver@cluster-house.example: wrote in on 3 May" in set(
            sources
        )
    # The data download is offered as a file.
    with page.expect_download() as download:
        page.click("text=Download their data (JSON)")
    assert download.value.suggested_filename == f"member-{mid}.json"
    # Erase: a wrong confirmation keeps the person; the address typed again erases them.
    erase = page.locator("[data-testid=erase-form]")
    erase.locator("input[name=confirm]").fill("not-the-address@example.org")
    erase.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert "type the member's address exactly" in page.inner_text("[data-testid=error]")
    assert person_data(ctx, DJORDJE) is not None
    erase = page.locator("[data-testid=erase-form]")
    erase.locator("input[name=confirm]").fill(DJORDJE)
    erase.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/staff/members$"))
    assert f"{DJORDJE} was erased" in page.inner_text("[data-testid=notice]")
    assert person_data(ctx, DJORDJE) is None and suppression_of(ctx, DJORDJE) == "erased"
    left = search(page, base, "Ćirić")
    assert DJORDJE not in left and "dragan.ciric@kancelarija-ler-prokuplje.example" in left
