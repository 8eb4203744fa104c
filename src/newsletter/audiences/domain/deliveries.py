"""Deliveries: the ledger of who was sent what, one row per (campaign, step, member).

The row is created before anything is sent and its key is unique, so starting a send twice, or
two workers at once, can never produce two rows for one person. A row's
status moves only along :data:`TRANSITIONS`:

    pending -> sending -> sent | failed | unknown
    pending -> suppressed          (eligibility re-checked right before the batch)
    sending -> pending             (the request certainly did not reach the provider)
    unknown -> sent | failed       (provider events, or staff decide)
    failed  -> pending             (``campaigns retry --failed``, transient failures only)
    unknown -> pending             (policy: resend)

``sending`` is committed *before* the request, with a lease the sender keeps renewing while the
request is in flight. A crash leaves ``sending`` rows whose lease runs out; recovery turns them
into ``unknown`` - never back into ``pending`` - because the provider may have accepted them
(SendGrid has no idempotency key). What happens to ``unknown`` rows depends on the message
(:func:`newsletter.delivery.domain.unknowns.unknown_policy`): a reminder is resent, an
announcement waits for staff.

The row's vocabulary lives with the audiences, the lowest capability that reads it (a segment
of those who were sent a step, the members' history), so content, delivery and scheduling all
see it from below.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SUPPRESSED = "suppressed"
    UNKNOWN = "unknown"


TRANSITIONS: dict[DeliveryStatus, frozenset[DeliveryStatus]] = {
    DeliveryStatus.PENDING: frozenset({DeliveryStatus.SENDING, DeliveryStatus.SUPPRESSED}),
    DeliveryStatus.SENDING: frozenset(
        {DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.UNKNOWN, DeliveryStatus.PENDING}
    ),
    DeliveryStatus.UNKNOWN: frozenset(
        {DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.PENDING}
    ),
    DeliveryStatus.FAILED: frozenset({DeliveryStatus.PENDING}),
    DeliveryStatus.SENT: frozenset(),
    DeliveryStatus.SUPPRESSED: frozenset({DeliveryStatus.PENDING}),
}


def can_move(src: DeliveryStatus, dst: DeliveryStatus) -> bool:
    return dst in TRANSITIONS[src]


class FailureKind(StrEnum):
    """Why a row is ``failed``: only transient failures are worth another try."""

    #: Attempts used up on timeouts, 5xx, deferrals: ``campaigns retry --failed`` re-queues.
    TRANSIENT = "transient"
    #: The provider refused (4xx, 5xx SMTP reply for one address, dropped by SendGrid).
    PERMANENT = "permanent"


@dataclass(frozen=True, slots=True)
class Recipient:
    """One claimed delivery, with what the composer needs to personalise it."""

    delivery_id: int
    member_id: int
    email: str
    first_name: str
    last_name: str
    organization: str
    language: str
    #: IANA zone of the member ("" when unknown): deadlines are also shown in it.
    timezone: str = ""

    @property
    def full_name(self) -> str:
        first, last = self.first_name, self.last_name
        return f"{first} {last}" if first and last else first or last


@dataclass(frozen=True, slots=True)
class DeliveryCounts:
    pending: int = 0
    sending: int = 0
    sent: int = 0
    failed: int = 0
    suppressed: int = 0
    unknown: int = 0

    @property
    def total(self) -> int:
        return (
            self.pending + self.sending + self.sent + self.failed + self.suppressed + self.unknown
        )

    def as_dict(self) -> dict[str, int]:
        return {s.value: getattr(self, s.value) for s in DeliveryStatus} | {"total": self.total}
