"""A person's rights: suppression that survives erasure, and everything we hold, as data.

Erasure (GDPR Art. 17) deletes the person, but the address must still never be mailed or
imported again by mistake (Art. 21(3); the ICO's "suppress rather than delete"). We keep only a
keyed hash of it: HMAC-SHA256 (RFC 2104, FIPS 198-1) under the installation's secret, because a
bare SHA-256 of an address is reversed by a dictionary of addresses (AEPD, "Introduction to the
hash function as a personal data pseudonymisation technique", 2019).

The access/portability export (Art. 15 and 20) is :class:`PersonData` as JSON: profile,
subscriptions, the append-only consent history, tags, every delivery, suppression status.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any

# Domain separation: the same secret signs unsubscribe links (core/tokens.py); a label keeps
# a suppression hash from ever being a valid MAC of anything else, and versions the scheme.
_LABEL = b"newsletter/suppression/v1\x00"


class SuppressionReason(StrEnum):
    BOUNCED = "bounced"
    COMPLAINED = "complained"
    ERASED = "erased"
    UNSUBSCRIBED = "unsubscribed"


#: What an import says about a row whose address is suppressed, by suppression reason.
IMPORT_REFUSALS: Mapping[str, str] = {
    SuppressionReason.ERASED: "erased at the person's request",
    SuppressionReason.BOUNCED: "address is suppressed: mail to it bounced",
    SuppressionReason.COMPLAINED: "address is suppressed: the person reported our mail as spam",
    SuppressionReason.UNSUBSCRIBED: "address is suppressed: unsubscribed from everything",
}


def suppression_hash(secret: bytes, key: str) -> str:
    """Hex HMAC-SHA256 of a dedupe key (:func:`newsletter.core.addresses.email_key` of the
    stored address), so every case and normalisation variant of an address hashes alike."""
    mac = _keyed(secret).copy()  # the key schedule is computed once per secret, not per row
    mac.update(key.encode("utf-8"))
    return mac.hexdigest()


@lru_cache(maxsize=4)
def _keyed(secret: bytes) -> hmac.HMAC:
    return hmac.new(secret, _LABEL, hashlib.sha256)


def refusal(reason: str) -> str:
    return IMPORT_REFUSALS.get(reason, f"address is suppressed ({reason})")


@dataclass(frozen=True, slots=True)
class SubscriptionFact:
    topic: str
    status: str
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class ConsentFact:
    topic: str
    action: str
    source: str
    wording_version: str
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class DeliveryFact:
    campaign: str
    title: str
    step: str
    status: str
    language: str
    sent_at: dt.datetime | None
    provider_message_id: str | None


@dataclass(frozen=True, slots=True)
class PersonData:
    """Everything the system holds about one person."""

    profile: Mapping[str, Any]
    subscriptions: tuple[SubscriptionFact, ...]
    consent: tuple[ConsentFact, ...]
    tags: tuple[str, ...]
    deliveries: tuple[DeliveryFact, ...]
    suppression: str | None = None

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict; datetimes and dates as ISO 8601 (RFC 3339 for timestamps)."""
        return {
            "profile": {k: _plain(v) for k, v in self.profile.items()},
            "subscriptions": [_fact(s) for s in self.subscriptions],
            "consent_history": [_fact(c) for c in self.consent],
            "tags": list(self.tags),
            "deliveries": [_fact(d) for d in self.deliveries],
            "suppression": self.suppression,
        }


def _fact(fact: SubscriptionFact | ConsentFact | DeliveryFact) -> dict[str, Any]:
    return {k: _plain(v) for k, v in asdict(fact).items()}


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return aware.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
