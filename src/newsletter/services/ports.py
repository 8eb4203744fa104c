"""The interfaces the use cases need; adapters implement them, tests may fake them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from newsletter.domain.campaigns import CampaignDefinition, CampaignState
from newsletter.domain.deliveries import DeliveryCounts, Recipient
from newsletter.domain.members import MemberRecord
from newsletter.domain.segments import MemberFacts, Segment
from newsletter.rendering.compose import Batch


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current time, timezone-aware, in UTC."""
        ...


@dataclass(frozen=True, slots=True)
class UpsertOutcome:
    imported: list[int] = field(default_factory=list)  # indexes into the records given
    updated: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    suppressed: list[int] = field(default_factory=list)  # erased/bounced addresses: refused


class MemberStore(Protocol):
    def upsert(
        self, records: Sequence[MemberRecord], *, tag: str | None, now: dt.datetime, dry_run: bool
    ) -> UpsertOutcome: ...

    def count(self, segment: Segment, topic: str | None) -> int: ...

    def sample(self, segment: Segment, topic: str | None, limit: int) -> list[dict[str, str]]: ...

    def facts(self, email: str) -> tuple[MemberFacts, str] | None:
        """The member's facts and global status, or None if unknown."""
        ...

    def unsubscribe(self, member_id: int, topic: str, *, source: str, now: dt.datetime) -> bool:
        """End one topic subscription; True if it changed (repeats are harmless)."""
        ...


class Ledger(Protocol):
    """The delivery ledger: campaign rows and one delivery row per (campaign, step, member)."""

    def ensure_campaign(self, campaign: CampaignDefinition, *, now: dt.datetime) -> int: ...

    def plan(
        self,
        campaign_id: int,
        step: str,
        segment: Segment,
        topic: str,
        variants: Mapping[str, str],
        default_language: str,
        *,
        now: dt.datetime,
    ) -> int:
        """Insert pending rows for everyone in the segment now; return how many were new."""
        ...

    def recover_in_flight(self, campaign_id: int, step: str, *, now: dt.datetime) -> int:
        """Rows left ``sending`` by a crashed run become ``unknown``; return how many."""
        ...

    def pending_languages(self, campaign_id: int, step: str) -> list[str]: ...

    def claim(
        self,
        campaign_id: int,
        step: str,
        language: str,
        topic: str,
        limit: int,
        *,
        now: dt.datetime,
    ) -> tuple[list[Recipient], int]:
        """Re-check eligibility, mark ineligible rows suppressed and up to ``limit`` eligible
        rows ``sending`` (committed before returning); return them and the suppressed count."""
        ...

    def mark_sent(
        self, ids: Sequence[int], provider_id: str | None, *, now: dt.datetime
    ) -> None: ...

    def mark_failed(self, ids: Sequence[int], error: str, *, now: dt.datetime) -> None: ...

    def mark_unknown(self, ids: Sequence[int], error: str, *, now: dt.datetime) -> None: ...

    def release(
        self, ids: Sequence[int], error: str, *, now: dt.datetime, max_attempts: int = 5
    ) -> None:
        """``sending`` -> ``pending`` (``failed`` once attempts are used up): the request
        certainly did not reach the provider."""
        ...

    def set_state(self, campaign_id: int, state: CampaignState, *, now: dt.datetime) -> None: ...

    def unknown_rows(self, campaign_id: int, limit: int = 50) -> list[dict[str, Any]]: ...

    def counts(self, campaign_id: int, step: str | None = None) -> DeliveryCounts: ...

    def campaign_id(self, slug: str) -> int | None: ...


@dataclass(frozen=True, slots=True)
class SendResult:
    """What a transport reports for an accepted batch: the provider's id, and any recipients
    it refused one by one (SMTP can refuse single RCPT TO) with the reason."""

    provider_id: str | None = None
    rejected: Mapping[int, str] = field(default_factory=dict)
    #: Recipients certainly not sent that may succeed later (e.g. SMTP 4xx for one RCPT).
    deferred: Mapping[int, str] = field(default_factory=dict)
    #: Recipients whose fate is unknown (connection lost while their message was in flight).
    unknown: Mapping[int, str] = field(default_factory=dict)


class Mailer(Protocol):
    """A transport. ``send`` hands one batch to the mail system or raises DeliveryError."""

    name: str
    max_batch: int

    def send(self, batch: Batch) -> SendResult:
        """Send every personalization of the batch, or raise DeliveryError for all of it."""
        ...

    def close(self) -> None: ...


class Catalog(Protocol):
    """Campaign, segment and template definitions (files today, the web app's store later)."""

    def template(self, name: str) -> str:
        """Template source by name; KeyError if there is none."""
        ...

    def ui_strings(self) -> dict[str, dict[str, str]]: ...

    def segments(self) -> dict[str, Segment]: ...

    def segment(self, name: str) -> Segment: ...

    def campaign(self, ref: str) -> tuple[CampaignDefinition, Path]: ...

    def campaign_paths(self) -> Iterator[Path]: ...
