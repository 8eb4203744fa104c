"""Ingest provider events: from the signed webhook, or replayed from a saved JSON batch.

Both paths call :func:`ingest_events`, so a replay does exactly what the webhook did, and a
batch ingested twice changes things once (the store de-duplicates; see delivery/sql/event_store.py).
Events that cannot be used (an unknown type, no address) are reported and skipped; the rest of
the batch is applied.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from newsletter.audiences.domain.privacy import suppression_hash
from newsletter.core.addresses import AddressError, email_key, normalize_address
from newsletter.delivery.domain.events import (
    Action,
    Effect,
    EventProblem,
    ProviderEvent,
    effects,
)
from newsletter.delivery.ports import DeliveryServices
from newsletter.errors import InputError, NewsletterError

#: Reported problems are capped; the count is always complete.
MAX_PROBLEMS = 50


@dataclass
class IngestReport:
    received: int = 0
    new: int = 0
    duplicates: int = 0
    unmatched: int = 0
    confirmed: int = 0
    suppressed: int = 0
    unsubscribed: int = 0
    test_events: int = 0
    skipped: int = 0
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_batch(body: bytes | str, *, source: str = "request") -> list[Any]:
    """A JSON array of events (what the webhook posts); InputError otherwise."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"not JSON: {exc}", location=source) from exc
    except RecursionError as exc:  # [[[[...]]]] thousands deep: a bad request, not a 500
        raise InputError("JSON nested too deeply", location=source) from exc
    if not isinstance(data, list):
        raise InputError("an event batch is a JSON array of events", location=source)
    return data


def ingest_events(ctx: DeliveryServices, raw: list[Any]) -> IngestReport:
    if ctx.parse_event is None:
        raise NewsletterError("this installation reads no provider events")
    parse = ctx.parse_event
    report = IngestReport(received=len(raw))
    groups = {group: topic for topic, group in ctx.unsubscribe_groups.items()}
    batch: list[tuple[ProviderEvent, tuple[Effect, ...]]] = []
    for index, item in enumerate(raw):
        try:
            event = parse(item)
        except EventProblem as exc:
            report.skipped += 1
            if len(report.problems) < MAX_PROBLEMS:
                report.problems.append(f"event {index}: {exc}")
            continue
        if event is None:
            report.test_events += 1
            continue
        batch.append((event, effects(event, group_topics=groups)))
    hashes = {
        event.email: suppression_hash(ctx.links.hashing, _key(event.email))
        for event, found in batch
        if any(e.action in (Action.SUPPRESS_BOUNCED, Action.SUPPRESS_COMPLAINED) for e in found)
    }
    outcome = ctx.events.record(batch, suppression_hashes=hashes, now=ctx.clock.now())
    report.new, report.duplicates = outcome.new, outcome.duplicates
    report.unmatched, report.confirmed = outcome.unmatched, outcome.confirmed
    report.suppressed, report.unsubscribed = outcome.suppressed, outcome.unsubscribed
    return report


def _key(email: str) -> str:
    # The same key imports and erasure hash (audiences/data_rights.py), so a suppressed address is
    # recognised whatever its case or IDN form.
    try:
        return normalize_address(email)[1]
    except AddressError:
        return email_key(email)
