"""A circuit breaker for a transport: after a timeout or a dropped connection, start no new
request until a probe gets through.

Every request started after a provider stops answering ends ``unknown`` (it may have been
sent), so the sender stops starting requests as soon as one times out: only the requests
already in flight are in doubt. Once they are answered, the sender waits ``cooldown`` seconds
(doubling per trip, up to ``max_cooldown``) and sends one small probe batch; its success
closes the breaker, its failure opens it again. Pure: the sender does the waiting.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class BreakerState(enum.Enum):
    CLOSED = "closed"
    OPEN = "open"
    PROBING = "probing"


@dataclass
class CircuitBreaker:
    cooldown: float = 2.0
    max_cooldown: float = 60.0
    #: Recipients in a probe batch: the most a probe into a still-silent provider can leave
    #: unknown.
    probe_size: int = 1
    state: BreakerState = BreakerState.CLOSED
    trips: int = 0

    def trip(self) -> None:
        """A request timed out or its connection dropped. Requests already in flight that
        fail the same way while the breaker is open count as the same trip."""
        if self.state is not BreakerState.OPEN:
            self.trips += 1
        self.state = BreakerState.OPEN

    def succeeded(self) -> None:
        self.state = BreakerState.CLOSED
        self.trips = 0

    def wait_before_probe(self) -> float:
        return min(self.max_cooldown, self.cooldown * 2.0 ** max(0, self.trips - 1))

    def probe(self) -> int:
        """Start probing; returns how many recipients the probe may carry."""
        self.state = BreakerState.PROBING
        return self.probe_size
