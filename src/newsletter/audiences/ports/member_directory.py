"""Read models of the staff pages: member search, one person's events, a campaign's outcome
per day and when campaigns went out (audiences/sql/member_search.py and history.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from newsletter.audiences.domain.members import PROFILE_FIELDS
from newsletter.audiences.domain.segments import Segment


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
class MemberFilter:
    """Which members a staff list shows. ``words``: folded query words
    (core/search_keys.query_words), each the start of one of the member's search terms;
    ``nothing``: the query had text but no word (``%_``), so nobody matches. The other fields
    are exact values ("" = any); ``segment``: its audience, as counted for a send."""

    words: tuple[str, ...] = ()
    nothing: bool = False
    #: A one-word query, case-folded: also the start of an address (core/search_keys).
    address: str = ""
    segment: Segment | None = None
    language: str = ""
    country: str = ""
    tier: str = ""
    status: str = ""


#: A text search's total is exact up to this many matches; beyond it, this plus one ("more").
TEXT_MATCHES_COUNTED = 1000

#: Profile fields staff may change (audiences/member_edits.py), in the form's order.
EDITABLE = PROFILE_FIELDS


@dataclass(frozen=True, slots=True)
class MemberEvent:
    """What a provider (or our one-click page) reported about a message to this member."""

    event: str
    occurred_at: dt.datetime
    campaign: str  # "" when the event matched no delivery
    step: str


class MemberDirectory(Protocol):
    def search(
        self, found: MemberFilter, *, offset: int, limit: int
    ) -> tuple[int, list[MemberSummary]]:
        """The members ``found`` selects and their total; one page, by address (a text
        search: in the order they joined, which its index answers without reading them; its
        total stops at :data:`TEXT_MATCHES_COUNTED` + 1)."""
        ...

    def email_of(self, member_id: int) -> str | None: ...

    def profile(self, member_id: int) -> dict[str, str] | None:
        """The :data:`EDITABLE` fields and ``email`` of one member, or None."""
        ...

    def update_profile(
        self, member_id: int, values: Mapping[str, str], *, now: dt.datetime
    ) -> list[str]:
        """Set the given :data:`EDITABLE` fields (and the member's search terms); return the
        names of those that changed."""
        ...

    def facets(self) -> dict[str, list[str]]:
        """The distinct countries, languages, tiers and statuses held, for the filter menus."""
        ...

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
