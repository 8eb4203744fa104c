"""Suppression hashes and the Art. 15 document."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json

from newsletter.audiences.domain.privacy import (
    ConsentFact,
    DeliveryFact,
    PersonData,
    SubscriptionFact,
    refusal,
    suppression_hash,
)
from newsletter.core.addresses import normalize_address

SECRET = b"test-secret"


def key(address: str) -> str:
    return normalize_address(address)[1]


def test_every_variant_of_an_address_hashes_alike() -> None:
    variants = ["Ana.Petrovic@Example.RS", "ana.petrovic@example.rs", "ANA.PETROVIC@EXAMPLE.RS"]
    assert len({suppression_hash(SECRET, key(v)) for v in variants}) == 1
    assert suppression_hash(SECRET, key("ana@пример.срб")) == suppression_hash(
        SECRET, key("ANA@xn--e1afmkfd.xn--90a3ac")
    )


def test_the_hash_is_keyed_hex_and_holds_no_address() -> None:
    digest = suppression_hash(SECRET, "ana@example.rs")
    assert len(digest) == 64 and set(digest) <= set("0123456789abcdef")
    assert digest != hashlib.sha256(b"ana@example.rs").hexdigest()  # not a bare, reversible hash
    assert digest != suppression_hash(b"another-secret", "ana@example.rs")
    # Domain-separated from a plain HMAC of the address under the same key (link signing).
    assert digest != hmac.new(SECRET, b"ana@example.rs", hashlib.sha256).hexdigest()


def test_refusal_wording() -> None:
    assert refusal("erased") == "erased at the person's request"
    assert refusal("weird") == "address is suppressed (weird)"


def test_person_document_is_json_with_utc_timestamps_and_exact_text() -> None:
    at = dt.datetime(2015, 3, 2, 10, 0, tzinfo=dt.UTC)
    data = PersonData(
        profile={
            "email": "ana@example.rs",
            "first_name": "Ștefănescu Ђорђе",
            "consent_date": dt.date(2015, 3, 2),
            "created_at": dt.datetime(2015, 3, 2, 10, 0),
        },
        subscriptions=(SubscriptionFact("events", "subscribed", at),),
        consent=(ConsentFact("events", "subscribed", "membership-agreement", "v1", at),),
        tags=("registered-dofc-2015",),
        deliveries=(DeliveryFact("dofc", "Days", "main", "sent", "sr-Latn", at, "msg-1"),),
    )
    doc = json.loads(json.dumps(data.as_json(), ensure_ascii=False))
    assert doc["profile"]["first_name"] == "Ștefănescu Ђорђе"
    assert doc["profile"]["consent_date"] == "2015-03-02"
    assert doc["profile"]["created_at"] == "2015-03-02T10:00:00+00:00"  # naive read as UTC
    assert doc["consent_history"][0] == {
        "topic": "events",
        "action": "subscribed",
        "source": "membership-agreement",
        "wording_version": "v1",
        "at": "2015-03-02T10:00:00+00:00",
    }
    assert doc["deliveries"][0]["campaign"] == "dofc" and doc["suppression"] is None
