"""Members in the staff app in a real browser (Debian's headless Chromium through Playwright,
on loopback): a Latin query finds a Cyrillic name, filters survive paging, a member is edited,
unsubscribed and erased by clicking through the forms as staff would.

Never downloads a browser: without /usr/bin/chromium the test is skipped with a loud reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from newsletter.audiences.data_rights import person_data, suppression_of
from newsletter.db.tables import consent_events, members, subscriptions
from tests.services import Services
from tests.web.browser_helpers import chromium, sign_in, staff_app
from tests.web.staff_helpers import APPROVER

pytestmark = pytest.mark.browser

DJORDJE = "djordje.ciric@wine-cluster-vranje.example"


@pytest.fixture
def served(project: Path) -> Iterator[tuple[str, Services]]:
    """The staff app over the sample audiences."""
    with staff_app(project, samples=True) as live:
        yield live


@pytest.fixture
def page(served: tuple[str, Services]) -> Iterator[Any]:
    base, _ = served
    with chromium() as browser:
        tab = browser.new_page()
        sign_in(tab, base, APPROVER)
        yield tab


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
