"""What one run over a step's pending rows did: :class:`SendReport`, returned by
``sending.send_campaign`` and shown by the CLI, the web app and the workers."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from newsletter.delivery.domain.unknowns import UnknownPolicy


@dataclass
class SendReport:
    campaign: str
    step: str
    transport: str
    dry_run: bool = False
    audience: int = 0
    planned: int = 0
    sent: int = 0
    failed: int = 0
    suppressed: int = 0
    unknown: int = 0
    recovered_unknown: int = 0
    #: Rows a stopped sender had claimed but whose request never started: back to pending.
    recovered_pending: int = 0
    #: ``unknown`` rows the transport settled for certain (the outbox: the file is there or not).
    reconciled: int = 0
    #: Senders found dead whose rows this run settled (``pid N on HOST``).
    dead_senders: list[str] = field(default_factory=list)
    #: ``unknown`` rows re-queued by the resend policy (reminders) at the start of this run.
    resent_unknown: int = 0
    pending: int = 0
    #: Rows another live sender has in flight right now (their claim has not expired).
    in_flight_elsewhere: int = 0
    #: Those rows per live sender (``pid N on HOST``), as last seen.
    held_elsewhere: dict[str, int] = field(default_factory=dict)
    requests: int = 0
    #: Seconds spent waiting for the transport's rate limit.
    throttled_seconds: float = 0.0
    unknown_policy: str = UnknownPolicy.ASK.value
    #: Why the run stopped early, if it did (the rows left are pending; run again later).
    stopped: str | None = None
    errors: list[str] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
