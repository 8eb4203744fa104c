"""Per-transport rate limits that hold across restarts and across worker processes.

Limits are sliding windows over what was really handed to the transport, kept in the database
(``transport_usage``): at most ``per_second`` messages in any one-second window (for a rate
below one per second, one message per ``1 / rate`` seconds) and at most ``per_hour`` in any
hour. A restarted sender, or a second worker on another machine, sees the same history, so a
restart does not reset the hour.

:meth:`SqlRateLimiter.reserve` never sleeps: it either records the messages and returns 0, or
records nothing and returns how long to wait. The sender sleeps (an injected function, so tests
never wait for real) and asks again. Reservations are serialised per transport by locking one
row of ``transport_locks`` (a write lock on SQLite, a row lock on PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
import math

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from newsletter.db.tables import transport_locks, transport_usage

HOUR = 3600.0


class SqlRateLimiter:
    def __init__(
        self,
        engine: Engine,
        transport: str,
        *,
        per_second: float | None = None,
        per_hour: int | None = None,
    ) -> None:
        self.engine, self.transport = engine, transport
        self.windows: list[tuple[float, int]] = []  # (seconds, messages)
        if per_second is not None:
            # One second holds floor(rate) messages; a slower rate gets a longer window of one.
            span = max(1.0, 1.0 / per_second)
            self.windows.append((span, max(1, math.floor(per_second * span))))
        if per_hour is not None:
            self.windows.append((HOUR, per_hour))
        self._ready = False

    @property
    def max_batch(self) -> int | None:
        """The most messages one request may carry without breaking a window on its own."""
        return min((n for _, n in self.windows), default=None)

    def reserve(self, count: int, *, now: dt.datetime) -> float:
        """Record ``count`` messages at ``now`` and return 0, or return the seconds to wait."""
        if not self.windows or count <= 0:
            return 0.0
        count = min(count, self.max_batch or count)
        longest = max(span for span, _ in self.windows)
        with self.engine.begin() as conn:
            self._lock(conn)
            rows = conn.execute(
                select(transport_usage.c.at, transport_usage.c.count)
                .where(
                    transport_usage.c.transport == self.transport,
                    transport_usage.c.at > now - dt.timedelta(seconds=longest),
                )
                .order_by(transport_usage.c.at)
            ).all()
            history = [(_aware(at), int(n)) for at, n in rows]
            wait = max(_wait(history, now, span, limit, count) for span, limit in self.windows)
            if wait > 0:
                return wait
            conn.execute(
                insert(transport_usage).values(transport=self.transport, at=now, count=count)
            )
            conn.execute(
                delete(transport_usage).where(
                    transport_usage.c.transport == self.transport,
                    transport_usage.c.at <= now - dt.timedelta(seconds=longest),
                )
            )
        return 0.0

    def used(self, *, now: dt.datetime, seconds: float = HOUR) -> int:
        """Messages handed to this transport in the last ``seconds``."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(transport_usage.c.count).where(
                    transport_usage.c.transport == self.transport,
                    transport_usage.c.at > now - dt.timedelta(seconds=seconds),
                )
            ).scalars()
            return sum(int(n) for n in rows)

    def _lock(self, conn: Connection) -> None:
        if not self._ready:
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            conn.execute(
                dialect.insert(transport_locks)
                .values(transport=self.transport)
                .on_conflict_do_nothing()
            )
            self._ready = True
        # A no-op UPDATE takes the lock until commit: SQLite's write lock, PostgreSQL's row lock.
        conn.execute(
            update(transport_locks)
            .where(transport_locks.c.transport == self.transport)
            .values(transport=self.transport)
        )


def _aware(value: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes; everything stored is UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _wait(
    history: list[tuple[dt.datetime, int]], now: dt.datetime, span: float, limit: int, count: int
) -> float:
    """Seconds until ``count`` more messages fit in a window of ``span`` seconds."""
    start = now - dt.timedelta(seconds=span)
    inside = [(at, n) for at, n in history if at > start]
    used = sum(n for _, n in inside)
    if used + count <= limit:
        return 0.0
    # Wait until enough of the oldest entries have left the window.
    for at, n in inside:
        used -= n
        if used + count <= limit:
            return max(0.0, (at - start).total_seconds()) + 1e-6
    return span  # pragma: no cover - count <= limit, so the loop always returns
