"""The store the member preference centre needs (audiences/sql/subscriptions.py implements it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Preferences:
    member_id: int
    language: str
    #: topic -> subscribed, for every topic the member has a row for.
    topics: Mapping[str, bool]


class PreferenceStore(Protocol):
    """audiences/sql/subscriptions.py."""

    def preferences(self, member_id: int) -> Preferences | None: ...

    def save(
        self,
        member_id: int,
        language: str,
        topics: Mapping[str, bool],
        *,
        source: str,
        now: dt.datetime,
    ) -> int:
        """Set the language and each topic (with a consent event per change); return how
        many topics changed."""
        ...
