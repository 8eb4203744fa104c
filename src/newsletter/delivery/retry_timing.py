"""When a send may try again, and when it must stop: the circuit breaker and the waits after
transient failures and rate limits.

A 429 is waited out for as long as the provider's ``Retry-After`` asks (RFC 9110 section 10.2.3;
2 s when it gives none), its attempt not counted; other transient failures (5xx, connection
refused) back off exponentially (2, 4, 8 ... s, or the provider's ``Retry-After``), capped at
``MAX_WAIT``. A timeout or a dropped connection opens the circuit breaker
(:mod:`newsletter.delivery.domain.breaker`): no new request until the ones in flight are
answered and a small probe got through. Streaks of failures stop the run (the rows stay
pending for a later one). Pure bookkeeping: :mod:`newsletter.delivery.batch_sender` does the
waiting and the ledger writes.
"""

from __future__ import annotations

from newsletter.delivery.domain.breaker import BreakerState, CircuitBreaker
from newsletter.errors import TransientDeliveryError

MAX_ATTEMPTS = 5
#: Consecutive transient failures after which the run stops (rows stay pending for later).
MAX_TRANSIENT_STREAK = 5
#: Consecutive rate-limit answers (429) after which the run stops.
MAX_THROTTLE_STREAK = 20
MAX_WAIT = 60.0
#: Probes into a provider that keeps timing out before the run stops (rows stay pending).
MAX_BREAKER_TRIPS = 4


class StopRun(Exception):
    """Stop claiming: what is in flight is finished and recorded, the rest stays pending."""


class RetryTiming:
    """The failure streaks and the breaker of one run over a step."""

    def __init__(self) -> None:
        self.streak = 0
        self.throttle_streak = 0
        self.breaker = CircuitBreaker()

    @property
    def open(self) -> bool:
        """After a timeout or a dropped connection: no ordinary batch may start."""
        return self.breaker.state is not BreakerState.CLOSED

    def before_probe(self) -> float:
        """Seconds to wait before the probe (raises :class:`StopRun` after too many trips)."""
        if self.breaker.trips > MAX_BREAKER_TRIPS:
            raise StopRun(
                "the provider stopped answering (timeouts or dropped connections); "
                "stopped starting requests - run again later"
            )
        return self.breaker.wait_before_probe()

    def probe(self) -> int:
        """Start the probe; returns how many recipients it may carry."""
        return self.breaker.probe()

    def maybe_sent(self) -> None:
        """A request timed out or lost its connection after it was written."""
        self.breaker.trip()  # no new request; the pause comes before the probe

    def retry_wait(self, exc: TransientDeliveryError) -> float:
        """Seconds to wait after a transient failure whose rows went back to pending (raises
        :class:`StopRun` when the streak says the provider will not recover soon)."""
        if exc.throttled:
            self.throttle_streak += 1
            if self.throttle_streak >= MAX_THROTTLE_STREAK:
                raise StopRun("the provider keeps asking us to slow down; run again later") from exc
            wait_for = exc.retry_after if exc.retry_after is not None else 2.0
        else:
            self.streak += 1
            if self.streak >= MAX_TRANSIENT_STREAK:
                raise StopRun("stopping after repeated transient errors; run again later") from exc
            wait_for = exc.retry_after if exc.retry_after else 2.0**self.streak
        return min(MAX_WAIT, wait_for)

    def succeeded(self) -> None:
        """A request got an answer: the streaks end and the breaker closes."""
        self.streak = self.throttle_streak = 0
        self.breaker.succeeded()
