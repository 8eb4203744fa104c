"""The interfaces of delivery: the ledger, the transports, the rate limit, the store of
provider events and the approval gate; and the delivery use cases' bundle. Adapters implement
them (delivery/sql/ledger.py, delivery/transports/*, delivery/sql/ratelimit.py,
delivery/sql/event_store.py, authoring/approvals.py); tests may fake them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from newsletter.audiences.domain.deliveries import (
    DeliveryCounts,
    DeliveryStatus,
    FailureKind,
    Recipient,
)
from newsletter.audiences.domain.segments import Rule, Segment
from newsletter.audiences.ports.services import UnsubscribeTarget
from newsletter.content.domain.campaigns import CampaignDefinition, CampaignState
from newsletter.content.ports.services import ContentServices
from newsletter.content.rendering.compose import Batch
from newsletter.delivery.domain.breakdown import LanguageOutcome
from newsletter.delivery.domain.claims import Recovery
from newsletter.delivery.domain.events import CampaignStats, Effect, ProviderEvent


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
        only: Rule | None = None,
    ) -> int:
        """Insert pending rows for everyone in the segment now (narrowed by ``only``); return
        how many were new."""
        ...

    def sending_campaigns(self) -> list[tuple[int, str]]:
        """(id, slug) of every campaign in the ``sending`` state."""
        ...

    def has_pending(self, campaign_id: int, step: str) -> bool:
        """Whether the step has a ``pending`` row (at a constant cost)."""
        ...

    def owner(self) -> str:
        """This process as the owner of the rows it claims (a ``ClaimOwner`` token)."""
        ...

    def recover_claims(
        self, campaign_id: int, step: str, *, now: dt.datetime, lease_seconds: float
    ) -> Recovery:
        """Settle ``sending`` rows of provably dead owners at once and of others once their
        lease ran out: ``unknown`` where the request had started, else back to ``pending``."""
        ...

    def start_request(self, ids: Sequence[int], owner: str, *, now: dt.datetime) -> bool:
        """Commit that the request for these rows starts now, if all are still ours; False:
        some were released meanwhile, so the request must not be made."""
        ...

    def renew(self, ids: Sequence[int], *, now: dt.datetime, owner: str | None = None) -> None:
        """Extend the lease of rows still ``sending``: their request is still in flight."""
        ...

    def pending_languages(self, campaign_id: int, step: str) -> dict[str, int]:
        """Pending rows per variant language."""
        ...

    def claim(
        self,
        campaign_id: int,
        step: str,
        language: str,
        topic: str,
        limit: int,
        *,
        now: dt.datetime,
        owner: str | None = None,
        after: int = 0,
    ) -> tuple[list[Recipient], int]:
        """Re-check eligibility, mark ineligible rows suppressed and up to ``limit`` eligible
        rows ``sending`` (committed before returning); return them, in id order, and the
        suppressed count. Only rows with an id above ``after`` are considered."""
        ...

    def mark_sent(
        self, ids: Sequence[int], provider_id: str | None, *, now: dt.datetime
    ) -> None: ...

    def mark_failed(
        self,
        ids: Sequence[int],
        error: str,
        *,
        now: dt.datetime,
        kind: FailureKind = FailureKind.PERMANENT,
    ) -> None: ...

    def mark_unknown(self, ids: Sequence[int], error: str, *, now: dt.datetime) -> None: ...

    def unknown_ids(self, campaign_id: int, step: str) -> list[int]:
        """Every ``unknown`` row of the step."""
        ...

    def settle_unknown(
        self, sent: Sequence[int], absent: Sequence[int], *, now: dt.datetime
    ) -> None:
        """Transport-certain answers for ``unknown`` rows: ``sent`` ones are sent, ``absent``
        ones go back to ``pending`` (their message never reached the transport)."""
        ...

    def release(
        self,
        ids: Sequence[int],
        error: str,
        *,
        now: dt.datetime,
        max_attempts: int = 5,
        refund: bool = False,
    ) -> None:
        """``sending`` -> ``pending`` (``failed``, transient, once attempts are used up): the
        request certainly did not reach the provider. ``refund``: the attempt does not count."""
        ...

    def requeue_unknown(
        self,
        campaign_id: int,
        step: str,
        *,
        older_than: dt.datetime,
        now: dt.datetime,
        max_attempts: int = 5,
    ) -> int:
        """Resend policy: ``unknown`` rows not confirmed since ``older_than`` -> ``pending``."""
        ...

    def resolve_unknown(
        self, campaign_id: int, step: str | None, to: DeliveryStatus, *, now: dt.datetime
    ) -> int:
        """Staff decision for ``unknown`` rows: ``pending`` (resend) or ``sent``."""
        ...

    def retry_failed(self, campaign_id: int, step: str | None, *, now: dt.datetime) -> int:
        """Transient failures -> ``pending`` with fresh attempts; permanent ones stay."""
        ...

    def failure_kinds(self, campaign_id: int, step: str | None = None) -> dict[str, int]: ...

    def set_state(self, campaign_id: int, state: CampaignState, *, now: dt.datetime) -> None: ...

    def unknown_rows(self, campaign_id: int, limit: int = 50) -> list[dict[str, Any]]: ...

    def counts(self, campaign_id: int, step: str | None = None) -> DeliveryCounts: ...

    def first_sent_at(self, campaign_id: int) -> dt.datetime | None: ...

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


class EventParser(Protocol):
    """One raw event of the provider's webhook -> ours; None for events of test sends.
    Raises EventProblem for something that is not a usable event."""

    def __call__(self, raw: Any, /) -> ProviderEvent | None: ...


class Mailer(Protocol):
    """A transport. ``send`` hands one batch to the mail system or raises DeliveryError."""

    name: str
    max_batch: int

    def send(self, batch: Batch) -> SendResult:
        """Send every personalization of the batch, or raise DeliveryError for all of it."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class PreparingMailer(Mailer, Protocol):
    """A transport whose CPU work (checking and serialising a batch) can be done apart from
    its network step: the sender prepares on its own thread and only waits in the workers."""

    def prepare(self, batch: Batch) -> Callable[[], SendResult]:
        """Check and serialise ``batch`` (DeliveryError if it cannot go); the returned call
        makes the request, as ``send`` would."""
        ...


@runtime_checkable
class ReconcilingMailer(Mailer, Protocol):
    """A transport that can tell for certain which messages it holds (the outbox: a file is
    there or not), so rows left ``unknown`` by a crash are settled without a person."""

    def delivered(self, campaign: str, step: str, ids: Sequence[int]) -> set[int]:
        """Which of these delivery rows' messages the transport holds."""
        ...

    def withdraw(self, campaign: str, step: str, ids: Sequence[int]) -> None:
        """Take back these rows' messages: the ledger could not record them as sent."""
        ...


class RateLimiter(Protocol):
    """A transport's message rate, shared by every process (delivery/sql/ratelimit.py)."""

    @property
    def max_batch(self) -> int | None:
        """The most messages one request may carry under the limits (None: no limit)."""
        ...

    def reserve(self, count: int, *, now: dt.datetime) -> float:
        """Record ``count`` messages as handed over now and return 0, or record nothing and
        return the seconds to wait before asking again."""
        ...


@dataclass
class RecordOutcome:
    """What one batch of provider events did."""

    received: int = 0
    new: int = 0
    duplicates: int = 0
    #: New events that matched no delivery and no member (kept, nothing to change).
    unmatched: int = 0
    #: ``unknown``/``sending`` rows resolved by an event (sent, or failed when dropped).
    confirmed: int = 0
    #: Members newly marked bounced or complained.
    suppressed: int = 0
    #: Topic subscriptions ended.
    unsubscribed: int = 0


class EventStore(Protocol):
    """Provider events, one-click unsubscribes and the outcome counts built from them."""

    def record(
        self,
        batch: Sequence[tuple[ProviderEvent, tuple[Effect, ...]]],
        *,
        suppression_hashes: Mapping[str, str],
        now: dt.datetime,
    ) -> RecordOutcome:
        """Store each event once (both unique keys) and apply the effects of the new ones,
        all in one transaction. ``suppression_hashes``: event address -> suppression hash."""
        ...

    def unsubscribe_target(
        self, member_id: int, topic: str, issued_at: dt.datetime
    ) -> UnsubscribeTarget | None: ...

    def one_click(
        self, member_id: int, topic: str, issued_at: dt.datetime, *, now: dt.datetime
    ) -> bool: ...

    def stats(self, campaign_id: int) -> CampaignStats: ...

    def recent_stats(self, since: dt.datetime) -> list[tuple[str, CampaignStats]]: ...

    def click_urls(self, campaign_id: int) -> list[tuple[int | None, str]]:
        """``(delivery id, url)`` of every click event of the campaign."""
        ...

    def language_outcomes(self, campaign_id: int) -> list[LanguageOutcome]: ...

    def acknowledge_complaints(self, campaign_id: int, count: int, *, now: dt.datetime) -> None: ...


@dataclass(frozen=True, slots=True)
class RenewalAddress:
    email: str
    language: str


class LinkRenewals(Protocol):
    """ "Email me a fresh link" requests (delivery/sql/renewals.py)."""

    def address(self, member_id: int) -> RenewalAddress | None:
        """Where a fresh link for this member goes: None for a member who is gone, bounced
        or complained (no mail for them)."""
        ...

    def admit(
        self,
        *,
        member_hash: str,
        client_hash: str,
        now: dt.datetime,
        since: dt.datetime,
        max_per_member: int,
        max_per_client: int,
    ) -> tuple[bool, bool]:
        """Count and record one request in one serialised step: (the client is within its
        limit, a link may be mailed to the member). Rows before ``since`` are deleted."""
        ...


class ApprovalGate(Protocol):
    """Nothing reaches members that an approver did not see. Declared here, where the sends
    are; implemented by the authoring capability (``authoring/approvals.py``,
    :class:`~newsletter.authoring.approvals.StaffApprovals`) and wired by ``bootstrap.py``.
    Both methods judge the very campaign object that is about to be composed."""

    def hold_reason(self, campaign: CampaignDefinition, where: Path) -> str | None:
        """Why a send of this version must wait, or None when it may go out."""
        ...

    def check_send(self, campaign: CampaignDefinition, where: Path) -> None:
        """Refuse (NotApprovedError) unless ``campaign`` may go out as it is."""
        ...

    def require_approved(self, ref: str) -> None:
        """Refuse (NotApprovedError) unless the campaign as it is now has an approval of its
        own, whether or not it needs one: the staff app schedules nothing else."""
        ...


@dataclass(frozen=True, kw_only=True)
class DeliveryServices(ContentServices):
    """What the delivery use cases get (built by ``bootstrap.py``): the content bundle's ports,
    the ledger, the transport and its limits, provider events and the approval gate."""

    ledger: Ledger
    #: Builds the configured transport; called only when something is really sent.
    mailer: Callable[[], Mailer]
    transport: str
    batch_size: int
    max_in_flight: int
    #: Provider events, one-click unsubscribes and campaign outcome counts.
    events: EventStore
    #: The configured transport's per-second / per-hour limit (shared through the database).
    limiter: RateLimiter
    #: Required, no default: a delivery bundle cannot be made without a gate.
    approvals: ApprovalGate
    #: Seconds a ``sending`` row stays claimed without renewal before it counts as crashed.
    lease_seconds: float = 60.0
    #: Seconds an ``unknown`` reminder row waits for provider events before it is resent.
    resend_unknown_after: float = 1800.0
    #: SendGrid unsubscribe group id per topic (events map groups back to topics).
    unsubscribe_groups: Mapping[str, int] = field(default_factory=dict)
    #: One raw provider event -> ours (None for a test send's); raises EventProblem. The
    #: provider's vocabulary stays in its transport (delivery/transports/sendgrid/events.py).
    parse_event: EventParser | None = None
    #: "Email me a fresh link" requests from expired links' pages; None: not offered.
    renewals: LinkRenewals | None = None
