"""The web app end to end in a real browser: Debian's headless Chromium through Playwright, the app
on a loopback port, a throw-away copy of the project with the sample data, the outbox transport.

1. The staff scenario, on the app built here (frozen clock, 1 September 2015): an editor signs
   in, creates a call for proposals in English and Serbian (Cyrillic typed, Latin generated)
   with a reminder a week before its deadline, watches the live preview follow the typing at
   phone width (the reminder previewed too), test-sends it to the outbox (the ledger stays
   empty) and is refused approval; an approver approves it, schedules it, sees the timeline
   (announcement and reminder) and finds it in the calendar for its month.
2. The README path ("Done when"): the commands ``scripts/demo`` runs, then ``newsletter serve``
   as its own process on the real clock; the sample approver that ``newsletter staff sample``
   printed previews the Days of Clusters invitation in Serbian Cyrillic at phone width and
   schedules it, and no file of the project changes.

One browser for the module (launching one takes a second or two); each person gets their own
browser context, so cookies are theirs. Every wait in the browser is Playwright's own
(``expect`` with a timeout), never a fixed sleep. Any Content-Security-Policy violation fails
the test: the pages carry no inline script or style. Never downloads a browser: without
/usr/bin/chromium the tests are skipped with a loud reason.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import hashlib
import json
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from click.testing import CliRunner
from playwright.sync_api import Browser, Locator, Page, ViewportSize, expect
from playwright.sync_api import Error as PlaywrightError
from sqlalchemy import func, select

from newsletter.authoring import approvals
from newsletter.bootstrap import build_scheduling
from newsletter.cli import main
from newsletter.db.tables import deliveries
from newsletter.web.app import create_app
from tests.conftest import FrozenClock
from tests.delivery.test_sending import load_samples
from tests.services import Services, services
from tests.web.browser_helpers import chromium, loopback_settings, require_chromium, serving
from tests.web.staff_helpers import (
    APPROVER,
    EDITOR,
    PASSWORD,
    add_accounts,
    fill_field,
    milestones_first,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: Playwright's waits: a live preview renders every language of the draft on a shared CPU.
WAIT_MS = 20_000
PLAYWRIGHT_EXPECT_MS = 5_000  # Playwright's own default, restored for the other modules
DESKTOP: ViewportSize = {"width": 1600, "height": 1000}
PHONE_WIDTH = 375

SLUG = "bg-rs-second-call-2016"
#: A call for proposals typed into the generated form: English and Serbian Cyrillic.
FIELDS = {
    "slug": SLUG,
    "title": "Interreg-IPA Bulgaria–Serbia: second call 2016",
    "subject.en": "Second call for proposals open",
    "subject.sr-Cyrl": "Отворен други позив за предлоге пројеката",
    "preheader.en": "€ 9.5 million for cross-border projects",
    "preheader.sr-Cyrl": "9,5 милиона евра за прекограничне пројекте",
    "copy.headline.en": "Second call",
    "copy.headline.sr-Cyrl": "Други позив",
    "copy.intro.en": "The second call of the programme is open.",
    "copy.intro.sr-Cyrl": "Други позив програма је отворен.",
    "copy.closing.en": "Submit your proposal in time.",
    "copy.closing.sr-Cyrl": "Поднесите предлог на време.",
    "content.programme.en": "Interreg-IPA CBC Bulgaria–Serbia",
    "content.programme.sr-Cyrl": "Interreg-IPA програм Бугарска–Србија",
    "content.call_number": "2",
    "content.managing_authority.en": "Ministry of Regional Development and Public Works",
    "content.managing_authority.sr-Cyrl": "Министарство регионалног развоја и јавних радова",
    "content.opens": "2015-09-15",
    "content.submission_deadline": "submission_deadline",
    "content.budget": "9500000.00",
    "content.currency": "EUR",
    "content.eligible_area.en": "The Bulgaria–Serbia cross-border region",
    "content.eligible_area.sr-Cyrl": "Прекогранични регион Бугарске и Србије",
    "content.url": "https://interreg-ipa-bg-rs.example/second-call",
    # content.submission_deadline must name a milestone.
    "milestones.0.key": "submission_deadline",
    "milestones.0.at": "2016-01-15T16:00",
    "milestones.0.timezone": "Europe/Sofia",
    # A reminder a week before the deadline, written in the form (no campaign file).
    "reminders.0.key": "submission-7d",
    "reminders.0.milestone": "submission_deadline",
    "reminders.0.before": "7 days",
    "reminders.0.at_time": "09:00",
    "reminders.0.subject.en": "One week left to submit to the second call",
    "reminders.0.subject.sr-Cyrl": "Још недељу дана за предлоге на други позив",
    "reminders.0.preheader.en": "The second call closes on 15 January 2016 at 16:00.",
    "reminders.0.preheader.sr-Cyrl": "Други позив се затвара 15. јануара 2016. у 16:00.",
    "reminders.0.copy.headline.en": "One week left",
    "reminders.0.copy.headline.sr-Cyrl": "Још недељу дана",
    "reminders.0.copy.body.en": "Submit your proposal by 15 January 2016, 16:00 Sofia time.",
    "reminders.0.copy.body.sr-Cyrl": "Поднесите предлог до 15. јануара 2016. у 16:00 (Софија).",
}
#: A member of bg-rs-calls from audiences/members.csv who reads Serbian Cyrillic.
CYRILLIC_MEMBER = "biljana.ilic@dental-tourism-cluster-beograd.example"


# -- shared: the browser, a person in it, and what the pages must not do ---------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    require_chromium()
    expect.set_options(timeout=WAIT_MS)
    try:
        with chromium() as launched:
            yield launched
    finally:
        expect.set_options(timeout=PLAYWRIGHT_EXPECT_MS)


class Person:
    """One member of staff in their own browser context (their own cookies), noting every
    console error so a Content-Security-Policy violation fails the test."""

    def __init__(self, browser: Browser, base: str) -> None:
        self.base = base
        self.context = browser.new_context(viewport=DESKTOP)
        self.context.set_default_timeout(WAIT_MS)
        self.page = self.context.new_page()
        self.console: list[str] = []
        self.page.on(
            "console", lambda m: self.console.append(m.text) if m.type == "error" else None
        )

    def sign_in(self, address: str, password: str) -> Page:
        page = self.page
        page.goto(f"{self.base}/staff")
        expect(page).to_have_url(f"{self.base}/staff/login")  # no session: the sign-in page
        page.fill("input[name=email]", address)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{self.base}/staff/campaigns")
        expect(page.locator("header .who")).to_contain_text(address)
        return page

    def close(self) -> None:
        self.context.close()
        violations = [m for m in self.console if "Content Security Policy" in m]
        assert not violations, violations


def assert_fits_a_phone(page: Page, frame: str) -> None:
    """The email in the phone preview frame is 375 px wide and does not scroll sideways:
    ``document.documentElement.scrollWidth`` measured in that frame, not eyeballed. Measured
    from the email's heading, so it is the email's document and not the blank one a new frame
    starts with (every template has an h1)."""
    heading = page.frame_locator(frame).locator("h1")
    measure = (
        "h => { const root = h.ownerDocument.documentElement;"
        " return [root.clientWidth, root.scrollWidth]; }"
    )
    for attempt in range(3):
        try:
            client, scroll = heading.evaluate(measure)
            break
        except PlaywrightError:
            # The live preview swapped in a new frame while we measured: measure that one.
            if attempt == 2:
                raise
    assert client == PHONE_WIDTH, f"the phone frame is {client} px wide"
    assert scroll <= PHONE_WIDTH, f"the phone preview scrolls sideways ({scroll} px)"


def click(target: Locator) -> None:
    """Scroll ``target`` into view, then click it.

    Chromium runs sandboxed iframes - our email previews - in a process of their own
    (the IsolateSandboxedIframes feature) and routes a mouse event by the compositor's hit-test
    data. Playwright's click scrolls and presses in one go, before that data has caught up, so
    on a page with preview frames the press can go to a frame that was under the pointer before
    the scroll and the button never sees it (measured: 0 of 8 clicks on "Send test" arrived;
    8 of 8 with the scroll first, or with that feature disabled). A person scrolls, then clicks.
    """
    target.scroll_into_view_if_needed()
    target.click()


# -- 1. the staff scenario -------------------------------------------------------------------------


@dataclass
class Site:
    base: str
    ctx: Services
    project: Path


@pytest.fixture
def site(project: Path, browser: Browser) -> Iterator[Site]:
    """The app (with scheduling, as ``newsletter serve`` builds it) on a loopback port, over
    the sample audiences, at 08:00 UTC on 1 September 2015."""
    sock, base, settings = loopback_settings(project, "e2e.db")
    ctx = services(settings, clock=FrozenClock())
    load_samples(ctx, project)
    add_accounts(ctx)
    app = create_app(ctx.app, scheduling=lambda: build_scheduling(settings, ctx))
    try:
        with serving(app, sock):
            yield Site(base, ctx, project)
    finally:
        ctx.close()


def ledger_rows(ctx: Services) -> int:
    engine = ctx.ledger.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(deliveries)).scalar_one())


def test_editor_drafts_a_call_and_an_approver_schedules_it(browser: Browser, site: Site) -> None:
    base, ctx = site.base, site.ctx
    assert ledger_rows(ctx) == 0

    # -- the editor creates the call from its kind, in en + sr-Cyrl (+ the generated sr-Latn)
    editor = Person(browser, base)
    page = editor.sign_in(EDITOR, PASSWORD)
    page.get_by_role("link", name="call for proposals", exact=True).click()
    page.wait_for_url(f"{base}/staff/campaigns/new?kind=call_for_proposals")
    expect(page.locator("input[name=languages][value=en]")).to_be_checked()
    page.select_option("select[name=audience]", "bg-rs-calls")
    page.check("input[name=languages][value=sr-Cyrl]")
    page.check("input[name=languages][value=sr-Latn]")
    for name, value in milestones_first(FIELDS):
        fill_field(page, name, value)

    phone = "#live-preview .frame-phone iframe"
    live = page.frame_locator(phone)
    status = page.locator("#live-preview .live-status")
    expect(live.locator("h1")).to_have_text("Second call", timeout=WAIT_MS)
    expect(status).to_contain_text("members would receive it now")
    # Typed key by key, as a person types: the email follows.
    headline = page.locator('[name="copy.headline.en"]')
    headline.press("End")
    headline.press_sequentially(" for proposals")
    expect(live.locator("h1")).to_have_text("Second call for proposals", timeout=WAIT_MS)
    expect(page.get_by_test_id("preview-text")).to_contain_text("Second call for proposals")
    assert_fits_a_phone(page, phone)

    # Serbian Cyrillic at phone width.
    page.select_option('[data-testid="preview-language"]', "sr-Cyrl")
    expect(status).to_contain_text("sr-Cyrl")
    expect(live.locator("h1")).to_have_text("Други позив", timeout=WAIT_MS)
    assert_fits_a_phone(page, phone)

    # The Latin column shows what is generated from the Cyrillic, and its preview uses it.
    # (The switcher shows the default language beside the one being translated: Latin now.)
    page.select_option('[data-testid="translating"]', "sr-Latn")
    latin_headline = page.locator('[name="copy.headline.sr-Latn"]')
    expect(latin_headline).to_be_visible()
    expect(latin_headline).to_have_attribute("placeholder", "Drugi poziv", timeout=WAIT_MS)
    expect(page.locator('[name="subject.sr-Latn"]')).to_have_attribute(
        "placeholder", "Otvoren drugi poziv za predloge projekata"
    )
    page.select_option('[data-testid="preview-language"]', "sr-Latn")
    expect(live.locator("h1")).to_have_text("Drugi poziv", timeout=WAIT_MS)
    assert_fits_a_phone(page, phone)

    # As a chosen member, in the member's own language.
    page.select_option('[data-testid="preview-language"]', "")
    page.fill('[data-testid="preview-member"]', CYRILLIC_MEMBER)
    expect(live.locator("h1")).to_have_text("Други позив", timeout=WAIT_MS)
    # The reminder written in the form, previewed as its own email.
    page.select_option('[data-testid="preview-step"]', "submission-7d")
    expect(live.locator("h1")).to_have_text("Још недељу дана", timeout=WAIT_MS)
    assert_fits_a_phone(page, phone)
    page.select_option('[data-testid="preview-step"]', "main")
    expect(live.locator("h1")).to_have_text("Други позив", timeout=WAIT_MS)

    click(page.get_by_test_id("create"))
    page.wait_for_url(f"{base}/staff/campaigns/{SLUG}")
    expect(page.locator("h1")).to_have_text(FIELDS["title"])
    expect(page.locator(".meta .state")).to_have_text("draft")
    expect(page.locator("nav.languages > *")).to_have_text(["en", "sr-Cyrl", "sr-Latn"])

    # -- test send of the Cyrillic version to the editor's own address: outbox, not ledger
    click(page.locator("nav.languages").get_by_role("link", name="sr-Cyrl", exact=True))
    page.wait_for_url(f"{base}/staff/campaigns/{SLUG}?lang=sr-Cyrl")
    expect(page.get_by_test_id("subject")).to_have_text(FIELDS["subject.sr-Cyrl"])
    expect(page.locator(f"input[name=to][value='{EDITOR}']")).to_be_checked()
    click(page.get_by_role("button", name="Send test"))
    expect(page.locator("[role=status]")).to_have_text(f"Test sent to {EDITOR} (outbox).")
    sent = sorted((site.project / "var" / "outbox" / SLUG / "main").glob("*.eml"))
    assert [p.name.startswith("test-") for p in sent] == [True]
    message = email.message_from_bytes(sent[0].read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    assert str(message["Subject"]) == f"[TEST] {FIELDS['subject.sr-Cyrl']}"
    assert EDITOR in str(message["To"])
    assert ledger_rows(ctx) == 0  # a test is planned, claimed and recorded nowhere

    # -- an editor may not approve: no button, and the request itself is refused
    expect(page.locator("text=Only an approver can approve.")).to_be_visible()
    expect(page.locator("button:has-text('Approve')")).to_have_count(0)
    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    refused = page.request.post(f"{base}/staff/campaigns/{SLUG}/approve", form={"csrf": csrf or ""})
    assert (refused.status, refused.text()) == (403, "only an approver may do this")
    assert approvals.approval_of(ctx, SLUG) is None
    editor.close()

    # -- the approver approves and schedules: the chain appears as a timeline
    approver = Person(browser, base)
    page = approver.sign_in(APPROVER, PASSWORD)
    row = page.locator("table.campaigns tr", has=page.locator(f"a[href='/staff/campaigns/{SLUG}']"))
    expect(row.locator(".state")).to_have_text("draft")
    row.locator("a").first.click()
    page.wait_for_url(f"{base}/staff/campaigns/{SLUG}")
    click(page.get_by_role("button", name="Approve this version"))
    expect(page.locator("text=Approved as it is now.")).to_be_visible()
    expect(page.locator(".meta")).to_contain_text(f"approved by {APPROVER}")
    expect(page.locator(".meta .state")).to_have_text("approved")
    # Tuesday 8 September 2015, 10:00 in Belgrade (UTC+2 in summer) = 08:00 UTC.
    page.fill("form.schedule input[name=at]", "2015-09-08T10:00")
    page.select_option("form.schedule select[name=zone]", "Europe/Belgrade")
    click(page.locator("form.schedule button[type=submit]"))
    # The confirmation says, step by step, what will happen (local times in each step's zone).
    status = page.locator("[role=status] li")
    expect(status).to_have_text(
        [
            "main at 2015-09-08 10:00 Europe/Belgrade - scheduled",
            "submission-7d at 2016-01-08 09:00 Europe/Sofia - scheduled",
        ],
        timeout=WAIT_MS,
    )
    timeline = page.locator('[data-testid="steps"] tbody tr')
    # The chain: the announcement, then the reminder written in the form, 7 days before the
    # deadline at 09:00 Sofia time (UTC+2 in winter); each at its time in its own zone.
    expect(timeline).to_have_count(2)
    expect(timeline.first).to_have_text(re.compile(r"main\s+2015-09-08 10:00 CEST\s+scheduled"))
    expect(timeline.nth(1)).to_have_text(
        re.compile(r"submission-7d\s+2016-01-08 09:00 EET \(Europe/Sofia\)\s+scheduled")
    )

    # -- the calendar of its month shows it on its local day
    click(page.locator("header nav").get_by_role("link", name="Calendar"))
    page.wait_for_url(f"{base}/staff/calendar")
    page.fill("input[name=month]", "2015-09")
    page.select_option("select[name=tz]", "Europe/Belgrade")
    page.click("nav.months button[type=submit]")
    page.wait_for_url(re.compile(r".*/staff/calendar\?month=2015-09&tz=Europe%2FBelgrade$"))
    expect(page.locator("h1")).to_contain_text("2015")
    entry = f"a.item[href='/staff/campaigns/{SLUG}']"
    day = page.locator("table.calendar td.day.busy", has=page.locator(entry))
    expect(day).to_have_count(1)
    expect(day.locator(".date")).to_have_text("8")  # Tuesday 8 September, local time
    expect(day.locator(entry)).to_have_text(f"10:00 {SLUG}")
    agenda = page.locator("table.agenda tr", has=page.locator(f"a[href='/staff/campaigns/{SLUG}']"))
    expect(agenda).to_have_count(1)
    expect(agenda.locator(".state")).to_have_text("scheduled")
    expect(agenda.locator("td.when")).to_contain_text("2015-09-08 10:00")
    approver.close()


# -- 2. the README path ---------------------------------------------------------------------------

DOC = "days-of-clusters-2015"
LETTER = "chairmans-letter"  # the sample campaign scripts/demo leaves unsent
ZONE = "Europe/Belgrade"


@dataclass
class Demo:
    base: str
    project: Path
    approver: str
    password: str


def run_cli(project: Path, *args: str) -> str:
    """One ``newsletter`` command in this process (the same code as the script, without an
    interpreter start per command), from the project folder's config."""
    result = CliRunner().invoke(
        main, ["--config", str(project / "config.yaml"), *args], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return result.output


def files_of(project: Path) -> dict[str, str]:
    """Every file the user owns (everything but var/), by content hash."""
    return {
        str(p.relative_to(project)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(project.rglob("*"))
        if p.is_file() and p.relative_to(project).parts[0] != "var"
    }


def wait_until_serving(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"newsletter serve exited: {log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)  # starting: imports, the migration check, the scheduler
    raise AssertionError(f"newsletter serve did not answer: {log.read_text(errors='replace')}")


@pytest.fixture
def demo(project: Path, browser: Browser) -> Iterator[Demo]:
    """``scripts/demo`` in the project copy: the same commands, then ``newsletter serve``."""
    executable = Path(sys.executable).parent / "newsletter"
    if not executable.exists():
        pytest.skip(f"no newsletter command next to {sys.executable}")
    run_cli(project, "db", "upgrade")
    for csv in sorted((project / "audiences").glob("*.csv")):
        run_cli(project, "members", "import", str(csv))
    for campaign in sorted((project / "campaigns").glob("*.yaml")):
        run_cli(project, "campaigns", "validate", str(campaign))
        if campaign.stem != LETTER:  # left for the approver, as scripts/demo does
            run_cli(project, "campaigns", "send", str(campaign), "--yes")
    printed = run_cli(project, "staff", "sample")
    # What the user reads off the terminal: the approver's address and the password.
    approver = re.search(r"^\s+approver\s+(\S+@\S+)", printed, re.MULTILINE)
    password = re.search(r"^\s+password\s+(\S+)$", printed, re.MULTILINE)
    assert approver and password, printed

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # serve binds it again at once (SO_REUSEADDR); loopback, nobody else asks
    log = project / "var" / "serve.log"
    with log.open("wb") as out:  # a file, not a pipe: uvicorn's request log must never block
        process = subprocess.Popen(
            [str(executable), "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=project,  # as the README runs it: ./config.yaml, var/ beside it
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(f"{base}/healthz", process, log)
        yield Demo(base, project, approver.group(1), password.group(1))
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
            raise
        # README: SIGTERM lets the requests and the scheduler finish, then exits 0.
        assert code == 0, log.read_text(errors="replace")


def test_readme_path_preview_in_serbian_cyrillic_at_phone_width_and_schedule(
    browser: Browser, demo: Demo
) -> None:
    before = files_of(demo.project)
    document = yaml.safe_load((demo.project / "campaigns" / f"{DOC}.yaml").read_text("utf-8"))
    subject = document["subject"]["sr-Cyrl"]

    user = Person(browser, demo.base)
    page = user.sign_in(demo.approver, demo.password)
    page.click(f"a[href='/staff/campaigns/{DOC}']")
    page.wait_for_url(f"{demo.base}/staff/campaigns/{DOC}")
    click(page.locator("nav.languages").get_by_role("link", name="sr-Cyrl", exact=True))
    page.wait_for_url(f"{demo.base}/staff/campaigns/{DOC}?lang=sr-Cyrl")

    expect(page.get_by_test_id("subject")).to_have_text(subject)
    expect(page.get_by_test_id("subject")).to_be_visible()
    frame = ".frame-phone iframe"
    expect(page.frame_locator(frame).locator("body")).to_contain_text("Дани кластера")
    assert_fits_a_phone(page, frame)

    # The invitation went out already; the letter waits. Nothing goes out unapproved: approve
    # this version, then schedule it a week from now.
    click(page.locator("header nav").get_by_role("link", name="Campaigns"))
    page.click(f"a[href='/staff/campaigns/{LETTER}']")
    page.wait_for_url(f"{demo.base}/staff/campaigns/{LETTER}")
    click(page.get_by_role("button", name="Approve this version"))
    expect(page.locator("text=Approved as it is now.")).to_be_visible()
    local_day = dt.datetime.now(ZoneInfo(ZONE)).date() + dt.timedelta(days=7)
    page.fill("form.schedule input[name=at]", f"{local_day.isoformat()}T10:00")
    page.select_option("form.schedule select[name=zone]", ZONE)
    click(page.locator("form.schedule button[type=submit]"))
    expect(page.locator("[role=status]")).to_contain_text(
        f"main at {local_day.isoformat()} 10:00 {ZONE} - scheduled", timeout=WAIT_MS
    )
    main_step = page.locator('[data-testid="steps"] tr[data-step="main"]')
    expect(main_step).to_have_count(1)
    expect(main_step.locator(".state")).to_have_text("scheduled")
    user.close()

    # The command line sees what the browser scheduled; no file was touched.
    rows = json.loads(run_cli(demo.project, "schedule", "timeline", "--json"))
    mains = [r for r in rows if (r["campaign"], r["step"]) == (LETTER, "main")]
    assert [r["state"] for r in mains] == ["scheduled"]
    assert files_of(demo.project) == before
