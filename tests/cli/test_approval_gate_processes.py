"""The approval gate with the real scheduler: the thread of ``newsletter serve`` and the process
of ``newsletter scheduler run``, on the real clock, against the outbox.

The attack: approve -> schedule -> an editor changes the campaign (the web form; or
``campaigns import --replace``) -> the due time passes. Nothing is sent; the step is ``held`` and
the page, the calendar, ``schedule timeline --json`` and ``campaigns status`` say so. Approving
the new version sends it, once, with the new text.
"""

from __future__ import annotations

import datetime as dt
import email.parser
import email.policy
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, create_engine, select

from newsletter.bootstrap import build_scheduling
from newsletter.cli import main
from newsletter.config import load_settings
from newsletter.db.tables import schedules
from newsletter.staff.domain.users import Role, StaffUser
from tests.approving import approve_now
from tests.cli.test_serve import MEMBERS, any_day_any_hour, free_port, wait_for
from tests.services import services
from tests.web.forms import form_fields, with_value
from tests.web.staff_helpers import shown_version

SLUG = "gate-letter"
PASSWORD = "correct horse battery"
APPROVER = "approver@serve.example"
EDITOR = "editor@serve.example"
NEW_SUBJECT = "A letter from the chairman (corrected after approval)"
#: Two members read English (the new subject), one Serbian Cyrillic (its subject unchanged).
EXPECTED = sorted(
    [NEW_SUBJECT, NEW_SUBJECT, "Драга породицо Кластер Хауса: хвала вам за седам „Дана кластера“"]
)

pytestmark = pytest.mark.slow


def cli(project: Path, *args: str, stdin: str | None = None) -> str:
    result = CliRunner().invoke(main, ["--config", str(project / "config.yaml"), *args], stdin)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture
def site(project: Path) -> Path:
    """The sample project with three members, the chairman's letter in the database (so it
    needs an approval) and an editor and an approver account."""
    any_day_any_hour(project)
    (project / "audiences" / "serve.csv").write_text(MEMBERS, encoding="utf-8")
    cli(project, "members", "import", str(project / "audiences" / "serve.csv"))
    cli(project, "campaigns", "import", str(project / "campaigns" / "chairmans-letter.yaml"),
        "--slug", SLUG)  # fmt: skip
    for who, role in ((APPROVER, "approver"), (EDITOR, "editor")):
        cli(project, "staff", "add", who, "--role", role, "--password-stdin", stdin=PASSWORD)
    return project


def state_of(engine: Engine, step: str = "main") -> str:
    with engine.connect() as conn:
        found = conn.execute(
            select(schedules.c.state).where(schedules.c.campaign == SLUG, schedules.c.step == step)
        ).scalar_one_or_none()
    return str(found)


def subjects(project: Path) -> list[str]:
    parser = email.parser.BytesHeaderParser(policy=email.policy.default)
    folder = project / "var" / "outbox" / SLUG / "main"
    return sorted(str(parser.parsebytes(p.read_bytes())["Subject"]) for p in folder.glob("*.eml"))


def start(project: Path, *args: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSLETTER_")}
    return subprocess.Popen(
        [sys.executable, "-m", "newsletter", "--config", str(project / "config.yaml"), *args],
        cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip


def stop(proc: subprocess.Popen[bytes]) -> str:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    output = proc.communicate(timeout=90)[0].decode()
    assert "Traceback" not in output, output
    return output


def signed_in(base: str, who: str) -> httpx.Client:
    http = httpx.Client(base_url=base, timeout=10)
    page = http.get("/staff/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token
    done = http.post(
        "/staff/login", data={"email": who, "password": PASSWORD, "csrf": token.group(1)}
    )
    assert done.status_code == 303, done.text
    return http


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found
    return found.group(1)


def approve_in_page(http: httpx.Client) -> None:
    page = http.get(f"/staff/campaigns/{SLUG}").text
    done = http.post(
        f"/staff/campaigns/{SLUG}/approve",
        data={"csrf": csrf_of(page), "version": shown_version(page)},
    )
    assert done.status_code == 303
    assert "Approved this version." in http.get(done.headers["location"]).text


def due_in(seconds: int) -> dt.datetime:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)).replace(microsecond=0)


def held_everywhere(project: Path, engine: Engine, page: str) -> None:
    """Every view says the step is held, and why."""
    assert state_of(engine) == "held"
    assert 'data-testid="held"' in page and "changed after approval" in page
    assert "will not go out until an approver approves this version" in page
    rows = json.loads(cli(project, "schedule", "timeline", "--json"))
    assert [(r["state"], r["reason"][:22]) for r in rows if r["campaign"] == SLUG] == [
        ("held", "changed after approval")
    ]
    status = json.loads(cli(project, "campaigns", "status", SLUG, "--json"))
    assert [r["state"] for r in status["schedule"]] == ["held"]
    assert status["approval"]["approved"] is False
    assert status["approval"]["hold_reason"].startswith("changed after approval")


@pytest.fixture
def engine(site: Path) -> Iterator[Engine]:
    made = create_engine(f"sqlite:///{site / 'var' / 'newsletter.db'}")
    yield made
    made.dispose()


def test_serve_holds_a_web_edit_after_approval_and_sends_the_approved_new_version(
    site: Path, engine: Engine
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start(site, "serve", "--port", str(port))
    clients: list[httpx.Client] = []
    try:
        wait_for(lambda: _answers(base), "/healthz answering", proc, 30)
        boss = signed_in(base, APPROVER)
        clients.append(boss)
        approve_in_page(boss)
        due = due_in(20)
        page = boss.get(f"/staff/campaigns/{SLUG}").text
        scheduled = boss.post(
            f"/staff/campaigns/{SLUG}/schedule",
            data={"csrf": csrf_of(page), "at": due.replace(tzinfo=None).isoformat(), "zone": "UTC"},
        )
        assert scheduled.status_code == 303
        assert state_of(engine) == "scheduled"

        # The editor changes the subject in the web form, after the approval.
        editor = signed_in(base, EDITOR)
        clients.append(editor)
        form = editor.get(f"/staff/campaigns/{SLUG}/edit").text
        fields = with_value(form_fields(form, f"/staff/campaigns/{SLUG}/edit"), "subject.en",
                            NEW_SUBJECT)  # fmt: skip
        data: dict[str, list[str]] = {}
        for name, value in fields:
            data.setdefault(name, []).append(value)
        saved = editor.post(f"/staff/campaigns/{SLUG}/edit", data=data)
        assert saved.status_code == 303, saved.text

        # The due time passes with the scheduler running: nothing goes out.
        _sleep_until(due + dt.timedelta(seconds=4), proc)
        assert not (site / "var" / "outbox" / SLUG).exists()
        held_everywhere(site, engine, boss.get(f"/staff/campaigns/{SLUG}").text)
        month = boss.get("/staff/calendar", params={"month": f"{due:%Y-%m}", "tz": "UTC"}).text
        assert "state-held" in month

        # The approver approves the version as it is now: it goes out, once, with the new text.
        approve_in_page(boss)
        wait_for(lambda: state_of(engine) == "sent", "the approved send", proc, 60)
        time.sleep(2)  # a second sweep must not send it again
        assert subjects(site) == EXPECTED
    finally:
        for client in clients:
            client.close()
        stop(proc)


def test_scheduler_run_holds_an_import_replace_after_approval(site: Path, engine: Engine) -> None:
    settings = load_settings(site / "config.yaml")
    ctx = services(settings)
    try:
        sched = build_scheduling(settings, ctx)
        boss = StaffUser(1, APPROVER, Role.APPROVER)
        approve_now(ctx, SLUG, boss, schedule=sched.store)
        due = due_in(15)
        cli(site, "campaigns", "schedule", SLUG, "--at", due.replace(tzinfo=None).isoformat(),
            "--tz", "UTC")  # fmt: skip
        assert state_of(engine) == "scheduled"
        proc = start(site, "scheduler", "run")
        try:
            # `campaigns import --replace` of an edited copy, after the approval.
            exported = site / "edited.yaml"
            cli(site, "campaigns", "export", SLUG, "--output", str(exported))
            text = exported.read_text(encoding="utf-8")
            old = re.search(r"^  en: (.+)$", text, re.MULTILINE)
            assert old
            exported.write_text(text.replace(old.group(0), f"  en: {NEW_SUBJECT}", 1), "utf-8")
            replaced = cli(site, "campaigns", "import", str(exported), "--replace")
            assert "(its approval was withdrawn)" in replaced
            _sleep_until(due + dt.timedelta(seconds=4), proc)
            assert state_of(engine) == "held"
            assert not (site / "var" / "outbox" / SLUG).exists()
            refused = CliRunner().invoke(
                main, ["--config", str(site / "config.yaml"), "campaigns", "send", SLUG, "--yes"]
            )
            assert refused.exit_code != 0 and "Traceback" not in refused.output
            assert "changed after approval" in refused.stderr

            approve_now(ctx, SLUG, boss, schedule=sched.store)
            wait_for(lambda: state_of(engine) == "sent", "the approved send", proc, 60)
            time.sleep(2)
            assert subjects(site) == EXPECTED
        finally:
            stop(proc)
    finally:
        ctx.close()


def _answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=2).text == "ok"
    except httpx.TransportError:
        return False


def _sleep_until(moment: dt.datetime, proc: subprocess.Popen[bytes]) -> None:
    left = (moment - dt.datetime.now(dt.UTC)).total_seconds()
    if left > 0:
        time.sleep(left)
    assert proc.poll() is None, "the scheduler stopped"
