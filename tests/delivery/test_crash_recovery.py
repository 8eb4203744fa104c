"""Crash recovery that needs nobody.

- The ledger: a claimed row names its owner; a provably dead owner's rows are settled at once
  (request started -> ``unknown``, else back to ``pending``); a live owner's are left alone;
  a sender whose rows were released sends nothing (both databases).
- A real ``campaigns send`` SIGKILLed at random points and run again *at once*, with a lease
  far longer than the test, on SQLite and on PostgreSQL: it finishes, nobody is lost, nobody
  is sent twice, and ``unknown`` holds only rows whose request had started when a process
  died. No run prints a traceback.
- A provider that stops answering: the circuit breaker leaves only the requests in flight and
  one-recipient probes in doubt.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, update

from newsletter.content.domain.campaigns import MAIN_STEP
from newsletter.db.tables import deliveries
from newsletter.delivery.domain.claims import ClaimOwner
from newsletter.delivery.sending import send_campaign
from newsletter.delivery.sql.owners import this_process
from tests.conftest import FrozenClock, make_settings
from tests.deliveries_helper import sender_environment
from tests.delivery.test_delivery import (  # noqa: F401 - fixtures
    MakeCtx,
    Sleeper,
    make_ctx,
    rows,
    sent_ids,
    sqlite_url,
)
from tests.delivery.test_sending import load_samples
from tests.fakes.sendgrid_server import FakeSendGrid
from tests.services import Services, services

DOC = "days-of-clusters-2015"  # 354 members
CALL = "interreg-ipa-bg-rs-first-call"  # 84 members


def _claim_as(ctx: Services, owner: str, count: int) -> list[int]:
    cid = ctx.ledger.campaign_id(CALL)
    assert cid is not None
    langs = ctx.ledger.pending_languages(cid, MAIN_STEP)
    got, _ = ctx.ledger.claim(
        cid, MAIN_STEP, next(iter(langs)), "calls", count, now=ctx.clock.now(), owner=owner
    )
    return [r.delivery_id for r in got]


def _plan(ctx: Services) -> int:
    report = send_campaign(ctx, CALL, dry_run=False, sleep=lambda s: None)
    # Planned and sent: put the rows back to pending to claim them by hand.
    cid = ctx.ledger.campaign_id(CALL)
    assert cid is not None
    with ctx.ledger.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(update(deliveries).values(status="pending", attempts=0))
    assert report.sent == 84
    return cid


def test_a_dead_owners_rows_are_settled_at_once_by_whether_their_request_started(
    ctx: Services, project: Path
) -> None:
    load_samples(ctx, project)
    cid = _plan(ctx)
    # This very pid with another start time: a process that has since died (pid reused).
    dead = replace(this_process(), started="1").token()
    ids = _claim_as(ctx, dead, 10)
    assert len(ids) == 10
    assert ctx.ledger.start_request(ids[:4], dead, now=ctx.clock.now())
    live = ctx.ledger.owner()
    mine = _claim_as(ctx, live, 5)
    found = ctx.ledger.recover_claims(cid, MAIN_STEP, now=ctx.clock.now(), lease_seconds=600)
    assert (found.unknown, found.released) == (4, 6)
    assert found.held == {ClaimOwner.parse(live).describe(): 5}  # type: ignore[union-attr]
    by_id = dict(_statuses(ctx))
    assert {by_id[i] for i in ids[:4]} == {"unknown"}
    assert {by_id[i] for i in ids[4:]} == {"pending"}
    assert {by_id[i] for i in mine} == {"sending"}
    # The dead owner, were it somehow still running, may not start a request for them now.
    assert not ctx.ledger.start_request(ids[4:], dead, now=ctx.clock.now())
    assert ctx.ledger.start_request(mine, live, now=ctx.clock.now())


def test_another_hosts_owner_waits_for_its_lease_unless_its_session_is_gone(
    ctx: Services, project: Path, clock: FrozenClock
) -> None:
    load_samples(ctx, project)
    cid = _plan(ctx)
    elsewhere = ClaimOwner("another-host", 4242, "99", "boot", "").token()
    ids = _claim_as(ctx, elsewhere, 6)
    found = ctx.ledger.recover_claims(cid, MAIN_STEP, now=clock.now(), lease_seconds=60)
    assert (found.unknown, found.released) == (0, 0) and sum(found.held.values()) == 6
    clock.advance(seconds=61)  # its lease ran out: settled (none had started: pending)
    found = ctx.ledger.recover_claims(cid, MAIN_STEP, now=clock.now(), lease_seconds=60)
    assert (found.unknown, found.released) == (0, 6)
    if ctx.ledger.engine.dialect.name == "postgresql":  # type: ignore[attr-defined]
        gone = ClaimOwner("another-host", 4242, "99", "boot", "999999@1").token()
        ids = _claim_as(ctx, gone, 6)
        ctx.ledger.start_request(ids, gone, now=clock.now())
        found = ctx.ledger.recover_claims(cid, MAIN_STEP, now=clock.now(), lease_seconds=60)
        assert (found.unknown, found.released) == (6, 0)  # its database session is gone
        live = ctx.ledger.owner()
        assert ClaimOwner.parse(live).session  # type: ignore[union-attr]
        _claim_as(ctx, live, 3)
        found = ctx.ledger.recover_claims(cid, MAIN_STEP, now=clock.now(), lease_seconds=60)
        assert sum(found.held.values()) == 3


def _statuses(ctx: Services) -> list[tuple[int, str]]:
    with ctx.ledger.engine.connect() as conn:  # type: ignore[attr-defined]
        return [
            (int(i), str(s))
            for i, s in conn.execute(select(deliveries.c.id, deliveries.c.status)).all()
        ]


# -- the provider stops answering --------------------------------------------------------------


@pytest.mark.parametrize("fault", ["timeout", "drop"])
def test_a_silent_provider_leaves_only_requests_in_flight_and_probes_unknown(
    make_ctx: MakeCtx,  # noqa: F811 - the fixture imported above
    project: Path,
    clock: FrozenClock,
    fake_sendgrid: FakeSendGrid,
    fault: str,
) -> None:
    ctx = make_ctx(batch_size=50, max_in_flight=3)
    load_samples(ctx, project)
    if fault == "timeout":
        fake_sendgrid.latency = 1.3  # past the 1 s client timeout, every time
    else:
        for _ in range(20):  # accepted, then the connection drops, every time
            fake_sendgrid.drop_after_accept_next()
    report = send_campaign(ctx, DOC, sleep=Sleeper(clock))
    unknown = rows(ctx, "unknown")
    assert report.stopped and "stopped answering" in report.stopped
    # The three requests in flight when the first timed out, then one recipient per probe.
    assert len(unknown) <= 3 * 50 + 5
    assert len(rows(ctx, "pending")) == 354 - len(unknown)
    assert fake_sendgrid.wait_for_requests(report.requests, timeout=10)
    assert set(sent_ids(fake_sendgrid)) == unknown  # unknown: exactly the requests made
    first = Counter(sent_ids(fake_sendgrid))
    fake_sendgrid.latency = 0.0
    fake_sendgrid.reset()  # the provider answers again (recordings kept in ``first``)
    again = send_campaign(ctx, DOC, sleep=Sleeper(clock))
    assert again.sent == 354 - len(unknown) and again.pending == 0
    got = first + Counter(sent_ids(fake_sendgrid))
    assert max(got.values()) == 1  # nobody twice


# -- a real process, SIGKILLed at random points, run again at once ----------------------------

BATCH = 20
IN_FLIGHT = 3
LEASE = 120.0  # far longer than the test: nothing here may wait for a lease


def _snapshot(url: str) -> dict[int, tuple[str, bool]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                int(i): (str(s), started is not None)
                for i, s, started in conn.execute(
                    select(deliveries.c.id, deliveries.c.status, deliveries.c.request_started_at)
                ).all()
            }
    finally:
        engine.dispose()


def _accepted(fake: FakeSendGrid) -> Counter[int]:
    return Counter(
        int(p["custom_args"]["nl_delivery_id"])
        for r in fake.requests
        for p in r.body["personalizations"]
    )


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_sigkill_at_random_points_then_run_again_at_once(
    project: Path, monkeypatch: pytest.MonkeyPatch, seed: int, database_url: str
) -> None:
    # SQLite: a dead owner is proved by its pid on this machine; PostgreSQL: by its database
    # session, which the server ends as soon as the killed process's socket closes.
    rng = random.Random(seed)
    url = database_url
    with FakeSendGrid(latency=0.3) as fake:
        env = sender_environment(
            monkeypatch, url=url, api_host=fake.url, batch=BATCH, in_flight=IN_FLIGHT, lease=LEASE
        )
        ctx = services(make_settings(project))
        load_samples(ctx, project)
        ctx.close()
        command = [
            sys.executable, "-m", "newsletter", "--config", str(project / "config.yaml"),
            "campaigns", "send", DOC, "--yes", "--json",
        ]  # fmt: skip
        started = time.monotonic()
        in_doubt: set[int] = set()  # rows whose request had started when a process died
        stderr: list[bytes] = []
        for _ in range(3):
            proc = subprocess.Popen(
                command, cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
            target = fake.attempt_count + rng.randint(0, 5)
            deadline = time.monotonic() + 60
            while (
                fake.attempt_count < target and proc.poll() is None and time.monotonic() < deadline
            ):
                time.sleep(0.002)
            time.sleep(rng.uniform(0.0, 0.35))  # anywhere: claiming, starting, waiting
            proc.send_signal(signal.SIGKILL)
            _, err = proc.communicate()
            stderr.append(err)
            now = _snapshot(url)
            in_doubt |= {i for i, (s, began) in now.items() if s == "sending" and began}
            got = _accepted(fake)
            sent = {i for i, (s, _) in now.items() if s == "sent"}
            assert sent <= set(got)  # nothing is "sent" that the provider did not take

        # At once: no waiting for the killed runs' leases (LEASE is longer than all of this).
        done = subprocess.run(command, cwd=project, env=env, capture_output=True, timeout=90)
        stderr.append(done.stderr)
        assert time.monotonic() - started < LEASE
        report = json.loads(done.stdout)
        final = _snapshot(url)
        by_status = Counter(s for s, _ in final.values())
        assert by_status["pending"] == by_status["sending"] == 0, by_status
        unknown = {i for i, (s, _) in final.items() if s == "unknown"}
        sent = {i for i, (s, _) in final.items() if s == "sent"}
        assert sent | unknown == set(final)  # nobody lost
        assert unknown <= in_doubt  # unknown only among requests that had started
        assert done.returncode == (1 if unknown else 0), done.stderr
        got = _accepted(fake)
        assert max(got.values()) == 1  # nobody sent twice
        assert sent <= set(got)
        assert report["totals"]["sent"] == len(sent)
        for err in stderr:
            assert b"Traceback" not in err, err.decode()


@pytest.mark.slow
def test_cooperating_senders_both_exit_0_when_the_rest_is_in_a_live_senders_hands(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{project / 'var' / 'pair.db'}"
    with FakeSendGrid(latency=0.4) as fake:
        env = sender_environment(
            monkeypatch, url=url, api_host=fake.url, batch=30, in_flight=2, lease=LEASE
        )
        ctx = services(make_settings(project))
        load_samples(ctx, project)
        ctx.close()
        command = [
            sys.executable, "-m", "newsletter", "--config", str(project / "config.yaml"),
            "campaigns", "send", DOC, "--yes",
        ]  # fmt: skip
        pair = [
            subprocess.Popen(
                command, cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
            for _ in range(2)
        ]
        outputs = [proc.communicate(timeout=120) for proc in pair]
    final = _snapshot(url)
    assert Counter(s for s, _ in final.values()) == Counter({"sent": 354})
    assert max(_accepted(fake).values()) == 1
    for proc, (_, err) in zip(pair, outputs, strict=True):
        # Rows still in the other (live) sender's hands are not left undone: exit 0.
        assert proc.returncode == 0, err.decode()
        assert b"Traceback" not in err
        if b"rows are being sent by another sender" in err:
            assert b"still running" in err


def test_the_outbox_settles_unknown_rows_from_the_files_it_holds(
    ctx: Services, project: Path
) -> None:
    load_samples(ctx, project)
    first = send_campaign(ctx, CALL)
    assert first.sent == 84
    folder = project / "var" / "outbox" / CALL / MAIN_STEP
    files = sorted(folder.glob("*.eml"))
    ids = [int(f.stem) for f in files]
    # A crash mid-batch: ten rows' request had started; four files were never written.
    dead = replace(this_process(), started="1").token()
    with ctx.ledger.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(
            update(deliveries)
            .where(deliveries.c.id.in_(ids[:10]))
            .values(status="sending", claimed_by=dead, request_started_at=ctx.clock.now())
        )
    for f in files[:4]:
        f.unlink()
    again = send_campaign(ctx, CALL)
    assert again.recovered_unknown == 10 and again.reconciled == 10
    assert again.sent == 4  # the four never written, written now; nobody twice
    assert again.totals == {**again.totals, "sent": 84, "unknown": 0}
    assert len(list(folder.glob("*.eml"))) == 84
