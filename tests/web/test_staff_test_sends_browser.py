"""In Chromium: a test send of a reminder step in every language of the campaign, to a staff
address and a confirmed outside one, checked in the outbox; a test link opening its "this was a
test" page; and the rich-text sample newsletter's bold word and inline link in the preview."""

from __future__ import annotations

import email
import re
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.services import Services
from tests.web.browser_helpers import chromium, phone_frame, sign_in
from tests.web.staff_helpers import EDITOR

pytestmark = pytest.mark.browser

SLUG = "days-of-clusters-2015"
STEP = "early-bird-3d"
LANGUAGES = ["bg", "en", "mk", "ro", "sr-Cyrl", "sr-Latn", "tr"]
PARTNER = "ana.popescu@partner.example"


def test_test_send_of_a_reminder_step_in_all_languages(
    served: tuple[str, Services], project: Path
) -> None:
    from playwright.sync_api import expect

    base, _ = served
    outbox = project / "var" / "outbox"  # config.yaml's delivery.outbox_dir
    with chromium() as browser:
        page = browser.new_page()
        sign_in(page, base, EDITOR)
        page.goto(f"{base}/staff/campaigns/{SLUG}")
        page.select_option('[data-testid="test-step"]', STEP)
        page.select_option('[data-testid="test-lang"]', "all")
        page.fill('[data-testid="test-other"]', PARTNER)
        page.click('[data-testid="test-send"]')
        expect(page.locator("[role=alert]").filter(has_text="Not sent")).to_contain_text(
            f"{PARTNER} is not a staff account"
        )
        page.select_option('[data-testid="test-step"]', STEP)
        page.select_option('[data-testid="test-lang"]', "all")
        page.fill('[data-testid="test-other"]', PARTNER)
        page.check('[data-testid="test-confirm"]')
        page.click('[data-testid="test-send"]')
        expect(page.locator("[role=status]")).to_contain_text(
            f"Test of reminder {STEP} sent to {EDITOR}, {PARTNER} in "
        )
        folder = outbox / SLUG / STEP
        messages = [
            email.message_from_bytes(f.read_bytes(), policy=policy.default)
            for f in sorted(folder.glob("*.eml"))
        ]
        assert len(messages) == 2 * len(LANGUAGES)
        seen: dict[str, list[str]] = {}
        for m in messages:
            assert isinstance(m, EmailMessage)
            assert str(m["Subject"]).strip().startswith("[TEST] ")
            html = m.get_body(("html",)).get_content()  # type: ignore[union-attr]
            lang = re.search(r'<html lang="([^"]+)"', html).group(1)  # type: ignore[union-attr]
            seen.setdefault(lang, []).append(str(m["To"]))
        assert sorted(seen) == LANGUAGES
        assert all(len(to) == 2 for to in seen.values())
        assert not (outbox / SLUG / "main").exists()

        # Its unsubscribe link, opened in the browser: a test page in the test's language.
        ro = next(m for m in messages if 'lang="ro"' in m.get_body(("html",)).get_content())  # type: ignore[union-attr]
        text = ro.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        link = re.search(r"https?://\S+/u/\S+", text).group(0)  # type: ignore[union-attr]
        path = link.split("/u/", 1)[1]
        page.goto(f"{base}/u/{path}")
        expect(page.get_by_test_id("test-link")).to_have_text("Acesta a fost un e-mail de test")


def test_a_bold_word_and_an_inline_link_in_the_sample_newsletter(
    served: tuple[str, Services],
) -> None:
    base, _ = served
    with chromium() as browser:
        page = browser.new_page()
        sign_in(page, base, EDITOR)
        page.goto(f"{base}/staff/campaigns/balkan-cluster-project?lang=sr-Latn")
        frame = phone_frame(page)
        bold = frame.locator("strong", has_text="Balkan klaster").first
        assert int(bold.evaluate("e => getComputedStyle(e).fontWeight")) >= 700
        link = frame.locator("a", has_text="IPA program prekogranične saradnje")
        assert link.get_attribute("href") == "https://interreg-ipa-bg-rs.example/"
        assert frame.locator("li").count() == 2
        assert "**" not in frame.locator("body").inner_text()
