"""Managing campaigns and editing many languages in a real browser (Debian's headless
Chromium through Playwright, on loopback, the app built with scheduling as ``newsletter
serve`` builds it): the list's search, filters and sort; deleting a draft; pausing, resuming
and cancelling one step; the language switcher, the unsaved-changes warning and autosave.
Every page runs only served scripts under the strict policy: a Content-Security-Policy
violation in the console fails the test.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select, update

from newsletter.authoring import approvals, documents
from newsletter.bootstrap import build_scheduling
from newsletter.db.tables import deliveries, members
from newsletter.scheduling.actions import schedule_campaign
from newsletter.scheduling.domain.rules import ScheduleState
from newsletter.scheduling.ports import Scheduling
from newsletter.staff.domain.users import Role, StaffUser
from newsletter.web.app import create_app
from tests.approving import approve_now
from tests.conftest import FrozenClock
from tests.deliveries_helper import record_sent
from tests.services import Services, services
from tests.synthetic import add_members
from tests.web.browser_helpers import loopback_settings, serving
from tests.web.staff_helpers import APPROVER, PASSWORD, add_accounts
from tests.web.test_e2e_browser import WAIT_MS, Person, browser, click  # noqa: F401

pytestmark = pytest.mark.browser

FILE = "days-of-clusters-2015"  # 7 languages, two reminder steps before its early-bird date
S = ScheduleState


@dataclass
class Site:
    base: str
    ctx: Services
    sched: Scheduling
    clock: FrozenClock
    approver: StaffUser


@pytest.fixture
def site(project: Path, browser: Browser) -> Iterator[Site]:  # noqa: F811
    sock, base, settings = loopback_settings(project, "manage.db")
    clock = FrozenClock()
    ctx = services(settings, clock=clock)
    add_accounts(ctx)
    sched = build_scheduling(settings, ctx)
    app = create_app(ctx.app, scheduling=lambda: sched)
    approver = StaffUser(2, APPROVER, Role.APPROVER)
    try:
        with serving(app, sock):
            yield Site(base, ctx, sched, clock, approver)
    finally:
        ctx.close()


def schedule_file_campaign(site: Site) -> None:
    """Approve the invitation and schedule it for 10 September, 09:00 in Belgrade: the
    announcement and its two early-bird reminders."""
    approve_now(site.ctx, FILE, site.approver, schedule=site.sched.store)
    schedule_campaign(
        site.sched,
        FILE,
        at=dt.datetime(2015, 9, 10, 9, 0),
        zone="Europe/Belgrade",
        local_time=None,
        now=site.clock.now(),
    )


def steps(site: Site, slug: str = FILE) -> dict[str, ScheduleState]:
    return {e.step: e.state for e in site.sched.store.entries(campaign=slug)}


def show(page: Page) -> None:
    """Press the list's Show button and wait for the list it asks for."""
    with page.expect_navigation():
        click(page.locator("form.list-query button[type=submit]"))


def listed(page: Page) -> list[str]:
    return page.locator("table.campaigns tbody tr[data-slug]").evaluate_all(
        "rows => rows.map(r => r.dataset.slug)"
    )


def test_search_filter_sort_and_delete_a_draft(site: Site, browser: Browser) -> None:  # noqa: F811
    documents.duplicate(site.ctx, "chairmans-letter", by="editor@cluster-house.example")
    site.clock.advance(hours=2)  # the second copy is two hours younger
    documents.duplicate(site.ctx, FILE, by="editor@cluster-house.example")
    schedule_file_campaign(site)
    person = Person(browser, site.base)
    try:
        page = person.sign_in(APPROVER, PASSWORD)
        everything = listed(page)
        assert {"chairmans-letter-copy", f"{FILE}-copy", FILE} <= set(everything)
        # The scheduled campaign says so, with its next step due in its own zone.
        row = page.locator(f'tr[data-slug="{FILE}"]')
        expect(row.get_by_test_id("state")).to_have_text("scheduled")
        expect(row.get_by_test_id("next-due")).to_have_text("next: main 2015-09-10 09:00 CEST")
        expect(row.get_by_test_id("scheduled")).to_have_text("2015-09-10 09:00 CEST")
        expect(row.get_by_test_id("approved")).to_have_text("2015-09-01 12:00 CEST")

        # Search by a word only the letter's subject has ("... thank you for seven Days of
        # Clusters"), in any case.
        letter = documents.as_written(site.ctx).campaign("chairmans-letter")[0]
        assert "seven" in letter.subject["en"] and "seven" not in letter.title.lower()
        word = "SEVEN"
        page.fill('[data-testid="search"]', word)
        show(page)
        expect(page.get_by_test_id("shown")).to_contain_text(f"of {len(everything)}")
        found = listed(page)
        assert "chairmans-letter" in found and "chairmans-letter-copy" in found
        assert FILE not in found

        # Filter by state, then by kind (the search cleared).
        page.goto(f"{site.base}/staff/campaigns")
        page.select_option('[data-testid="filter-state"]', "scheduled")
        show(page)
        assert listed(page) == [FILE]
        page.goto(f"{site.base}/staff/campaigns")
        page.select_option('[data-testid="filter-kind"]', "letter")
        show(page)
        letters = listed(page)
        assert letters and "chairmans-letter" in letters and FILE not in letters

        # Sort by creation date: the younger copy first, then the other way round; the
        # campaign files (no creation date in the database) come after them.
        page.goto(f"{site.base}/staff/campaigns?sort=created")
        assert listed(page)[:2] == [f"{FILE}-copy", "chairmans-letter-copy"]
        page.select_option('[data-testid="sort"]', "created-asc")
        show(page)
        assert listed(page)[:2] == ["chairmans-letter-copy", f"{FILE}-copy"]
        page.select_option('[data-testid="sort"]', "scheduled")
        show(page)
        assert listed(page)[0] == FILE

        # Delete a draft: only drafts offer it, and only after a confirmation.
        assert page.locator(f'tr[data-slug="{FILE}"] [data-testid="delete"]').count() == 0
        click(page.locator('tr[data-slug="chairmans-letter-copy"] [data-testid="delete"]'))
        expect(page.locator("h1")).to_contain_text("Delete the draft")
        click(page.get_by_test_id("delete-draft"))  # the box is not ticked: nothing happens
        assert site.ctx.campaign_documents is not None
        assert site.ctx.campaign_documents.get("chairmans-letter-copy") is not None
        page.check('[data-testid="confirm-delete"]')
        click(page.get_by_test_id("delete-draft"))
        expect(page.get_by_test_id("notice")).to_have_text(
            "Deleted the draft chairmans-letter-copy."
        )
        assert "chairmans-letter-copy" not in listed(page)
        assert site.ctx.campaign_documents.get("chairmans-letter-copy") is None
    finally:
        person.close()


def test_pause_resume_and_cancel_one_step(site: Site, browser: Browser) -> None:  # noqa: F811
    schedule_file_campaign(site)
    assert set(steps(site).values()) == {S.SCHEDULED}
    person = Person(browser, site.base)
    try:
        page = person.sign_in(APPROVER, PASSWORD)
        page.goto(f"{site.base}/staff/campaigns/{FILE}")
        table = page.get_by_test_id("steps")
        # Times in the campaign's zone, each step with the actions that apply to it now.
        expect(table.locator('tr[data-step="main"]')).to_contain_text("2015-09-10 09:00 CEST")
        expect(page.get_by_test_id("resume-early-bird-3d")).to_have_count(0)

        click(page.get_by_test_id("pause-early-bird-3d"))
        expect(page.get_by_test_id("notice")).to_contain_text("Paused early-bird-3d")
        row = page.locator('tr[data-step="early-bird-3d"]')
        expect(row.get_by_test_id("step-state")).to_have_text("paused")
        assert steps(site) == {
            "main": S.SCHEDULED,
            "early-bird-3d": S.PAUSED,
            "early-bird-1d": S.SCHEDULED,
        }
        expect(page.get_by_test_id("pause-early-bird-3d")).to_have_count(0)

        click(page.get_by_test_id("resume-early-bird-3d"))
        expect(page.get_by_test_id("notice")).to_contain_text("Resumed early-bird-3d")
        assert steps(site)["early-bird-3d"] is S.SCHEDULED

        # Cancel asks for its box to be ticked; then only that step stops.
        click(page.get_by_test_id("cancel-early-bird-1d"))
        assert steps(site)["early-bird-1d"] is S.SCHEDULED  # the browser did not post it
        page.check('[data-testid="confirm-cancel-early-bird-1d"]')
        click(page.get_by_test_id("cancel-early-bird-1d"))
        expect(page.get_by_test_id("notice")).to_contain_text("Cancelled early-bird-1d")
        assert steps(site) == {
            "main": S.SCHEDULED,
            "early-bird-3d": S.SCHEDULED,
            "early-bird-1d": S.CANCELLED,
        }
        expect(page.get_by_test_id("cancel-early-bird-1d")).to_have_count(0)
    finally:
        person.close()


def visible_languages(page: Page, field: str) -> list[str]:
    return page.locator(f'[data-field="{field}"] .lang').evaluate_all(
        "labels => labels.filter(l => l.offsetParent !== null).map(l => l.dataset.lang)"
    )


def empty_count(label: str) -> int:
    """3 from "bg (3 empty)", 0 from "bg"."""
    found = re.search(r"\((\d+) empty\)", label)
    return int(found.group(1)) if found else 0


def test_switcher_unsaved_warning_and_autosave(site: Site, browser: Browser) -> None:  # noqa: F811
    copy = documents.duplicate(site.ctx, FILE, by="editor@cluster-house.example")
    slug = copy.slug
    approve_now(site.ctx, slug, site.approver, schedule=site.sched.store)
    person = Person(browser, site.base)
    dialogs: list[str] = []
    try:
        page = person.sign_in(APPROVER, PASSWORD)
        page.on("dialog", lambda d: (dialogs.append(d.type), d.dismiss()))
        page.goto(f"{site.base}/staff/campaigns/{slug}/edit")

        # Two languages side by side, the default first, each about half the row: not seven
        # cramped columns.
        switcher = page.get_by_test_id("translating")
        expect(switcher).to_be_visible()
        assert visible_languages(page, "subject") == ["en", "sr-Cyrl"]
        widths = page.locator('[data-field="subject"] .lang').evaluate_all(
            "ls => ls.filter(l => l.offsetParent !== null)"
            ".map(l => l.getBoundingClientRect().width)"
        )
        row = page.locator('[data-field="subject"] .langs').evaluate(
            "el => el.getBoundingClientRect().width"
        )
        assert len(widths) == 2 and all(w > 0.4 * row for w in widths), (widths, row)
        options = switcher.locator("option").evaluate_all("os => os.map(o => o.value)")
        assert options == ["sr-Cyrl", "sr-Latn", "bg", "ro", "mk", "tr", "all"]
        switcher.select_option("bg")
        assert visible_languages(page, "subject") == ["en", "bg"]
        assert visible_languages(page, "preheader") == ["en", "bg"]
        switcher.select_option("all")
        assert len(visible_languages(page, "subject")) == 7
        switcher.select_option("bg")

        # Typing makes the page warn before it is left.
        subject = page.locator('[name="subject.bg"]')
        new_subject = "Дни на клъстерите 2015: запазете датата"
        bg_option = switcher.locator('option[value="bg"]')
        before = empty_count(bg_option.inner_text())
        subject.click()
        page.keyboard.press("Control+A")
        page.keyboard.press("Backspace")
        # The switcher counts what is left to translate, as it is typed.
        expect(bg_option).to_have_text(f"bg ({before + 1} empty)")
        page.keyboard.type(new_subject)
        assert empty_count(bg_option.inner_text()) == before
        status = page.get_by_test_id("save-status")
        expect(status).to_contain_text("Unsaved changes")
        click(page.locator("header nav a", has_text="Campaigns"))
        page.wait_for_timeout(500)
        assert dialogs == ["beforeunload"]
        assert page.url.endswith(f"/staff/campaigns/{slug}/edit")  # dismissed: still here

        # Autosave stores it (a save like any other: the approval is withdrawn) and says so.
        expect(status).to_contain_text("Saved at", timeout=WAIT_MS)
        expect(status).to_contain_text("approval was withdrawn")
        stored = site.ctx.campaign_documents.get(slug)  # type: ignore[union-attr]
        assert stored is not None and stored.document["subject"]["bg"] == new_subject
        assert not approvals.standing(site.ctx, slug).approved

        # Saved: leaving asks nothing, and the reloaded form shows the saved draft.
        page.reload()
        assert dialogs == ["beforeunload"]
        expect(page.locator('[name="subject.bg"]')).to_have_value(new_subject)
        # A change after the autosave is saved by Save as usual (the version moved along).
        page.get_by_test_id("translating").select_option("bg")
        page.fill('[name="subject.bg"]', new_subject + "!")
        click(page.get_by_test_id("save"))
        expect(page.get_by_test_id("notice")).to_contain_text("Saved")
        assert dialogs == ["beforeunload"]
        stored = site.ctx.campaign_documents.get(slug)  # type: ignore[union-attr]
        assert stored is not None and stored.document["subject"]["bg"] == new_subject + "!"
    finally:
        person.close()


def test_send_progress_refreshes_itself(site: Site, browser: Browser) -> None:  # noqa: F811
    """A campaign half sent: its page shows the counts, and follows the ledger by itself
    (the served script polls the progress answer) until nothing waits."""
    engine = site.ctx.ledger.engine  # type: ignore[attr-defined]
    add_members(engine, 4, prefix="reader")
    readers = [f"reader{i}@synthetic.example" for i in range(4)]
    assert record_sent(engine, FILE, readers) == 4
    waiting = deliveries.c.member_id.in_(
        select(members.c.id).where(members.c.email.in_(readers[2:]))
    )
    with engine.begin() as conn:
        conn.execute(update(deliveries).where(waiting).values(status="pending", sent_at=None))
    person = Person(browser, site.base)
    try:
        page = person.sign_in(APPROVER, PASSWORD)
        page.goto(f"{site.base}/staff/campaigns/{FILE}")
        expect(page.locator(".meta .state")).to_have_text("sending")
        progress = page.get_by_test_id("progress")
        expect(progress).to_contain_text("2 of 4 handled: 2 sent, 0 failed, 0 unknown, 2 waiting")
        page.evaluate("window.stillThisPage = true")
        with engine.begin() as conn:
            conn.execute(
                update(deliveries).where(waiting).values(status="sent", sent_at=site.clock.now())
            )
        expect(progress).to_contain_text("4 of 4 handled: 4 sent", timeout=WAIT_MS)
        expect(progress).to_contain_text("(finished: sent)")
        assert page.evaluate("window.stillThisPage") is True  # updated in place, no reload
        meter = page.get_by_test_id("progress-meter")
        assert meter.evaluate("m => [m.value, m.max]") == [4, 4]
    finally:
        person.close()
