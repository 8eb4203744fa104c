"""The clock every capability reads (a port), the system one, and a virtual one; tests inject a
frozen one."""

from __future__ import annotations

import datetime as dt
from typing import Protocol


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class VirtualClock:
    """A clock that moves only when told: ``schedule simulate`` runs weeks in seconds."""

    def __init__(self, at: dt.datetime) -> None:
        self.at = at.astimezone(dt.UTC)

    def now(self) -> dt.datetime:
        return self.at

    def set(self, at: dt.datetime) -> None:
        self.at = at.astimezone(dt.UTC)
