"""Authoring in a real browser (Debian's headless Chromium through Playwright, on loopback):
fill the generated call-for-proposals form, watch the live preview frame follow the typing,
see the generated Serbian Latin offered, and create the campaign. The page runs our one script
under the strict policy: any Content-Security-Policy violation fails the test.
"""

from __future__ import annotations

import re

import pytest

from tests.services import Services
from tests.web.browser_helpers import chromium, sign_in
from tests.web.staff_helpers import EDITOR, fill_field, milestones_first

pytestmark = pytest.mark.browser

FIELDS = {
    "slug": "second-call-2016",
    "title": "Second call 2016",
    "subject.en": "Second call open",
    "subject.sr-Cyrl": "Отворен други позив",
    "copy.headline.en": "Second call",
    "copy.intro.en": "The second call is open.",
    "copy.intro.sr-Cyrl": "Други позив је отворен.",
    "copy.closing.en": "Apply in time.",
    "copy.closing.sr-Cyrl": "Пријавите се на време.",
    "content.programme.en": "Interreg-IPA CBC Bulgaria–Serbia",
    "content.programme.sr-Cyrl": "Interreg-IPA CBC Bulgaria–Serbia",
    "content.call_number": "2",
    "content.managing_authority.en": "Ministry of Regional Development",
    "content.managing_authority.sr-Cyrl": "Министарство регионалног развоја",
    "content.opens": "2016-01-10",
    "content.submission_deadline": "deadline",
    "content.budget": "2000000.00",
    "content.currency": "EUR",
    "content.eligible_area.en": "The border region",
    "content.eligible_area.sr-Cyrl": "Погранични регион",
    "content.url": "https://interreg.example/second",
    "milestones.0.key": "deadline",
    "milestones.0.at": "2016-03-01T16:00",
    "milestones.0.timezone": "Europe/Sofia",
}


def test_type_into_the_form_and_watch_the_preview_follow(served: tuple[str, Services]) -> None:
    from playwright.sync_api import expect

    base, ctx = served
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        problems: list[str] = []
        page.on(
            "console",
            lambda m: problems.append(m.text) if m.type == "error" else None,
        )
        sign_in(page, base, EDITOR)
        page.goto(f"{base}/staff/campaigns/new?kind=call_for_proposals")
        # The first preview lists what is missing, but a field nobody has edited yet is
        # not marked "Field required".
        expect(page.locator("#live-preview .live-problems li").first).to_be_visible()
        expect(page.locator("#live-preview .live-problems")).to_contain_text(
            "content.budget: Field required"
        )
        expect(page.locator('[data-error-for="content.budget"]')).to_have_text("")
        page.select_option("select[name=audience]", "bg-rs-calls")
        for lang in ("sr-Cyrl", "sr-Latn"):
            page.check(f"input[name=languages][value={lang}]")
        # A language's column appears when it is checked (CSS only, no script needed).
        expect(page.locator('input[name="subject.sr-Cyrl"]')).to_be_visible()
        expect(page.locator('input[name="subject.bg"]')).to_be_hidden()
        for name, value in milestones_first(FIELDS):
            fill_field(page, name, value)

        phone = page.frame_locator("#live-preview .frame-phone iframe")
        expect(phone.locator("h1")).to_have_text("Second call", timeout=15_000)
        page.fill('[name="copy.headline.en"]', "Second call for proposals")
        expect(phone.locator("h1")).to_have_text("Second call for proposals", timeout=15_000)

        # Cyrillic typed: its Latin is offered in the Latin column, and previewed.
        page.fill('[name="copy.headline.sr-Cyrl"]', "Други позив")
        latin = page.locator('[name="copy.headline.sr-Latn"]')
        expect(latin).to_have_attribute("placeholder", "Drugi poziv", timeout=15_000)
        page.select_option('[data-testid="preview-language"]', "sr-Latn")
        expect(phone.locator("h1")).to_have_text("Drugi poziv", timeout=15_000)

        frame_element = page.wait_for_selector("#live-preview .frame-phone iframe")
        assert frame_element is not None
        assert "allow-scripts" not in (frame_element.get_attribute("sandbox") or "")
        frame = frame_element.content_frame()
        assert frame is not None
        assert frame.evaluate("document.documentElement.clientWidth") == 375
        assert frame.evaluate("document.documentElement.scrollWidth") <= 375

        # A mistake is shown beside its field while typing, and the last good email stays.
        page.fill('[name="content.budget"]', "two million")
        error = page.locator('[data-error-for="content.budget"]')
        expect(error).to_have_text("Input should be a valid decimal", timeout=15_000)
        expect(page.locator("#live-preview .frames.stale")).to_have_count(1)
        page.fill('[name="content.budget"]', "2000000.00")
        expect(error).to_have_text("", timeout=15_000)

        # "Add a row" copies a list's empty row under the next number.
        page.click('button[data-add-item="content.documents"]')
        expect(page.locator('[name="content.documents.1.url"]')).to_have_value("")
        page.fill('[name="content.documents.1.url"]', "https://interreg.example/g.pdf")
        page.fill('[name="content.documents.1.title.en"]', "Guidelines for applicants")
        expect(phone.locator("body")).to_contain_text("Guidelines for applicants", timeout=15_000)

        page.click('[data-testid="create"]')
        page.wait_for_url(re.compile(r".*/staff/campaigns/second-call-2016$"))
        assert ctx.catalog.campaign("second-call-2016")[0].title == "Second call 2016"

        # The server refuses a slug that exists now: its message stays beside the field
        # after the live preview has run, and the preview does not say "No problems".
        page.goto(f"{base}/staff/campaigns/new?kind=call_for_proposals")
        page.select_option("select[name=audience]", "bg-rs-calls")
        for lang in ("sr-Cyrl", "sr-Latn"):
            page.check(f"input[name=languages][value={lang}]")
        complete = {
            **FIELDS,
            "copy.headline.sr-Cyrl": "Други позив",
            "preheader.en": "EUR 2 million",
            "preheader.sr-Cyrl": "2 милиона евра",
        }
        for name, value in milestones_first(complete):
            fill_field(page, name, value)
        page.click('[data-testid="create"]')
        slug_error = page.locator('[data-error-for="slug"]')
        expect(slug_error).to_contain_text("already exists")
        expect(page.locator("#live-preview .frame-phone iframe")).to_have_count(
            1, timeout=15_000
        )  # the live preview has run on the refused form
        expect(slug_error).to_contain_text("already exists")
        live = page.locator("#live-preview .live-problems")
        expect(live).to_contain_text("The last save was refused")
        expect(live).not_to_contain_text("No problems found")
        # Editing the field is what clears the server's message.
        page.fill('[name="slug"]', "second-call-2016-b")
        expect(slug_error).to_have_text("", timeout=15_000)
        assert not [m for m in problems if "Content Security Policy" in m], problems
