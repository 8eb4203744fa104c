"""``newsletter serve`` as a real process: the web app answers, the in-process scheduler (on the
SQLite default) sends a campaign that is due to the outbox, and SIGTERM ends both cleanly."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import create_engine, select

from newsletter.cli import main
from newsletter.cli.serve import runs_scheduler
from newsletter.db.tables import scheduler_lock, schedules

DOC = "chairmans-letter"
HEAD = (
    "email,first_name,last_name,country,language,tier,topics,timezone,consent_source,consent_date"
)
MEMBERS = f"""{HEAD}
ana@serve.example,Ana,Petrović,RS,sr-Cyrl,member,news,Europe/Belgrade,web form,2015-01-10
ion@serve.example,Ion,Popescu,RO,en,member,news,Europe/Bucharest,web form,2015-01-10
eva@serve.example,Eva,Kirova,BG,en,friend,news;events,Europe/Sofia,web form,2015-01-10
"""


@pytest.mark.parametrize(
    ("flag", "configured", "url", "expected"),
    [
        (None, None, "sqlite:///var/newsletter.db", True),
        (None, None, "postgresql://newsletter@localhost/newsletter", False),
        (None, True, "postgresql://newsletter@localhost/newsletter", True),
        (None, False, "sqlite:///var/newsletter.db", False),
        (False, True, "sqlite:///var/newsletter.db", False),
        (True, False, "postgresql://newsletter@localhost/newsletter", True),
    ],
)
def test_the_flag_wins_then_the_setting_then_sqlite_means_in_process(
    flag: bool | None, configured: bool | None, url: str, expected: bool
) -> None:
    assert runs_scheduler(flag, configured, url) is expected


def test_a_port_in_use_is_a_clear_error_before_anything_starts(project: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = CliRunner().invoke(
            main, ["--config", str(project / "config.yaml"), "serve", "--port", port]
        )
    assert result.exit_code == 1
    assert f"error: cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "scheduler: running" not in result.output
    # Run in-process, serve leaves the environment as it found it: a leaked NEWSLETTER_CONFIG
    # would point every later command of the process at this test's config file.
    assert os.environ.get("NEWSLETTER_CONFIG") is None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def any_day_any_hour(project: Path) -> None:
    """No quiet hours, weekends or holidays: a send due now goes out now, whatever the day."""
    path = project / "config.yaml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config["scheduling"].update(
        quiet_hours=None, skip_weekends=False, holidays=[], sweep_seconds=1, lease_seconds=3
    )
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")


def wait_for(check: object, what: str, proc: subprocess.Popen[bytes], seconds: float) -> None:
    """Poll ``check()`` until true, failing with the server's output if it dies or time runs out."""
    assert callable(check)
    deadline = time.monotonic() + seconds
    while not check():
        if proc.poll() is not None:
            pytest.fail(f"serve exited ({proc.returncode}) before {what}:\n{proc.communicate()[0]}")
        if time.monotonic() > deadline:
            proc.send_signal(signal.SIGTERM)
            pytest.fail(f"no {what} within {seconds} s:\n{proc.communicate(timeout=60)[0]!r}")
        time.sleep(0.1)


@pytest.mark.slow
def test_serve_runs_the_scheduler_in_process_and_stops_cleanly_on_sigterm(project: Path) -> None:
    any_day_any_hour(project)
    (project / "audiences" / "serve.csv").write_text(MEMBERS, encoding="utf-8")
    config = str(project / "config.yaml")
    runner = CliRunner()
    members_file = str(project / "audiences" / "serve.csv")
    imported = runner.invoke(main, ["--config", config, "members", "import", members_file])
    assert imported.exit_code == 0, imported.output
    now = dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None).isoformat()
    planned = runner.invoke(
        main, ["--config", config, "campaigns", "schedule", DOC, "--at", now, "--tz", "UTC"]
    )
    assert planned.exit_code == 0, planned.output

    engine = create_engine(f"sqlite:///{project / 'var' / 'newsletter.db'}")
    outbox = project / "var" / "outbox" / DOC / "main"

    def main_state() -> str:
        with engine.connect() as conn:
            return str(
                conn.execute(
                    select(schedules.c.state).where(
                        schedules.c.campaign == DOC, schedules.c.step == "main"
                    )
                ).scalar_one()
            )

    assert main_state() == "scheduled"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSLETTER_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "newsletter", "--config", config, "serve", "--port", str(port)],
        cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as http:

            def healthy() -> bool:
                try:
                    return http.get("/healthz").text == "ok"
                except httpx.TransportError:
                    return False

            wait_for(healthy, "/healthz answering", proc, 30)
            wait_for(lambda: main_state() == "sent", "scheduled send", proc, 60)
            # The web app keeps answering while the scheduler works in the same process.
            assert http.get("/staff/login").status_code == 200
        emails = sorted(outbox.glob("*.eml"))
        assert len(emails) == 3
        assert all(b"Subject: " in e.read_bytes() for e in emails)
        with engine.connect() as conn:
            holder = conn.execute(select(scheduler_lock.c.holder)).scalar()
        assert holder, "the in-process scheduler holds the lease while it runs"
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        output = proc.communicate(timeout=90)[0].decode()
    assert proc.returncode == 0, output
    assert "scheduler: running in this process" in output
    assert "stopped leading (shutdown)" in output
    assert "Finished server process" in output
    assert "Traceback" not in output
    with engine.connect() as conn:
        released = conn.execute(select(scheduler_lock.c.holder)).scalar()
    engine.dispose()
    assert not released, "a clean shutdown lets go of the lease at once"


def test_a_loopback_base_url_on_another_port_is_pointed_out() -> None:
    from newsletter.cli.serve import loopback_mismatch

    note = loopback_mismatch("http://localhost:8000", 8001)
    assert note and "NEWSLETTER_WEB__BASE_URL=http://localhost:8001" in note
    assert loopback_mismatch("http://127.0.0.1:8001", 8001) is None
    assert loopback_mismatch("http://localhost", 80) is None
    assert loopback_mismatch("https://localhost", 8000) is not None  # 443 is not 8000
    # Another host is a proxy in front of the app: its port is not ours to check.
    assert loopback_mismatch("https://news.clusterhouse.example", 8000) is None
