"""Read models of the staff pages: member search, one person's events, a campaign's outcome
per day and when campaigns went out (audiences/sql/member_search.py and history.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class MemberSummary:
    id: int
    email: str
    first_name: str
    last_name: str
    organization: str
    country: str
    language: str
    tier: str
    status: str


@dataclass(frozen=True, slots=True)
class MemberEvent:
    """What a provider (or our one-click page) reported about a message to this member."""

    event: str
    occurred_at: dt.datetime
    campaign: str  # "" when the event matched no delivery
    step: str


class MemberDirectory(Protocol):
    def search(
        self, texts: Sequence[str], *, offset: int, limit: int
    ) -> tuple[int, list[MemberSummary]]:
        """Members whose address, name or organisation contains any of ``texts`` (any case;
        none: everyone), by address; the total count and one page."""
        ...

    def email_of(self, member_id: int) -> str | None: ...

    def events_of(self, member_id: int, limit: int) -> list[MemberEvent]:
        """The member's most recent events, newest first."""
        ...


@dataclass(frozen=True, slots=True)
class DayCount:
    day: dt.date
    series: str  # "sent", or an events.event value
    count: int


class CampaignHistory(Protocol):
    def daily(self, campaign_id: int) -> list[DayCount]:
        """Per UTC day: deliveries handed over ("sent") and distinct deliveries per event."""
        ...

    def first_sent(self) -> dict[str, dt.datetime]:
        """Campaign slug -> when its announcement (step ``main``) first went out."""
        ...
