"""Per-transport rate limits in the database: exact windows, shared by instances (restarts,
other workers), and never a real sleep."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine

from newsletter.delivery.sql.ratelimit import SqlRateLimiter

T0 = dt.datetime(2015, 9, 1, 8, 0, tzinfo=dt.UTC)


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def test_per_second_window(engine: Engine) -> None:
    limiter = SqlRateLimiter(engine, "smtp", per_second=10)
    assert limiter.max_batch == 10
    assert limiter.reserve(6, now=at(0)) == 0
    assert limiter.reserve(4, now=at(0.2)) == 0
    wait = limiter.reserve(3, now=at(0.5))
    assert wait == pytest.approx(0.5, abs=0.01)  # until the first 6 leave the window
    assert limiter.reserve(3, now=at(0.5 + wait)) == 0


def test_slow_rates_space_single_messages(engine: Engine) -> None:
    limiter = SqlRateLimiter(engine, "smtp", per_second=0.5)  # one message every 2 s
    assert limiter.max_batch == 1
    assert limiter.reserve(1, now=at(0)) == 0
    assert limiter.reserve(1, now=at(1)) == pytest.approx(1.0, abs=0.01)
    assert limiter.reserve(1, now=at(2.001)) == 0


def test_hourly_limit_survives_a_restart(engine: Engine) -> None:
    first = SqlRateLimiter(engine, "sendgrid", per_hour=1000)
    for i in range(9):
        assert first.reserve(100, now=at(i * 60)) == 0
    # The process dies; a new one (another worker, or after a restart) shares the history.
    second = SqlRateLimiter(engine, "sendgrid", per_hour=1000)
    assert second.used(now=at(600)) == 900
    assert second.reserve(100, now=at(600)) == 0
    wait = second.reserve(100, now=at(601))
    assert wait == pytest.approx(3600 - 601, abs=0.01)  # until the first batch is an hour old
    assert second.reserve(100, now=at(601 + wait)) == 0


def test_transports_have_their_own_limits(engine: Engine) -> None:
    smtp = SqlRateLimiter(engine, "smtp", per_hour=10)
    sendgrid = SqlRateLimiter(engine, "sendgrid", per_hour=10)
    assert smtp.reserve(10, now=at(0)) == 0
    assert smtp.reserve(1, now=at(1)) > 0
    assert sendgrid.reserve(10, now=at(1)) == 0


def test_both_windows_apply(engine: Engine) -> None:
    limiter = SqlRateLimiter(engine, "sendgrid", per_second=100, per_hour=150)
    assert limiter.max_batch == 100
    assert limiter.reserve(100, now=at(0)) == 0
    assert limiter.reserve(50, now=at(1.5)) == 0
    assert limiter.reserve(1, now=at(3)) == pytest.approx(3597, abs=0.01)


def test_no_limit_means_no_database_work(engine: Engine) -> None:
    limiter = SqlRateLimiter(engine, "outbox")
    assert limiter.max_batch is None
    assert limiter.reserve(10**6, now=at(0)) == 0
    assert limiter.used(now=at(0)) == 0
