"""The delivery commands as staff meet them: what a half-finished send says, the decisions
(retry, resolve-unknown, acknowledge-complaints), and ``newsletter serve`` for real."""

from __future__ import annotations

import functools
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, select, update

from newsletter.cli import main
from newsletter.core.links import UNSUBSCRIBE
from newsletter.db.tables import deliveries
from newsletter.delivery import sending
from tests.conftest import make_settings
from tests.fakes.sendgrid_server import FakeSendGrid
from tests.services import services

DOC = "days-of-clusters-2015"
Run = Callable[..., Result]


@pytest.fixture
def env(tmp_path: Path, fake_sendgrid: FakeSendGrid) -> dict[str, str]:
    return {
        "SENDGRID_API_KEY": "SG.test",
        "NEWSLETTER_SECRET_KEY": "Jm3x8Qv2-Lr9TzW4pYc7Nd1Hb6Gf0Ks5Ua_Xe2Vo8Ri",
        "NEWSLETTER_DATABASE__URL": f"sqlite:///{tmp_path / 'var' / 'cli.db'}",
        "NEWSLETTER_DELIVERY__TRANSPORT": "sendgrid",
        "NEWSLETTER_DELIVERY__BATCH_SIZE": "100",
        "NEWSLETTER_DELIVERY__MAX_IN_FLIGHT": "1",
        "NEWSLETTER_SENDGRID__API_HOST": fake_sendgrid.url,
        "NEWSLETTER_SENDGRID__TIMEOUT": "1",
        "NEWSLETTER_WEB__BASE_URL": "https://news.clusterhouse.example",
    }


@pytest.fixture
def run(project: Path, env: dict[str, str]) -> Run:
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(main, ["--config", str(project / "config.yaml"), *args], env=env)

    for name in ("members.csv", "friends.csv"):
        assert invoke("members", "import", str(project / "audiences" / name)).exit_code == 0
    return invoke


def test_a_send_that_ends_unknown_says_what_to_do(run: Run, fake_sendgrid: FakeSendGrid) -> None:
    fake_sendgrid.drop_after_accept_next()
    sent = run("campaigns", "send", DOC, "--yes")
    assert sent.exit_code == 1
    assert "unknown" in sent.stderr and f"resolve-unknown {DOC} --resend" in sent.stderr

    status = run("campaigns", "status", DOC)
    assert status.exit_code == 0
    assert "staff decide" in status.stdout and "--mark-sent" in status.stdout
    data = json.loads(run("campaigns", "status", DOC, "--json").stdout)
    policies = data["unknown_policy"]
    assert policies.pop("main") == "ask"  # the announcement: staff decide
    assert policies and set(policies.values()) == {"resend"}  # reminders: resent
    unknown = data["steps"]["main"]["unknown"]
    assert unknown > 0 and len(data["unknown"]) == min(unknown, 50)
    assert data["unknown_total"] == unknown and data["truncated"] is (unknown > 50)

    missing = run("campaigns", "resolve-unknown", DOC)
    assert missing.exit_code == 2 and "--resend or --mark-sent" in missing.stderr
    resolved = run("campaigns", "resolve-unknown", DOC, "--mark-sent")
    assert resolved.exit_code == 0 and f"{unknown} unknown rows marked sent" in resolved.stdout
    again = json.loads(run("campaigns", "status", DOC, "--json").stdout)
    assert again["steps"]["main"]["unknown"] == 0


def test_status_says_how_many_unknown_rows_there_are_beyond_the_ones_it_lists(
    run: Run, env: dict[str, str]
) -> None:
    assert run("campaigns", "send", DOC, "--yes").exit_code == 0
    # 173 rows of unknown fate (a crash mid-request, say), more than the 50 listed.
    engine = create_engine(env["NEWSLETTER_DATABASE__URL"])
    with engine.begin() as conn:
        ids = conn.execute(select(deliveries.c.id).order_by(deliveries.c.id).limit(173))
        conn.execute(
            update(deliveries)
            .where(deliveries.c.id.in_(list(ids.scalars())))
            .values(status="unknown", last_error="timeout after the request was written")
        )
    engine.dispose()
    data = json.loads(run("campaigns", "status", DOC, "--json").stdout)
    assert (len(data["unknown"]), data["unknown_total"], data["truncated"]) == (50, 173, True)
    assert data["steps"]["main"]["unknown"] == 173
    text = run("campaigns", "status", DOC).stdout
    assert text.count("  unknown: ") == 50
    assert "... and 123 more unknown rows (50 of 173 listed)" in text


def test_transient_failures_are_retried_on_request(
    run: Run, fake_sendgrid: FakeSendGrid, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The run backs off between attempts (2 + 4 + 8 + 16 s of real sleep here): the command
    # gets send_campaign's own ``sleep`` hook, which records the waits instead of sleeping.
    waits: list[float] = []
    monkeypatch.setattr(
        sending, "send_campaign", functools.partial(sending.send_campaign, sleep=waits.append)
    )
    for _ in range(5):
        fake_sendgrid.fail_next(503)
    sent = run("campaigns", "send", "interreg-ipa-bg-rs-first-call", "--yes")
    assert sent.exit_code == 1
    assert (fake_sendgrid.attempt_count, fake_sendgrid.request_count) == (5, 0)  # then stopped
    assert waits and min(waits) > 0 and waits[-1] > waits[0]  # backing off, longer each time
    assert "stopped:" in sent.stderr and "retry interreg-ipa-bg-rs-first-call --failed" in (
        sent.stderr
    )
    status = run("campaigns", "status", "interreg-ipa-bg-rs-first-call")
    assert "transient" in status.stdout
    retried = run("campaigns", "retry", "interreg-ipa-bg-rs-first-call", "--failed")
    assert retried.exit_code == 0 and "re-queued" in retried.stdout
    assert run("campaigns", "send", "interreg-ipa-bg-rs-first-call", "--yes").exit_code == 0


def test_acknowledging_an_unsent_campaign_is_refused(run: Run) -> None:
    result = run("campaigns", "acknowledge-complaints", "chairmans-letter")
    assert result.exit_code == 1 and "nothing to acknowledge" in result.stderr
    assert run("campaigns", "report", "chairmans-letter", "--json").exit_code == 0


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_serve_answers_one_click_unsubscribes(
    project: Path, env: dict[str, str], run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    ctx = services(make_settings(project))
    found = ctx.members.facts("ana.petrovic@klaster-nis.rs") or next(
        ctx.members.facts(row["email"])
        for row in ctx.members.sample(ctx.catalog.segment("events-audience"), "events", 1)
    )
    assert found is not None
    member_id = int(found[0].fields["id"])
    token = ctx.links.token(UNSUBSCRIBE, member_id, "events", int(time.time()))
    ctx.close()

    port = _port()
    server = subprocess.Popen(
        [sys.executable, "-m", "newsletter", "--config", str(project / "config.yaml"),
         "serve", "--port", str(port)],
        env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as http:
            deadline = time.monotonic() + 30
            while True:
                try:
                    assert http.get("/healthz").text == "ok"
                    break
                except httpx.TransportError:
                    assert server.poll() is None, server.communicate()[0]
                    assert time.monotonic() < deadline, "server did not start"
                    time.sleep(0.2)
            page = http.get(f"/u/{token}")
            assert page.status_code == 200 and "List-Unsubscribe" in page.text
            assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
            done = http.post(f"/u/{token}", data={"List-Unsubscribe": "One-Click"})
            assert done.status_code == 200 and "location" not in done.headers
            assert http.get(f"/u/{token}x").status_code == 404
            refused = http.post(
                "/webhooks/sendgrid", content=b"[]", headers={"Content-Type": "application/json"}
            )
            assert refused.status_code == 403  # no webhook key configured: refuses everything
    finally:
        server.send_signal(signal.SIGTERM)
        output = server.communicate(timeout=30)[0].decode()
    assert "webhook_public_key is not set" in output
    ctx = services(make_settings(project))
    facts = ctx.members.facts(found[0].fields["email"])
    ctx.close()
    assert facts is not None and "events" not in facts[0].topics
