"""A recording transport for the fast tier: the ``Mailer`` port (delivery/ports.py) that keeps
every batch it accepted in memory instead of building MIME and writing files as the outbox
does (delivery/transports/outbox.py; a send of 1000 recipients through it costs about as much
as the rest of a fast test).

:class:`RecordingMailer` stands for a provider (SendGrid, SMTP): what happened to a request that
may have gone out cannot be known. :class:`RecordingOutbox` is, like the outbox, a
``ReconcilingMailer``: it knows for certain which messages it holds, so rows a crash left
``unknown`` are settled from it. A test scripts what goes wrong: an error
for the next requests (``fail``), addresses refused one by one (``reject``), and a crash after
the request went out (``crash_after``).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from newsletter.content.rendering.messages import Batch, OutboundMessage
from newsletter.delivery.ports import SendResult
from newsletter.errors import DeliveryError


class Crash(BaseException):
    """The process died right after the transport took the batch (not an error any code
    catches: like SIGKILL, it ends the run with the rows as they were)."""


@dataclass
class RecordingMailer:
    name: str = "memory"
    max_batch: int = 1000
    #: Raised, in order, by the next requests instead of sending (then sending resumes).
    fail: list[DeliveryError] = field(default_factory=list)
    #: Addresses refused one by one (as an SMTP server refuses one RCPT TO), with the reason.
    reject: dict[str, str] = field(default_factory=dict)
    #: After this many accepted batches the next accepted one raises :class:`Crash`.
    crash_after: int | None = None
    #: Every accepted batch, in the order they were handed over.
    batches: list[Batch] = field(default_factory=list)
    #: Messages held: (campaign, step) -> delivery ids.
    held: dict[tuple[str, str], set[int]] = field(default_factory=dict)
    closed: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, batch: Batch) -> SendResult:
        with self.lock:
            if self.fail:
                raise self.fail.pop(0)
            refused = {
                p.delivery_id: self.reject[p.to_email]
                for p in batch.personalizations
                if p.to_email in self.reject and p.delivery_id is not None
            }
            key = (batch.variant.campaign, batch.variant.step)
            taken = [
                p.delivery_id
                for p in batch.personalizations
                if p.delivery_id is not None and p.delivery_id not in refused
            ]
            self.held.setdefault(key, set()).update(taken)
            self.batches.append(batch)
            if self.crash_after is not None and len(self.batches) > self.crash_after:
                raise Crash
            return SendResult(provider_id=f"memory-{len(self.batches)}", rejected=refused)

    def close(self) -> None:
        self.closed += 1

    # -- what a test reads --------------------------------------------------------------------
    def messages(self) -> list[OutboundMessage]:
        """Every message accepted, merge fields filled in, in the order handed over."""
        return [m for b in self.batches for m in b.messages()]

    def recipients(self, step: str | None = None) -> list[str]:
        return [
            p.to_email
            for b in self.batches
            if step is None or b.variant.step == step
            for p in b.personalizations
        ]


@dataclass
class RecordingOutbox(RecordingMailer):
    """A recording transport that can tell which messages it holds (``ReconcilingMailer``)."""

    name: str = "memory-outbox"

    def delivered(self, campaign: str, step: str, ids: Sequence[int]) -> set[int]:
        with self.lock:
            return self.held.get((campaign, step), set()) & set(ids)

    def withdraw(self, campaign: str, step: str, ids: Sequence[int]) -> None:
        with self.lock:
            self.held.get((campaign, step), set()).difference_update(ids)
