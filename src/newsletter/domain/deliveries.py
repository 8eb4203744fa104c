"""Deliveries: the ledger of who was sent what, one row per (campaign, step, member).

The row is created before anything is sent and its key is unique, so starting a send twice, or
two workers at once, can never produce two rows for one person (reliability REL-01). A row's
status moves only along :data:`TRANSITIONS`:

    pending -> sending -> sent | failed | unknown
    pending -> suppressed          (eligibility re-checked right before the batch)
    unknown -> sent | failed       (provider events, or staff decide)
    failed  -> pending             (``campaigns retry --failed`` for transient failures)
    unknown -> pending             (policy: resend)

``sending`` is committed *before* the request; a crash while a request is in flight leaves
``sending`` rows, which recovery turns into ``unknown`` - never back into ``pending`` - because
the provider may have accepted them (SendGrid has no idempotency key).
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

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)


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
