"""SendGrid's Signed Event Webhook: ECDSA P-256 / SHA-256 over ``timestamp + raw body``.

Headers ``X-Twilio-Email-Event-Webhook-Signature`` (base64 DER signature) and
``X-Twilio-Email-Event-Webhook-Timestamp``. We verify with ``cryptography`` directly rather than
with the library's helper, which takes the body as ``str`` (a ``bytes`` body raises TypeError),
raises ``binascii.Error`` on malformed base64 instead of answering False, and does not check
the timestamp at all (sendgrid/helpers/eventwebhook in sendgrid-python 6.x). The signature is
checked over the exact bytes received, *before* any JSON parsing, and the timestamp must be recent
(and not far in the future), which bounds how long a captured request can be replayed; events
are de-duplicated besides (delivery/domain/events.py). SendGrid's guide: "Getting Started with the
Event Webhook Security Features" (twilio.com/docs/sendgrid).
"""

from __future__ import annotations

import base64
import binascii

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key, load_pem_public_key

from newsletter.errors import ConfigError, WebhookVerificationError

SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"
#: Seconds a timestamp may lie in the future (clock skew between SendGrid and us).
MAX_SKEW = 300


class SignedEventWebhook:
    def __init__(self, public_key: str, *, max_age: int = 600, max_skew: int = MAX_SKEW) -> None:
        self.max_age, self.max_skew = max_age, max_skew
        self._key = _load_key(public_key)

    def verify(
        self, body: bytes, signature: str | None, timestamp: str | None, *, now: float
    ) -> None:
        """Return if ``body`` was signed by SendGrid recently; raise WebhookVerificationError
        (one vague message for every failure) otherwise."""
        if not signature or not timestamp:
            raise WebhookVerificationError("signature missing")
        try:
            stamp = int(timestamp.strip())
        except ValueError as exc:
            raise WebhookVerificationError("bad signature") from exc
        if now - stamp > self.max_age or stamp - now > self.max_skew:
            raise WebhookVerificationError("bad signature")
        try:
            der = base64.b64decode(signature.strip(), validate=True)
            self._key.verify(
                der, timestamp.strip().encode("ascii") + body, ec.ECDSA(hashes.SHA256())
            )
        except (InvalidSignature, binascii.Error, ValueError, UnicodeEncodeError) as exc:
            raise WebhookVerificationError("bad signature") from exc


def _load_key(text: str) -> ec.EllipticCurvePublicKey:
    """The key as SendGrid shows it (base64 of the DER SubjectPublicKeyInfo) or as PEM."""
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = load_pem_public_key(text.encode("ascii"))
        else:
            key = load_der_public_key(base64.b64decode("".join(text.split()), validate=True))
    except (ValueError, binascii.Error, UnicodeEncodeError) as exc:
        raise ConfigError(
            "sendgrid.webhook_public_key is not a public key (expected the base64 text SendGrid "
            "shows for the Signed Event Webhook)"
        ) from exc
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ConfigError("sendgrid.webhook_public_key must be an ECDSA P-256 public key")
    return key
