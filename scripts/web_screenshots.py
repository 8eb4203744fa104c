"""Screenshots of the web app's pages into ``docs/screenshots/web-*.png`` (referenced from
docs/staff-guide.md), in Debian's headless Chromium through Playwright (never a downloaded
browser).

Everything happens in a throw-away copy of the project, so ``var/`` is left alone: the sample
audiences are imported, the chairman's letter and the Interreg-IPA call are sent to that
copy's outbox (with the SendGrid events scripts/sample_events.py posts for them, so the report
of the call shows deliveries, opens and clicks), the Days of Clusters invitation is approved and
scheduled a week ahead, and the app runs on a loopback port with ``web.base_url`` pointing at
it. The member pages are opened through the links of a sent ``.eml``, as a member would open
them. The app's clock stands at :data:`SAMPLE_DAY`, 1 September 2015, the sample
campaigns' season: on the real date their milestones (the conference, the deadlines) would
long have passed.

Pages taken every time: staff sign-in, campaign list, campaign detail (Serbian Cyrillic preview
at phone and desktop width), the form of a new call for proposals; at phone width the
preference centre (Serbian Cyrillic and English), the one-click unsubscribe page, the public
sign-up form and the archive. Any other
staff page the app has (calendar, reports, members, campaign editor...) is found in the
route table and taken too, if it answers with a staff HTML page once its path parameters
are filled in (campaign slug, member id, language). Every staff page is taken at desktop
width (``web-staff-*.png``, 1280 px) and at phone width (``web-staff-*-375.png``), and the
phone's menu once open (``web-staff-menu-375.png``). Each PNG is reduced to a 64-colour
palette (Pillow, no dithering: flat interface colours stay exact), a fraction of the size
Chromium writes (both sizes are printed). Run it from the repository root::

    .venv/bin/python scripts/web_screenshots.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import datetime as dt
import email
import email.policy
import importlib.util
import re
import secrets
import shutil
import socket
import tempfile
import threading
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import uvicorn
from sqlalchemy import select

from newsletter.audiences.files.member_files import read_csv
from newsletter.audiences.imports import import_members
from newsletter.authoring import approvals
from newsletter.authoring.overview import schedule_approved
from newsletter.bootstrap import build_app, build_scheduling
from newsletter.config import load_settings
from newsletter.content.files.screenshots import CHROMIUM_ARGS, find_chromium
from newsletter.core.clock import VirtualClock
from newsletter.db.tables import members
from newsletter.delivery.sending import send_campaign
from newsletter.staff import accounts as staff
from newsletter.staff.domain.users import Role
from newsletter.web.app import create_app

REPO = Path(__file__).resolve().parents[1]
DOC = "days-of-clusters-2015"
SENT = ("chairmans-letter", "interreg-ipa-bg-rs-first-call")
ARCHIVED = "interreg-ipa-bg-rs-first-call"  # sent, and its file says `archive: true`
APPROVER = "approver@clusterhouse.example"
#: "Now" for the app in the pictures (and in the tests): before the sample conference.
SAMPLE_DAY = dt.datetime(2015, 9, 1, 8, 0, tzinfo=dt.UTC)
STAFF_VIEWPORT = {"width": 1280, "height": 900}
PHONE_VIEWPORT = {"width": 375, "height": 800}
#: Longer pages (a members list) are cut at about a screenful (and a half on a phone): the top
#: of a list shows what it is, and the PNGs stay small (a few hundred KB for all of them).
MAX_HEIGHT = {STAFF_VIEWPORT["width"]: 1000, PHONE_VIEWPORT["width"]: 1200}
#: Pages taken by name; the route table's other staff pages are found (``discover``).
KNOWN = {"/staff", "/staff/login", "/staff/logout", "/staff/campaigns", "/staff/campaigns/{slug}"}


def prepare(work: Path, base: str) -> tuple[Any, Any, str]:
    """The project copy with its sample data; returns (settings, the App, approver password)."""
    for name in ("templates", "audiences", "campaigns"):
        shutil.copytree(REPO / name, work / name)
    shutil.copy(REPO / "config.yaml", work / "config.yaml")
    settings = load_settings(work / "config.yaml", web={"base_url": base})
    app = build_app(settings, clock=VirtualClock(SAMPLE_DAY))
    for path in sorted((work / "audiences").glob("*.csv")):
        _, rows = read_csv(path)
        import_members(app.audiences, rows, source=path.name)
    for slug in SENT:
        send_campaign(app.delivery, slug)
    sample_events().feed(app, settings, SENT)
    password = secrets.token_urlsafe(12)
    staff.ensure_user(app.staff, APPROVER, password, Role.APPROVER)
    found = staff.store(app.staff).credentials(APPROVER)
    assert found is not None
    ctx = app.authoring
    approvals.approve(ctx, DOC, found[0], shown=approvals.standing(ctx, DOC).fingerprint)
    zone = "Europe/Bucharest"
    day = SAMPLE_DAY.astimezone(ZoneInfo(zone)).date() + dt.timedelta(days=7)
    while day.weekday() >= 5:  # weekends are skipped days in the sample configuration
        day += dt.timedelta(days=1)
    at = dt.datetime.combine(day, dt.time(10, 0))
    # The sample milestones (2015) have passed: scheduled anyway, as an approver may confirm.
    schedule_approved(
        build_scheduling(settings, app.delivery), DOC, at, zone, after_milestones=True
    )
    return settings, app, password


def sample_events() -> Any:
    """scripts/sample_events.py, loaded from beside this script."""
    spec = importlib.util.spec_from_file_location(
        "sample_events", REPO / "scripts" / "sample_events.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def serve(app: Any, sock: socket.socket) -> tuple[uvicorn.Server, threading.Thread]:
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise SystemExit("the app did not start within 20 s")
        time.sleep(0.05)
    return server, thread


def member_links(outbox: Path, engine: Any, language: str) -> tuple[str, str]:
    """(one-click link, preference link) from the first sent email to a member in
    ``language``, parsed as a mail client would."""
    with engine.connect() as conn:
        wanted = {
            str(e).casefold()
            for e in conn.execute(select(members.c.email).where(members.c.language == language))
            .scalars()
            .all()
        }
    for path in sorted(outbox.glob("*/main/*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        to = re.search(r"<([^>]+)>", str(message["To"]))
        if to is None or to.group(1).casefold() not in wanted:
            continue
        one_click = str(message["List-Unsubscribe"]).strip().strip("<>")
        html = message.get_body(("html",))
        assert html is not None
        preferences = re.search(r'href="([^"]+/p/[^"]+)"', html.get_content())
        assert preferences is not None, path
        return one_click, preferences.group(1)
    raise SystemExit(f"no email to a member in {language} in {outbox}")


def discover(app: Any, values: dict[str, str]) -> list[tuple[str, str]]:
    """(name, path) of every other GET staff route whose parameters we can fill in."""
    found = []
    for route in getattr(getattr(app, "app", app), "routes", []):
        path = getattr(route, "path", "")
        if not path.startswith("/staff") or path in KNOWN or "GET" not in (route.methods or ()):
            continue
        names = re.findall(r"{(\w+)(?::\w+)?}", path)
        if any(n not in values for n in names):
            print(f"  (skipped {path}: no sample value for its parameters)")
            continue
        filled = re.sub(r"{(\w+)(?::\w+)?}", lambda m: values[m.group(1)], path)
        stem = re.sub(r"{(\w+)(?::\w+)?}", lambda m: m.group(1), path)
        found.append(("web-" + re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-"), filled))
    return found


WRITTEN: list[Path] = []


def shot(page: Any, url: str, path: Path) -> None:
    page.goto(url, wait_until="networkidle")
    # Down to the end of the content (not the empty rest of the window), at most MAX_HEIGHT.
    height = int(page.evaluate("Math.ceil(document.body.getBoundingClientRect().bottom) + 24"))
    width = int(page.viewport_size["width"])
    tall = min(height, MAX_HEIGHT.get(width, 1200))
    # The window as tall as the picture: sticky parts (the form's buttons, the live preview)
    # then sit where a reader scrolled to the end would see them, not mid-page.
    window = page.viewport_size
    page.set_viewport_size({"width": width, "height": max(tall, window["height"])})
    for frame in page.frames:  # the campaign page's previews: painted, not blank
        frame.wait_for_load_state("load")
    page.wait_for_timeout(600)  # let a resize-triggered layout settle
    page.screenshot(
        path=str(path), full_page=True, clip={"x": 0, "y": 0, "width": width, "height": tall}
    )
    page.set_viewport_size(window)
    WRITTEN.append(path)
    print(f"  {path} ({shrink(path)})")


def shrink(path: Path) -> str:
    """Rewrite ``path`` as a 64-colour palette PNG; says its size before and after. Interface
    screenshots have few colours (text anti-aliasing is most of them), so median cut without
    dithering keeps them sharp (a dithered flat background would compress worse)."""
    from PIL import Image

    before = path.stat().st_size
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(
            colors=64, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
        )
    small.save(path, optimize=True)
    return f"{path.stat().st_size // 1024} KB, {before // 1024} KB as taken"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = parser.parse_args()
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    chromium = find_chromium()
    if chromium is None:
        raise SystemExit("no Chromium at /usr/bin/chromium: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="web-screenshots-") as tmp:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        base = f"http://127.0.0.1:{sock.getsockname()[1]}"
        print("preparing the sample data in a throw-away copy...")
        settings, built, password = prepare(Path(tmp), base)
        app = create_app(built, scheduling=lambda: build_scheduling(settings, built.delivery))
        server, thread = serve(app, sock)
        engine = built.delivery.ledger.engine
        with engine.connect() as conn:
            member_id = conn.execute(
                select(members.c.id).where(members.c.language == "sr-Cyrl").limit(1)
            ).scalar_one()
        values = {"slug": DOC, "lang": "sr-Cyrl", "step": "main"}
        values |= {k: str(member_id) for k in ("id", "member", "member_id")}

        def local_only(route: Any) -> None:
            # Loopback only: a remote image in an email shows its alt text, as offline.
            if route.request.url.startswith((base, "data:", "about:")):
                route.continue_()
            else:
                route.abort()

        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=chromium, args=list(CHROMIUM_ARGS))
                try:
                    print(f"staff pages ({STAFF_VIEWPORT['width']} px wide):")
                    desk = browser.new_context(viewport=STAFF_VIEWPORT)
                    desk.route("**/*", local_only)
                    page = desk.new_page()
                    shot(page, f"{base}/staff/login", out / "web-staff-login.png")
                    page.fill("input[name=email]", APPROVER)
                    page.fill("input[name=password]", password)
                    with page.expect_navigation():
                        page.click("button[type=submit]")
                    pages = [
                        ("web-staff-campaigns", f"{base}/staff/campaigns"),
                        ("web-staff-campaign", f"{base}/staff/campaigns/{DOC}?lang=sr-Cyrl"),
                        # The form of a new call for proposals (the route needs its kind).
                        (
                            "web-staff-campaigns-new",
                            f"{base}/staff/campaigns/new?kind=call_for_proposals",
                        ),
                    ]
                    for name, path in discover(app, values):
                        answer = desk.request.get(base + path)
                        kind = answer.headers.get("content-type", "")
                        if (
                            not answer.ok
                            or "text/html" not in kind
                            or "staff.css" not in answer.text()
                        ):
                            print(f"  (skipped {path}: {answer.status} {kind}, not a staff page)")
                            continue
                        pages.append((name, base + path))
                    for name, url in pages:
                        shot(page, url, out / f"{name}.png")
                    print(f"staff pages ({PHONE_VIEWPORT['width']} px wide):")
                    # The report of a sent campaign, with the provider events posted above.
                    report = f"{base}/staff/campaigns/{ARCHIVED}/report"
                    shot(page, report, out / "web-staff-report-sent.png")
                    signed_in = desk.storage_state()
                    desk.close()
                    phone = browser.new_context(viewport=PHONE_VIEWPORT)
                    phone.route("**/*", local_only)
                    page = phone.new_page()
                    shot(page, f"{base}/staff/login", out / "web-staff-login-375.png")
                    phone.close()
                    phone = browser.new_context(viewport=PHONE_VIEWPORT, storage_state=signed_in)
                    phone.route("**/*", local_only)
                    page = phone.new_page()
                    for name, url in pages:
                        shot(page, url, out / f"{name}-375.png")
                    # The folded menu, opened: one tap away on every page.
                    page.goto(f"{base}/staff/campaigns", wait_until="networkidle")
                    page.click("header details.menu > summary")
                    page.screenshot(path=str(out / "web-staff-menu-375.png"))
                    WRITTEN.append(out / "web-staff-menu-375.png")
                    size = shrink(out / "web-staff-menu-375.png")
                    print(f"  {out / 'web-staff-menu-375.png'} ({size})")
                    phone.close()
                    print(
                        f"member pages ({PHONE_VIEWPORT['width']} px wide, links from the outbox):"
                    )
                    phone = browser.new_context(viewport=PHONE_VIEWPORT)
                    phone.route("**/*", local_only)
                    page = phone.new_page()
                    outbox = settings.path(settings.delivery.outbox_dir)
                    for language in ("sr-Cyrl", "en"):
                        one_click, preferences = member_links(outbox, engine, language)
                        shot(page, preferences, out / f"web-preferences-{language}.png")
                        if language == "sr-Cyrl":
                            shot(page, one_click, out / f"web-unsubscribe-{language}.png")
                    # The public pages: the friends' sign-up form and the campaign archive
                    # (the Interreg-IPA call has `archive: true` and went out above).
                    shot(page, f"{base}/subscribe?lang=sr-Cyrl", out / "web-subscribe-sr-Cyrl.png")
                    shot(page, f"{base}/archive", out / "web-archive.png")
                    shot(page, f"{base}/archive/{ARCHIVED}", out / "web-archive-campaign.png")
                    phone.close()
                finally:
                    browser.close()
        finally:
            server.should_exit = True
            thread.join(10)
            sock.close()
            built.close()
    for stale in sorted(set(out.glob("web-*.png")) - set(WRITTEN)):
        stale.unlink()  # a page the app no longer has
        print(f"  removed {stale}")


if __name__ == "__main__":
    main()
