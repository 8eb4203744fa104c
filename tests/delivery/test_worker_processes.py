"""Real ``newsletter worker`` processes on one PostgreSQL database beside the process that
planned the step (``campaigns send``): they share its rows by claims, one of them is stopped
with SIGTERM mid-send and finishes the requests it has in flight, the others send the rest.
The SendGrid double sees every delivery exactly once, and every process exits 0."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from newsletter.db.tables import deliveries
from tests.conftest import make_settings
from tests.deliveries_helper import sender_environment
from tests.fakes.sendgrid_server import FakeSendGrid
from tests.services import services
from tests.synthetic import LANGS, add_members

DOC = "days-of-clusters-2015"
MEMBERS = 5000
BATCH = 50


def _by_status(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(deliveries.c.status, func.count()).group_by(deliveries.c.status)
            ).all()
            return {str(s): int(n) for s, n in rows}
    finally:
        engine.dispose()


def _claimed_by(url: str, pid: int) -> int:
    """Rows whose claim names process ``pid`` (a claim owner token starts with the pid)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    select(func.count()).where(deliveries.c.claimed_by.like(f"{pid}|%"))
                ).scalar_one()
            )
    finally:
        engine.dispose()


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_two_workers_and_a_sigterm_send_everyone_once_and_all_exit_0(
    project: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeSendGrid(latency=0.25) as fake:
        env = sender_environment(
            monkeypatch, url=database_url, api_host=fake.url, batch=BATCH, in_flight=2, lease=2.0
        )
        ctx = services(make_settings(project))
        add_members(ctx.ledger.engine, MEMBERS, languages=LANGS)  # type: ignore[attr-defined]
        ctx.close()
        cli = [sys.executable, "-m", "newsletter", "--config", str(project / "config.yaml")]

        def start(*args: str) -> subprocess.Popen[bytes]:
            return subprocess.Popen(
                [*cli, *args], cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )

        workers = [start("worker", "--poll", "0.1", "--json") for _ in range(2)]
        sender = start("campaigns", "send", DOC, "--yes", "--json")
        victim, survivor = workers
        deadline = time.monotonic() + 120
        # SIGTERM the first worker once it has claimed rows and requests are going out.
        while _claimed_by(database_url, victim.pid) < 2 * BATCH:
            assert time.monotonic() < deadline, "the worker never claimed anything"
            assert victim.poll() is None and sender.poll() is None
            time.sleep(0.05)
        victim.send_signal(signal.SIGTERM)
        victim_out, victim_err = victim.communicate(timeout=60)
        assert victim.returncode == 0, victim_err.decode()
        assert b"signal 15" in victim_err
        sent_out, sent_err = sender.communicate(timeout=180)
        assert sender.returncode == 0, sent_err.decode()
        # The survivor goes on until nothing is pending or sending, then is stopped the same way.
        while (left := _by_status(database_url)).keys() - {"sent"}:
            assert time.monotonic() < deadline + 120, left
            assert survivor.poll() is None, survivor.communicate()
            time.sleep(0.1)
        survivor.send_signal(signal.SIGTERM)
        survivor_out, survivor_err = survivor.communicate(timeout=60)
        assert survivor.returncode == 0, survivor_err.decode()

    assert _by_status(database_url) == {"sent": MEMBERS}
    ids = Counter(
        int(p["custom_args"]["nl_delivery_id"])
        for r in fake.requests
        for p in r.body["personalizations"]
    )
    assert len(ids) == MEMBERS and set(ids.values()) == {1}  # everyone, nobody twice
    stopped = json.loads(victim_out)
    assert stopped["stopped_by_signal"] is True and stopped["sent"] > 0
    helped = json.loads(survivor_out)
    assert helped["sent"] > 0
    planned = json.loads(sent_out)
    # Every delivery was sent by exactly one of the three processes.
    assert stopped["sent"] + helped["sent"] + planned["sent"] == MEMBERS
