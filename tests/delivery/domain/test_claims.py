"""Claim owners and the transport circuit breaker (pure)."""

from __future__ import annotations

from newsletter.delivery.domain.breaker import BreakerState, CircuitBreaker
from newsletter.delivery.domain.claims import ClaimOwner, process_dead

HERE = ClaimOwner("cluster-house", 100, "5000", "boot-1")


def test_a_token_names_its_owner_and_reads_back() -> None:
    owner = ClaimOwner("db|host", 42, "123", "boot", "77@1700000000000000")
    assert ClaimOwner.parse(owner.token()) == owner
    assert ClaimOwner.parse(None) is None and ClaimOwner.parse("garbage") is None


def test_only_a_provably_dead_process_is_dead() -> None:
    alive = {200: "6000"}
    start_of = alive.get
    assert process_dead(ClaimOwner("cluster-house", 300, "1"), HERE, start_of)  # pid gone
    assert process_dead(ClaimOwner("cluster-house", 200, "5999"), HERE, start_of)  # pid reused
    assert not process_dead(ClaimOwner("cluster-house", 200, "6000"), HERE, start_of)
    assert not process_dead(ClaimOwner("elsewhere", 300, "1"), HERE, start_of)  # not ours to see
    assert process_dead(ClaimOwner("cluster-house", 200, "6000", "boot-0"), HERE, start_of)
    # Where the system does not tell start times, an existing pid counts as alive.
    assert not process_dead(ClaimOwner("cluster-house", 200, ""), HERE, lambda pid: "")
    assert not process_dead(HERE, HERE, start_of)  # this very process


def test_the_breaker_opens_once_per_silence_and_probes_with_one_recipient() -> None:
    breaker = CircuitBreaker(cooldown=2.0, max_cooldown=10.0)
    breaker.trip()
    breaker.trip()  # another request in flight timing out: the same trip
    assert breaker.state is BreakerState.OPEN and breaker.trips == 1
    assert breaker.wait_before_probe() == 2.0
    assert breaker.probe() == 1 and breaker.state is BreakerState.PROBING
    breaker.trip()
    assert breaker.trips == 2 and breaker.wait_before_probe() == 4.0
    breaker.trip()
    breaker.probe()
    breaker.trip()
    breaker.probe()
    breaker.trip()
    assert breaker.wait_before_probe() == 10.0  # capped
    breaker.succeeded()
    assert breaker.state is BreakerState.CLOSED and breaker.trips == 0
