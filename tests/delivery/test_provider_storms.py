"""A provider in a bad mood, against the SendGrid double: storms of 429 with ``Retry-After``
or ``X-RateLimit-Reset``, bursts of 5xx, gateways answering 502, connections dropped after the
request was taken. For every one: nobody lost (each row ends sent, or unknown only where a
request may have been taken), nobody sent twice, the waits the provider asked for honoured,
and the circuit breaker doing what docs/operations.md says (after a timeout or a dropped
connection no new request until a one-recipient probe gets through; pauses 2, 4, 8... s; after
4 failed probes the run stops and the rest stays pending)."""

from __future__ import annotations

import email.utils
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from newsletter.content.domain.campaigns import MAIN_STEP
from newsletter.db.tables import deliveries
from newsletter.delivery.sending import SendReport, send_campaign
from tests.conftest import FrozenClock
from tests.delivery.test_delivery import (  # noqa: F401 - fixtures
    MakeCtx,
    Sleeper,
    engine_of,
    make_ctx,
    rows,
    sent_ids,
    sent_ids_of,
    sqlite_url,
)
from tests.delivery.test_sending import load_samples
from tests.fakes.sendgrid_server import FakeSendGrid
from tests.services import Services

DOC = "days-of-clusters-2015"  # 354 members in 7 languages
MEMBERS = 354


def _all_rows(ctx: Services) -> dict[int, tuple[str, int]]:
    with engine_of(ctx).connect() as conn:
        return {
            int(i): (str(s), int(a))
            for i, s, a in conn.execute(
                select(deliveries.c.id, deliveries.c.status, deliveries.c.attempts).where(
                    deliveries.c.step == MAIN_STEP
                )
            ).all()
        }


def _nobody_lost_nobody_twice(ctx: Services, fake: FakeSendGrid, *extra: Counter[int]) -> None:
    accepted = sum(extra, Counter(sent_ids(fake)))
    assert accepted and max(accepted.values()) == 1, "someone was sent twice"
    final = _all_rows(ctx)
    assert len(final) == MEMBERS
    sent = {i for i, (s, _) in final.items() if s == "sent"}
    unknown = {i for i, (s, _) in final.items() if s == "unknown"}
    assert sent | unknown == set(final), Counter(s for s, _ in final.values())
    assert sent <= set(accepted)  # "sent" only where the provider took it


def _http_date(seconds_from_now: float) -> str:
    return email.utils.formatdate(time.time() + seconds_from_now, usegmt=True)


@dataclass
class Storm:
    """The sample invitation loaded into a context on the SendGrid double, and the sleep
    that records the waits of its first run."""

    ctx: Services
    fake: FakeSendGrid
    clock: FrozenClock
    sleep: Sleeper

    def send(self) -> SendReport:
        return send_campaign(self.ctx, DOC, sleep=self.sleep)

    def send_again(self) -> SendReport:
        """Once the storm has passed: a new run with its own sleep."""
        return send_campaign(self.ctx, DOC, sleep=Sleeper(self.clock))


@pytest.fixture
def storm(
    make_ctx: MakeCtx,  # noqa: F811 - the fixture imported above
    project: Path,
    clock: FrozenClock,
    fake_sendgrid: FakeSendGrid,
) -> Callable[[int], Storm]:
    """Batches of 40 with up to ``max_in_flight`` requests in flight."""

    def start(max_in_flight: int) -> Storm:
        ctx = make_ctx(batch_size=40, max_in_flight=max_in_flight)
        load_samples(ctx, project)
        return Storm(ctx, fake_sendgrid, clock, Sleeper(clock))

    return start


def test_a_429_storm_honours_retry_after_and_loses_and_doubles_nobody(
    storm: Callable[[int], Storm],
) -> None:
    run = storm(3)
    ctx, fake_sendgrid = run.ctx, run.fake
    # 18 answers in a row (the run gives up at 20 without a success in between): delta
    # seconds, HTTP-dates, and SendGrid's own header, as a proxy or the API may answer.
    for i in range(18):
        if i % 3 == 0:
            fake_sendgrid.fail_next(429, retry_after="7")
        elif i % 3 == 1:
            fake_sendgrid.fail_next(429, retry_after=_http_date(9))
        else:
            fake_sendgrid.fail_next(429, reset_in=6)
    report = run.send()
    assert (report.sent, report.unknown, report.failed, report.pending) == (MEMBERS, 0, 0, 0)
    assert report.stopped is None
    assert fake_sendgrid.attempt_count == fake_sendgrid.request_count + 18
    # Each 429 was waited out as asked: 7 s, about 8 s (a date has whole seconds) and about
    # 5 s (the reset is whole epoch seconds); never the 2 s default.
    assert run.sleep.total >= 6 * 7 + 6 * 7 + 6 * 4, run.sleep.calls
    assert min(run.sleep.calls) >= 4, run.sleep.calls
    _nobody_lost_nobody_twice(ctx, fake_sendgrid)
    # A 429 costs a row no attempt: everyone was taken at the first attempt that counted.
    assert {a for _, a in _all_rows(ctx).values()} == {1}


def test_a_429_storm_longer_than_the_run_waits_stops_it_with_everyone_pending(
    storm: Callable[[int], Storm],
) -> None:
    run = storm(3)
    ctx, fake_sendgrid = run.ctx, run.fake
    for _ in range(40):
        fake_sendgrid.fail_next(429, retry_after="3")
    report = run.send()
    assert report.stopped and "slow down" in report.stopped
    assert fake_sendgrid.request_count == 0 and report.unknown == report.failed == 0
    assert rows(ctx, "unknown") == rows(ctx, "failed") == set()
    assert len(rows(ctx, "pending")) == MEMBERS  # nobody in doubt, nobody given up
    left = fake_sendgrid.pending_faults
    fake_sendgrid.reset()  # the storm passes
    again = run.send_again()
    assert left > 0 and again.sent == MEMBERS and again.pending == 0
    _nobody_lost_nobody_twice(ctx, fake_sendgrid)


def test_a_5xx_burst_is_retried_and_a_bare_gateway_error_is_in_doubt(
    storm: Callable[[int], Storm],
) -> None:
    run = storm(1)
    ctx, fake_sendgrid = run.ctx, run.fake
    # SendGrid's own error body: it says it failed, so nothing was taken; then a gateway's
    # bare 502 page, behind which the API may have taken the request.
    for status in (500, 503, 500, 503):
        fake_sendgrid.fail_next(status)
    fake_sendgrid.fail_next(502, body="<html><body>502 Bad Gateway</body></html>")
    report = run.send()
    unknown = rows(ctx, "unknown")
    assert report.failed == 0 and report.pending == 0 and report.stopped is None
    assert 0 < len(unknown) <= 40 and report.unknown == len(unknown)  # one request's rows
    assert report.sent == MEMBERS - len(unknown)
    assert run.sleep.calls[:4] == [2.0, 4.0, 8.0, 16.0]  # backoff across the burst
    assert not unknown & set(sent_ids(fake_sendgrid))  # the double took none of them
    # After the 502 the breaker opened: the next request was one recipient, the probe.
    sizes = [len(r.body["personalizations"]) for r in fake_sendgrid.requests]
    assert sizes[0] == 1 and max(sizes) == 40, sizes
    _nobody_lost_nobody_twice(ctx, fake_sendgrid)


def test_dropped_connections_leave_only_the_requests_in_flight_unknown(
    storm: Callable[[int], Storm],
) -> None:
    run = storm(3)
    ctx, fake_sendgrid = run.ctx, run.fake
    for _ in range(3):  # taken, then the connection drops before the answer
        fake_sendgrid.drop_after_accept_next()
    report = run.send()
    unknown = rows(ctx, "unknown")
    dropped = fake_sendgrid.requests[:3]
    in_doubt = {i for r in dropped for i in sent_ids_of(r)}
    assert unknown == in_doubt and report.unknown == len(unknown) <= 3 * 40
    assert report.sent == MEMBERS - len(unknown) and report.pending == 0
    # One trip for the three (they failed together), a 2 s pause, then a one-recipient probe.
    assert run.sleep.calls[0] == 2.0
    assert len(fake_sendgrid.requests[3].body["personalizations"]) == 1
    _nobody_lost_nobody_twice(ctx, fake_sendgrid)


def test_a_provider_that_keeps_dropping_stops_the_run_after_four_probes(
    storm: Callable[[int], Storm],
) -> None:
    run = storm(2)
    ctx, fake_sendgrid = run.ctx, run.fake
    for _ in range(2 + 4):  # the two in flight, then every probe
        fake_sendgrid.drop_after_accept_next()
    report = run.send()
    assert report.stopped and "stopped answering" in report.stopped
    assert run.sleep.calls == [2.0, 4.0, 8.0, 16.0]
    sizes = [len(r.body["personalizations"]) for r in fake_sendgrid.requests]
    assert sizes[2:] == [1, 1, 1, 1], sizes
    unknown = rows(ctx, "unknown")
    assert unknown == set(sent_ids(fake_sendgrid)) and len(unknown) == sum(sizes)
    assert len(rows(ctx, "pending")) == MEMBERS - len(unknown)  # the rest never left
    first = Counter(sent_ids(fake_sendgrid))
    fake_sendgrid.reset()  # the provider is back
    again = run.send_again()
    assert again.sent == MEMBERS - len(unknown) and again.pending == 0
    _nobody_lost_nobody_twice(ctx, fake_sendgrid, first)
