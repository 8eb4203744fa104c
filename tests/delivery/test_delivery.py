"""The send path against the SendGrid double with faults injected: what ends sent, pending,
failed or unknown, what staff can do about it, rate limits, test sends, the complaint block.

No test sleeps for real: the sender gets an injected ``sleep`` that advances the frozen clock.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, select

from newsletter.cli import main
from newsletter.content.domain.campaigns import MAIN_STEP
from newsletter.db.tables import deliveries, transport_usage
from newsletter.delivery.ingest import ingest_events
from newsletter.delivery.proofs import send_test
from newsletter.delivery.reporting import acknowledge_complaints, campaign_report
from newsletter.delivery.sending import resolve_unknown, retry_failed, send_campaign
from newsletter.errors import StateError
from tests.conftest import FrozenClock, make_settings
from tests.delivery.test_sending import load_samples
from tests.fakes.sendgrid_server import FakeSendGrid
from tests.services import Services, services

DOC = "days-of-clusters-2015"  # 354 members, events topic, a reminder step
CALL = "interreg-ipa-bg-rs-first-call"  # 84 members
LETTER = "chairmans-letter"
REMINDER = "early-bird-3d"

MakeCtx = Callable[..., Services]


class Sleeper:
    """The injected sleep: records each wait and moves the frozen clock on by it."""

    def __init__(self, clock: FrozenClock) -> None:
        self.clock = clock
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        self.clock.advance(seconds=seconds)

    @property
    def total(self) -> float:
        return sum(self.calls)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'var' / 'test.db'}"


@pytest.fixture
def make_ctx(
    project: Path,
    clock: FrozenClock,
    fake_sendgrid: FakeSendGrid,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> Iterator[MakeCtx]:
    """Contexts on the SendGrid transport pointed at the double (SQLite unless the test also
    asks for ``database_url``)."""
    monkeypatch.setenv("SENDGRID_API_KEY", "SG.test")
    monkeypatch.setenv("NEWSLETTER_SECRET_KEY", "Jm3x8Qv2-Lr9TzW4pYc7Nd1Hb6Gf0Ks5Ua_Xe2Vo8Ri")
    url = (
        request.getfixturevalue("database_url")
        if "database_url" in request.fixturenames
        else request.getfixturevalue("sqlite_url")
    )
    built: list[Services] = []

    def make(**delivery: Any) -> Services:
        settings = make_settings(
            project,
            database={"url": url},
            delivery={"transport": "sendgrid", "batch_size": 100, **delivery},
            sendgrid={"api_host": fake_sendgrid.url, "timeout": 1.0},
            web={"base_url": "https://news.clusterhouse.example"},
        )
        ctx = services(settings, clock=clock)
        built.append(ctx)
        return ctx

    yield make
    for ctx in built:
        ctx.close()


def engine_of(ctx: Services) -> Engine:
    return ctx.ledger.engine  # type: ignore[attr-defined,no-any-return]


def rows(ctx: Services, status: str, step: str = MAIN_STEP) -> set[int]:
    with engine_of(ctx).connect() as conn:
        return set(
            conn.execute(
                select(deliveries.c.id).where(
                    deliveries.c.status == status, deliveries.c.step == step
                )
            ).scalars()
        )


def sent_ids_of(request: Any) -> list[int]:
    return [int(p["custom_args"]["nl_delivery_id"]) for p in request.body["personalizations"]]


def sent_ids(fake: FakeSendGrid) -> list[int]:
    return [did for r in fake.requests for did in sent_ids_of(r)]


# -- faults ------------------------------------------------------------------------------------


def test_429_waits_for_the_reset_and_costs_no_attempt(
    make_ctx: MakeCtx, project: Path, clock: FrozenClock, fake_sendgrid: FakeSendGrid
) -> None:
    ctx = make_ctx()
    load_samples(ctx, project)
    fake_sendgrid.fail_next(429, reset_in=30)
    sleep = Sleeper(clock)
    report = send_campaign(ctx, CALL, sleep=sleep)
    assert report.sent == 84 and report.unknown == report.failed == report.pending == 0
    assert 25 <= sleep.total <= 31  # X-RateLimit-Reset honoured (slept in lease-renewal steps)
    assert sorted(sent_ids(fake_sendgrid)) == sorted(rows(ctx, "sent"))
    with engine_of(ctx).connect() as conn:
        assert set(conn.execute(select(deliveries.c.attempts)).scalars()) == {1}


def test_500_is_retried_with_backoff(
    make_ctx: MakeCtx, project: Path, clock: FrozenClock, fake_sendgrid: FakeSendGrid
) -> None:
    # One request at a time: with several in flight, a success in another language's batch
    # may land between the two failures and reset the backoff (that is right, and untestable).
    ctx = make_ctx(max_in_flight=1)
    load_samples(ctx, project)
    fake_sendgrid.fail_next(500)
    fake_sendgrid.fail_next(503)
    sleep = Sleeper(clock)
    report = send_campaign(ctx, CALL, sleep=sleep)
    assert report.sent == 84 and report.unknown == 0
    assert sleep.calls == [2.0, 4.0]  # exponential backoff
    assert len(sent_ids(fake_sendgrid)) == 84  # nobody twice: 5xx means not accepted


@pytest.mark.parametrize("fault", ["timeout", "dropped"])
def test_timeout_or_dropped_connection_leaves_that_batch_unknown(
    make_ctx: MakeCtx, project: Path, clock: FrozenClock, fake_sendgrid: FakeSendGrid, fault: str
) -> None:
    ctx = make_ctx(batch_size=50)
    load_samples(ctx, project)
    if fault == "timeout":
        fake_sendgrid.delay_next(2.0)  # past the 1 s client timeout; the double keeps it
    else:
        fake_sendgrid.drop_after_accept_next()
    report = send_campaign(ctx, DOC, sleep=Sleeper(clock))
    unknown = rows(ctx, "unknown")
    # Exactly the recipients of the request that was in flight, nobody else.
    assert any(set(sent_ids_of(r)) == unknown for r in fake_sendgrid.requests)
    assert report.unknown == len(unknown) > 0
    assert report.sent == 354 - len(unknown) and report.pending == 0
    accepted = sent_ids(fake_sendgrid)
    assert len(accepted) == len(set(accepted)) == 354  # the double did take them all
    # Running again sends nothing: an announcement's unknowns wait for events or staff.
    again = send_campaign(ctx, DOC, sleep=Sleeper(clock))
    assert again.sent == 0 and again.totals["unknown"] == len(unknown)
    assert len(sent_ids(fake_sendgrid)) == 354
    # SendGrid's events resolve them: processed for each one.
    events = [
        {
            "email": "x@y.example",
            "timestamp": 1441094400,
            "event": "processed",
            "sg_event_id": f"p{did}",
            "nl_delivery_id": str(did),
        }
        for did in sorted(unknown)
    ]
    assert ingest_events(ctx, events).confirmed == len(unknown)
    assert rows(ctx, "unknown") == set()
    final = send_campaign(ctx, DOC, sleep=Sleeper(clock))
    assert final.totals["sent"] == 354


def test_staff_resolve_unknown_rows(
    make_ctx: MakeCtx, project: Path, clock: FrozenClock, fake_sendgrid: FakeSendGrid
) -> None:
    ctx = make_ctx(batch_size=50, max_in_flight=1)
    load_samples(ctx, project)
    fake_sendgrid.drop_after_accept_next()
    report = send_campaign(ctx, DOC, sleep=Sleeper(clock))
    lost = rows(ctx, "unknown")
    assert report.unknown == len(lost) > 0
    # Staff saw in SendGrid's activity feed that they went out:
    assert resolve_unknown(ctx, DOC, resend=False).rows == len(lost)
    assert rows(ctx, "unknown") == set() and lost <= rows(ctx, "sent")

    fake_sendgrid.drop_after_accept_next()
    send_campaign(ctx, DOC, step=REMINDER, sleep=Sleeper(clock))
    lost = rows(ctx, "unknown", REMINDER)
    # ... and for these they decide to send again (a duplicate for anyone who did get it).
    assert resolve_unknown(ctx, DOC, resend=True, step=REMINDER).rows == len(lost)
    before = len(sent_ids(fake_sendgrid))
    final = send_campaign(ctx, DOC, step=REMINDER, sleep=Sleeper(clock))
    assert final.sent == len(lost) and final.totals["unknown"] == 0
    assert final.totals["sent"] == 354
    assert len(sent_ids(fake_sendgrid)) == before + len(lost)  # the resent ones, reported


def test_reminders_resend_unknown_rows_once_events_had_their_chance(
    make_ctx: MakeCtx, project: Path, clock: FrozenClock, fake_sendgrid: FakeSendGrid
) -> None:
    ctx = make_ctx(batch_size=50, resend_unknown_after_minutes=30)
    load_samples(ctx, project)
    fake_sendgrid.delay_next(2.0)
    first = send_campaign(ctx, DOC, step=REMINDER, sleep=Sleeper(clock))
    lost = first.unknown
    assert lost > 0 and first.unknown_policy == "resend"
    clock.advance(minutes=10)
    early = send_campaign(ctx, DOC, step=REMINDER, sleep=Sleeper(clock))
    assert early.resent_unknown == 0 and early.totals["unknown"] == lost
    clock.advance(minutes=25)
    late = send_campaign(ctx, DOC, step=REMINDER, sleep=Sleeper(clock))
    assert late.resent_unknown == lost and late.sent == lost
    assert late.totals["sent"] == 354 and late.totals["unknown"] == 0


def test_requests_stay_in_flight_from_one_language_to_the_next(
    make_ctx: MakeCtx, project: Path, clock: FrozenClock, fake_sendgrid: FakeSendGrid
) -> None:
    """The pipeline does not empty between two language variants: each variant of the call
    fits one request, and all of them are on the wire before the first answer comes back."""
    fake_sendgrid.latency = 0.5
    ctx = make_ctx(max_in_flight=4)
    load_samples(ctx, project)
    report = send_campaign(ctx, CALL, sleep=Sleeper(clock))
    variants = {r.body["subject"] for r in fake_sendgrid.requests}  # one subject per language
    assert report.sent == 84 and report.requests == len(variants) >= 3
    starts = sorted(r.received_at for r in fake_sendgrid.requests)
    assert starts[-1] - starts[0] < fake_sendgrid.latency, starts


def test_retry_failed_requeues_transient_failures_only(
    make_ctx: MakeCtx, project: Path, clock: FrozenClock, fake_sendgrid: FakeSendGrid
) -> None:
    ctx = make_ctx(batch_size=50, max_in_flight=1)
    load_samples(ctx, project)
    fake_sendgrid.fail_next(400, body={"errors": [{"message": "bad", "field": "content"}]})
    for _ in range(5):
        fake_sendgrid.fail_next(503)
    report = send_campaign(ctx, CALL, sleep=Sleeper(clock))
    # The first batch was refused (permanent); the next failed five times in a row: the run
    # stops, and those rows have used up their attempts (failed, transient).
    assert report.stopped is not None and "transient" in report.stopped
    permanent, transient = report.failures["permanent"], report.failures["transient"]
    assert permanent > 0 and transient > 0
    assert permanent + transient + report.pending == 84
    assert retry_failed(ctx, CALL).rows == transient
    final = send_campaign(ctx, CALL, sleep=Sleeper(clock))
    assert final.sent == transient + report.pending
    assert final.totals["failed"] == permanent and final.failures == {"permanent": permanent}
    assert retry_failed(ctx, CALL).rows == 0  # permanent failures stay failed


def test_a_refused_key_stops_the_run_and_leaves_rows_pending(
    make_ctx: MakeCtx, project: Path, clock: FrozenClock, fake_sendgrid: FakeSendGrid
) -> None:
    ctx = make_ctx(batch_size=20, max_in_flight=1)
    load_samples(ctx, project)
    fake_sendgrid.fail_next(401)
    report = send_campaign(ctx, CALL, sleep=Sleeper(clock))
    assert report.stopped is not None and "SENDGRID_API_KEY" in report.stopped
    assert report.pending == 84 and report.failed == 0 and report.sent == 0
    assert send_campaign(ctx, CALL, sleep=Sleeper(clock)).sent == 84  # key fixed: resumes


# -- rate limits ------------------------------------------------------------------------------


def test_rate_limits_pace_the_sender_and_hold_across_runs(
    make_ctx: MakeCtx, project: Path, clock: FrozenClock, fake_sendgrid: FakeSendGrid
) -> None:
    ctx = make_ctx(rate_per_second=20, rate_per_hour=60, max_in_flight=1)
    load_samples(ctx, project)
    sleep = Sleeper(clock)
    first = send_campaign(ctx, CALL, sleep=sleep)
    # 84 members, 60 an hour: the run waits (virtually) an hour for the last 24.
    assert first.sent == 84
    assert all(len(r.body["personalizations"]) <= 20 for r in fake_sendgrid.requests)
    assert 3599 < first.throttled_seconds < 3700
    with engine_of(ctx).connect() as conn:
        usage = conn.execute(select(transport_usage.c.at, transport_usage.c.count)).all()
    for at, _ in usage:  # no one-second window ever held more than 20
        assert sum(n for t, n in usage if at <= t < at + dt.timedelta(seconds=1)) <= 20
    # A new process right away (a restart, or another worker) shares that history: with a
    # tighter hourly limit the last hour is already full.
    again = make_ctx(rate_per_hour=24, max_in_flight=1)
    sleep2 = Sleeper(clock)
    test = send_test(again, CALL, ["staff@clusterhouse.example"], sleep=sleep2)
    assert test.recipients == ["staff@clusterhouse.example"]
    assert sleep2.total > 3000  # waited for the oldest of the 24 to leave the hour


# -- test sends -------------------------------------------------------------------------------


def test_test_send_goes_to_staff_marked_and_leaves_the_ledger_alone(
    make_ctx: MakeCtx, project: Path, fake_sendgrid: FakeSendGrid
) -> None:
    ctx = make_ctx()
    load_samples(ctx, project)
    report = send_test(
        ctx,
        DOC,
        ["staff@clusterhouse.example", "STAFF@clusterhouse.example", "press@clusterhouse.example"],
        language="sr-Cyrl",
    )
    assert report.recipients == ["staff@clusterhouse.example", "press@clusterhouse.example"]
    assert report.subject.startswith("[TEST] ") and report.language == "sr-Cyrl"
    assert fake_sendgrid.recipients() == report.recipients
    for r in fake_sendgrid.requests:
        assert r.body["subject"].startswith("[TEST] ") and "Дани кластера" in r.body["subject"]
        assert r.body["personalizations"][0]["custom_args"] == {"nl_test": "1"}
    assert ctx.ledger.campaign_id(DOC) is None  # nothing planned, claimed or recorded


def test_test_send_from_the_command_line(
    project: Path, sqlite_url: str, fake_sendgrid: FakeSendGrid
) -> None:
    env = {
        "SENDGRID_API_KEY": "SG.test",
        "NEWSLETTER_SECRET_KEY": "Jm3x8Qv2-Lr9TzW4pYc7Nd1Hb6Gf0Ks5Ua_Xe2Vo8Ri",
        "NEWSLETTER_DATABASE__URL": sqlite_url,
        "NEWSLETTER_DELIVERY__TRANSPORT": "sendgrid",
        "NEWSLETTER_SENDGRID__API_HOST": fake_sendgrid.url,
        "NEWSLETTER_WEB__BASE_URL": "https://news.clusterhouse.example",
    }
    runner = CliRunner()
    base = ["--config", str(project / "config.yaml"), "campaigns", "send", LETTER]
    staff = ["a@clusterhouse.example", "b@clusterhouse.example"]
    result = runner.invoke(
        main, [*base, "--test-to", staff[0], "--test-to", staff[1], "--json"], env=env
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["recipients"] == [
        "a@clusterhouse.example",
        "b@clusterhouse.example",
    ]
    bad = runner.invoke(main, [*base, "--test-to", "not-an-address"], env=env)
    assert bad.exit_code == 2 and "not-an-address" in bad.stderr
    lang = runner.invoke(main, [*base, "--lang", "bg", "--yes"], env=env)
    assert lang.exit_code == 2 and "--test-to" in lang.stderr
    assert fake_sendgrid.request_count == 2


# -- the complaint block -----------------------------------------------------------------------


def test_complaints_warn_then_block_new_campaigns_until_acknowledged(
    make_ctx: MakeCtx, project: Path, clock: FrozenClock, fake_sendgrid: FakeSendGrid
) -> None:
    ctx = make_ctx()
    load_samples(ctx, project)
    send_campaign(ctx, CALL, sleep=Sleeper(clock))
    ids = sorted(rows(ctx, "sent"))

    def event(kind: str, did: int) -> dict[str, Any]:
        return {
            "email": f"m{did}@y.example",
            "timestamp": 1441094400,
            "event": kind,
            "sg_event_id": f"{kind}{did}",
            "nl_delivery_id": str(did),
        }

    ingest_events(ctx, [event("delivered", d) for d in ids] + [event("open", d) for d in ids[:42]])
    report = campaign_report(ctx, CALL)
    assert report.counts["delivered"] == 84 and report.rates["opened"] == 0.5
    assert report.warnings == []
    ingest_events(ctx, [event("spamreport", ids[0])])  # 1 of 84: 1.19 %, over 0.3 %
    report = campaign_report(ctx, CALL)
    assert report.as_dict()["blocks_new_campaigns"] is True
    assert "acknowledge-complaints" in report.warnings[0]
    with pytest.raises(StateError, match=f"acknowledge-complaints {CALL}"):
        send_campaign(ctx, LETTER, sleep=Sleeper(clock))
    assert ctx.ledger.campaign_id(LETTER) is None  # refused before anything was written
    # Test sends and resuming a started send are not new campaigns.
    send_test(ctx, LETTER, ["staff@clusterhouse.example"])
    assert send_campaign(ctx, CALL, sleep=Sleeper(clock)).sent == 0
    acknowledge_complaints(ctx, CALL)
    assert send_campaign(ctx, LETTER, sleep=Sleeper(clock)).sent > 0
    # A new complaint after the acknowledgement blocks again.
    ingest_events(ctx, [event("spamreport", ids[1])])
    with pytest.raises(StateError):
        send_campaign(ctx, DOC, sleep=Sleeper(clock))


def test_report_command_json_and_table(
    project: Path, make_ctx: MakeCtx, clock: FrozenClock, sqlite_url: str
) -> None:
    ctx = make_ctx()
    load_samples(ctx, project)
    send_campaign(ctx, CALL, sleep=Sleeper(clock))
    ids = sorted(rows(ctx, "sent"))
    ingest_events(
        ctx,
        [
            {"email": "x@y.example", "timestamp": 1441094400 + i, "event": kind,
             "sg_event_id": f"{kind}{d}", "nl_delivery_id": str(d), **extra}
            for i, (kind, d, extra) in enumerate(
                [("delivered", d, {}) for d in ids[:80]]
                + [("bounce", d, {"type": "bounce"}) for d in ids[80:82]]
                + [("bounce", ids[82], {"type": "blocked"})]
                + [("click", ids[0], {"url": "https://a.example"}), ("click", ids[0], {"url": "https://b.example"})]
            )
        ],
    )  # fmt: skip
    runner = CliRunner()
    env = {"NEWSLETTER_DATABASE__URL": sqlite_url}
    args = ["--config", str(project / "config.yaml"), "campaigns", "report", CALL]
    data = json.loads(runner.invoke(main, [*args, "--json"], env=env).stdout)
    assert data["counts"] == {
        "sent": 84, "delivered": 80, "bounced": 2, "blocked": 1, "dropped": 0,
        "opened": 0, "clicked": 1, "complained": 0, "unsubscribed": 0,
    }  # fmt: skip
    assert data["rates"]["clicked"] == round(1 / 80, 6)  # distinct deliveries
    assert data["rates"]["bounced"] == round(3 / 84, 6)
    table = runner.invoke(main, args, env=env)
    assert table.exit_code == 0 and "2 hard, 1 blocked" in table.stdout


def test_a_batch_that_cannot_be_prepared_goes_back_to_pending(
    make_ctx: MakeCtx,
    project: Path,
    clock: FrozenClock,
    fake_sendgrid: FakeSendGrid,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import newsletter.delivery.batch_sender as batch_sender

    ctx = make_ctx(batch_size=20, max_in_flight=1)
    load_samples(ctx, project)
    calls = {"n": 0}
    real = batch_sender.personalizations_for

    def flaky(*args: Any, **kw: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 3:  # the third batch
            raise RuntimeError("boom")
        return real(*args, **kw)

    monkeypatch.setattr(batch_sender, "personalizations_for", flaky)
    with pytest.raises(RuntimeError, match="boom"):
        send_campaign(ctx, CALL, sleep=Sleeper(clock))
    # The two batches in flight were recorded; the third never left: pending, not unknown.
    sent = len(rows(ctx, "sent"))
    assert 0 < sent < 45 and not rows(ctx, "sending") and not rows(ctx, "unknown")
    assert len(rows(ctx, "pending")) == 84 - sent
    monkeypatch.setattr(batch_sender, "personalizations_for", real)
    assert send_campaign(ctx, CALL, sleep=Sleeper(clock)).sent == 84 - sent


def test_smtp_sends_at_the_configured_rate(
    project: Path, sqlite_url: str, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aiosmtpd.controller import Controller

    from tests.delivery.transports.test_smtp import Recorder, _port

    monkeypatch.setenv("NEWSLETTER_SECRET_KEY", "Jm3x8Qv2-Lr9TzW4pYc7Nd1Hb6Gf0Ks5Ua_Xe2Vo8Ri")
    handler, port = Recorder(), _port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings = make_settings(
            project,
            database={"url": sqlite_url},
            delivery={"transport": "smtp", "rate_per_second": 5, "max_in_flight": 2},
            smtp={"host": "127.0.0.1", "port": port, "security": "none"},
            web={"base_url": "https://news.clusterhouse.example"},
        )
        ctx = services(settings, clock=clock)
        load_samples(ctx, project)
        sleep = Sleeper(clock)
        report = send_campaign(ctx, CALL, sleep=sleep)
        ctx.close()
    finally:
        controller.stop()
    assert report.sent == 84 and len(handler.messages) == 84
    assert report.requests >= 84 // 5  # batches of at most 5 messages
    # 84 messages at 5 a second: about 16 s of (virtual) waiting, never a burst above 5.
    assert 15 <= sleep.total <= 18
    assert 1 <= handler.connections <= 2  # connections reused across batches
