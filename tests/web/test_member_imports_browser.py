"""Importing a Mailchimp and a listmonk export through the mapping step in real Chromium:
file-level consent, topics for new people, "never overwrite" keeping a Cyrillic name, the
unsubscribed file becoming suppressions, and the mapping remembered per source system."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from newsletter.audiences.data_rights import person_data, suppression_of
from newsletter.audiences.imports import import_members
from tests.audiences.source_exports import listmonk_export, mailchimp_export
from tests.services import Services
from tests.web.browser_helpers import chromium, sign_in
from tests.web.staff_helpers import EDITOR

pytestmark = pytest.mark.browser
CONFIRMED_BY = f"(confirmed by {EDITOR})"


def hold_cyrillic(ctx: Services, email: str) -> None:
    row = {
        "email": email,
        "first_name": "Бранислав",
        "last_name": "Ристић",
        "language": "sr-Cyrl",
        "topics": "news",
        "consent_source": "membership-agreement",
    }
    report = import_members(ctx, [(2, row)], source="ours")
    assert report.imported == 1


def latin_in_row(path: Path, index: int) -> str:
    """Spell row ``index``'s first name in Latin; return its address."""
    lines = path.read_text(encoding="utf-8").splitlines()
    cells = lines[index].split(",")
    lines[index] = ",".join([cells[0], "Branislav", *cells[2:]])
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return cells[0]


def profile(ctx: Services, email: str) -> dict[str, Any]:
    found = person_data(ctx, email)
    assert found is not None, email
    return found.as_json()


def upload(page: Any, base: str, path: Path) -> None:
    page.goto(f"{base}/staff/members/import")
    page.set_input_files("input[name=file]", str(path))
    page.click("text=Upload and map the columns")
    page.wait_for_selector("section.mapping-step")


def choose(page: Any, consent: str, topics: tuple[str, ...]) -> None:
    page.fill("input[name=consent_source]", consent)
    page.fill("input[name=consent_date]", "2021-05-04")
    page.check("input[name=consent_confirmed]")
    for topic in topics:
        page.check(f"input[name=topic][value={topic}]")
    page.check("input[name=policy][value=never]")
    page.click("text=Check again (dry run)")
    page.wait_for_selector("section.import-report")


def confirm(page: Any) -> str:
    page.click("form.confirm-import button")
    page.wait_for_selector("section.import-report h2:has-text('Imported')")
    return str(page.locator("p.summary").inner_text())


def test_mailchimp_and_listmonk_through_the_mapping_step(
    served: tuple[str, Services], tmp_path: Path
) -> None:
    base, ctx = served
    subscribed, unsubscribed, cleaned = mailchimp_export(tmp_path)
    held = latin_in_row(subscribed, 5)
    hold_cyrillic(ctx, held)
    listmonk = listmonk_export(tmp_path)
    listmonk_held = listmonk.read_text(encoding="utf-8").splitlines()[20].split(",")[1]
    hold_cyrillic(ctx, listmonk_held)
    with chromium() as browser:
        page = browser.new_page()
        sign_in(page, base, EDITOR)

        # Mailchimp: recognised; the merge field "Institution / Company" mapped by hand.
        upload(page, base, subscribed)
        assert page.locator(".source-system").inner_text() == "Mailchimp audience export"
        assert page.input_value('select[aria-label="Email Address"]') == "email"
        assert page.input_value('select[aria-label="MEMBER_RATING"]') == ""
        page.select_option('select[aria-label="Institution / Company"]', "organization")
        choose(page, "Mailchimp sign-up form", ("events", "news"))
        report = page.locator("section.import-report").inner_text()
        assert "would import 299, updated 0, unchanged 1, rejected 0" in report
        assert "ignored 14 column(s): 'MEMBER_RATING'" in report
        assert "first_name: kept 'Бранислав' (the file has 'Branislav')" in report
        summary = confirm(page)
        assert summary.endswith("imported 299, updated 0, unchanged 1, rejected 0")

        # The unsubscribed file: suppressions, never subscriptions.
        upload(page, base, unsubscribed)
        summary = confirm(page)
        assert summary.endswith(
            "imported 0, updated 0, unchanged 0, rejected 0; "
            "25 unsubscribed or cleaned in the source, now suppressed"
        )

        # The next Mailchimp file opens with the mapping saved at the first import.
        upload(page, base, cleaned)
        assert "with the column mapping saved" in page.content()
        assert page.input_value('select[aria-label="Institution / Company"]') == "organization"

        # listmonk: name split, attributes spread, blocklisted people suppressed.
        upload(page, base, listmonk)
        assert page.locator(".source-system").inner_text() == "listmonk subscriber export"
        assert page.input_value('select[aria-label="attributes"]') == "attributes"
        page.select_option('select[aria-label="created_at"]', "consent_date")
        choose(page, "listmonk opt-in form", ("calls",))
        report = page.locator("section.import-report").inner_text()
        assert "'attributes.city' (attribute that is not a field we keep)" in report
        summary = confirm(page)
        assert summary.endswith(
            "imported 239, updated 0, unchanged 1, rejected 0; "
            "10 unsubscribed or cleaned in the source, now suppressed"
        )

    # Names we held survive "never overwrite"; new people have the chosen topics, each
    # with a consent event that names the confirmation.
    assert profile(ctx, held)["profile"]["first_name"] == "Бранислав"
    assert profile(ctx, listmonk_held)["profile"]["last_name"] == "Ристић"
    new = profile(ctx, subscribed.read_text(encoding="utf-8").splitlines()[9].split(",")[0])
    assert [s["topic"] for s in new["subscriptions"]] == ["events", "news"]
    assert {e["source"] for e in new["consent_history"]} == {
        f"Mailchimp sign-up form {CONFIRMED_BY}"
    }
    row = listmonk.read_text(encoding="utf-8").splitlines()[31]
    new = profile(ctx, row.split(",")[1])
    assert [s["topic"] for s in new["subscriptions"]] == ["calls"]
    assert new["consent_history"][0]["source"] == f"listmonk opt-in form {CONFIRMED_BY}"
    assert new["profile"]["organization"]
    gone = unsubscribed.read_text(encoding="utf-8").splitlines()[1].split(",")[0]
    assert person_data(ctx, gone) is None
    assert suppression_of(ctx, gone) == "unsubscribed"
    blocked = listmonk.read_text(encoding="utf-8").splitlines()[1].split(",")[1]
    assert person_data(ctx, blocked) is None
    assert suppression_of(ctx, blocked) == "unsubscribed"
