"""The Event Webhook signature: ECDSA P-256 over timestamp + raw body, with a bounded age."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from newsletter.delivery.transports.sendgrid.signature import SignedEventWebhook
from newsletter.errors import ConfigError, WebhookVerificationError
from tests.webhook_keys import Signer

NOW = 1_700_000_000
BODY = json.dumps([{"email": "a@b.example", "event": "delivered", "timestamp": NOW}]).encode()


@pytest.fixture
def signer() -> Signer:
    return Signer.generate()


def test_a_genuine_signature_passes(signer: Signer) -> None:
    verifier = SignedEventWebhook(signer.public_key)
    stamp = str(NOW - 5)
    verifier.verify(BODY, signer.sign(stamp, BODY), stamp, now=NOW)


def test_the_sendgrid_helper_agrees(signer: Signer) -> None:
    from sendgrid.helpers.eventwebhook import EventWebhook

    stamp = str(NOW)
    helper = EventWebhook(signer.public_key)
    assert helper.verify_signature(BODY.decode(), signer.sign(stamp, BODY), stamp)


@pytest.mark.parametrize(
    "tamper",
    [
        "body re-serialised",
        "other key",
        "timestamp changed",
        "missing signature",
        "missing timestamp",
        "garbage signature",
        "empty signature",
    ],
)
def test_forgeries_fail(signer: Signer, tamper: str) -> None:
    verifier = SignedEventWebhook(signer.public_key)
    stamp = str(NOW)
    body, signature, timestamp = BODY, signer.sign(stamp, BODY), stamp
    if tamper == "body re-serialised":
        body = json.dumps(json.loads(BODY), indent=1).encode()
    elif tamper == "other key":
        signature = Signer.generate().sign(stamp, BODY)
    elif tamper == "timestamp changed":
        timestamp = str(NOW - 1)
    elif tamper == "missing signature":
        signature = ""
    elif tamper == "missing timestamp":
        timestamp = ""
    elif tamper == "garbage signature":
        signature = "not base64!!"
    elif tamper == "empty signature":
        signature = base64.b64encode(b"").decode() or "AA=="
    with pytest.raises(WebhookVerificationError):
        verifier.verify(body, signature, timestamp, now=NOW)


def test_stale_and_future_timestamps_fail(signer: Signer) -> None:
    verifier = SignedEventWebhook(signer.public_key, max_age=600)
    for offset in (-601, -3600, 301):
        stamp = str(NOW + offset)
        with pytest.raises(WebhookVerificationError):
            verifier.verify(BODY, signer.sign(stamp, BODY), stamp, now=NOW)
    for offset in (-600, 0, 300):  # the bounds themselves are accepted
        stamp = str(NOW + offset)
        verifier.verify(BODY, signer.sign(stamp, BODY), stamp, now=NOW)


def test_pem_keys_work_and_bad_keys_are_config_errors(signer: Signer) -> None:
    pem = signer.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    stamp = str(NOW)
    SignedEventWebhook(pem.decode()).verify(BODY, signer.sign(stamp, BODY), stamp, now=NOW)
    with pytest.raises(ConfigError, match="not a public key"):
        SignedEventWebhook("definitely not a key")
    p384 = ec.generate_private_key(ec.SECP384R1()).public_key()
    der = p384.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(ConfigError, match="P-256"):
        SignedEventWebhook(base64.b64encode(der).decode())
