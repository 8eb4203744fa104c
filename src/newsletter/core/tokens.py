"""Signed, purpose-bound link tokens for unsubscribe, preferences and confirmation links.

RFC 8058 §3.1 and §6 want the one-click URI to identify recipient and list by itself, with a
hard-to-forge part the server checks. A token is ``base64url(payload) "." base64url(HMAC)``;
the payload names the purpose, the member id, the topic and the time it was issued. No address
or name goes in it (link scanners and proxies log URLs). The secret and the current time are
passed in: this module reads neither a setting nor the clock.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from newsletter.errors import TokenError, TokenExpired

#: Unsubscribe and preference links work for 90 days after a send: CAN-SPAM wants at least 30
#: (15 U.S.C. 7704(a)(3)), and a quarter covers the mail people still act on. An older link is
#: not silently dead: its page offers to email the member a fresh one (web/public.py), so a
#: leaked or forwarded link stops working within a quarter instead of a year.
DEFAULT_MAX_AGE = 90 * 24 * 3600


@dataclass(frozen=True, slots=True)
class TokenClaims:
    purpose: str
    member_id: int
    topic: str
    issued_at: int


#: json.dumps(..., separators=(",", ":")) builds a new encoder per call; this one is reused.
_COMPACT = json.JSONEncoder(separators=(",", ":"))


_URLSAFE = bytes.maketrans(b"+/", b"-_")


_PLAIN = re.compile(r"[A-Za-z0-9_.:-]*").fullmatch


def _payload(claims: TokenClaims) -> str:
    """The compact JSON array of the claims. Purposes and topics are plain ASCII words, which
    JSON writes as they are, so the common case is formatted directly (the same bytes)."""
    purpose, member, topic, issued = (
        claims.purpose,
        claims.member_id,
        claims.topic,
        claims.issued_at,
    )
    if _PLAIN(purpose) and _PLAIN(topic) and type(member) is int and type(issued) is int:
        return f'["{purpose}",{member},"{topic}",{issued}]'
    return _COMPACT.encode([purpose, member, topic, issued])


def _b64(data: bytes) -> str:
    # base64.urlsafe_b64encode, without its two extra Python-level passes (one per recipient
    # link adds up over a 100,000-member send).
    return binascii.b2a_base64(data, newline=False).translate(_URLSAFE).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: bytes, body: str, purpose: str) -> bytes:
    # The purpose is mixed into the key, so a token for one purpose never verifies for another.
    # A send signs two tokens per recipient: copying an HMAC already keyed for the purpose
    # costs ~1.4 us, against ~4.8 us for the one-shot hmac.digest, which re-derives the key
    # pads every call (and gives up the GIL while the sender's threads serialise requests).
    mac = _keyed(secret, purpose).copy()
    mac.update(body.encode("ascii"))
    return mac.digest()[:20]


@lru_cache(maxsize=16)
def _keyed(secret: bytes, purpose: str) -> hmac.HMAC:
    return hmac.new(hmac.digest(secret, purpose.encode(), "sha256"), digestmod="sha256")


def sign(secret: bytes, claims: TokenClaims) -> str:
    body = _b64(_payload(claims).encode())
    return f"{body}.{_b64(_mac(secret, body, claims.purpose))}"


class Signer:
    """``sign`` for many members with one purpose, topic and issue time: the tokens of one
    batch of a send. The same bytes as :func:`sign`; what is shared (the payload around the
    member id, the keyed hash states) is worked out once instead of once per recipient."""

    __slots__ = ("_inner", "_outer", "_prefix", "_suffix")

    def __init__(self, secret: bytes, purpose: str, topic: str, issued_at: int) -> None:
        # The compact JSON array of _payload around the member id: '["purpose",' id ',"topic",t]'.
        self._prefix = f"[{_COMPACT.encode(purpose)},"
        self._suffix = f",{_COMPACT.encode(topic)},{int(issued_at)}]"
        # HMAC-SHA256 as RFC 2104 §2 defines it, H(K ^ opad, H(K ^ ipad, text)), with both
        # hash states keyed once: copying a SHA-256 state costs less than copying an OpenSSL
        # HMAC context, and a send signs two links per recipient. The key is the same one
        # ``_mac`` uses; test_tokens checks the bytes against ``sign``.
        key = hmac.digest(secret, purpose.encode(), "sha256").ljust(_BLOCK, b"\0")
        self._inner = hashlib.sha256(key.translate(_IPAD))
        self._outer = hashlib.sha256(key.translate(_OPAD))

    def __call__(self, member_id: int) -> str:
        body = (
            binascii.b2a_base64(
                f"{self._prefix}{int(member_id)}{self._suffix}".encode(), newline=False
            )
            .translate(_URLSAFE)
            .rstrip(b"=")
        )
        inner = self._inner.copy()
        inner.update(body)
        outer = self._outer.copy()
        outer.update(inner.digest())
        mac = binascii.b2a_base64(outer.digest()[:20], newline=False).translate(_URLSAFE)
        return f"{body.decode()}.{mac.rstrip(b'=').decode()}"


_BLOCK = 64  # SHA-256's block size in bytes (RFC 2104 §2: B)
_IPAD = bytes(x ^ 0x36 for x in range(256))
_OPAD = bytes(x ^ 0x5C for x in range(256))


def verify(
    secret: bytes, token: str, *, purpose: str, now: int, max_age: int = DEFAULT_MAX_AGE
) -> TokenClaims:
    """Return the claims of a genuine, fresh token for ``purpose``; raise TokenError otherwise.

    Every failure raises the same error type with a vague message, so a caller answering
    HTTP can give one indistinguishable response; only a genuine token that is too old
    raises :class:`TokenExpired` (a subclass), whose page may offer a fresh link.
    """
    try:
        body, mac = token.split(".", 1)
        # Compare the text, not the decoded bytes: base64 decoding ignores stray characters and
        # padding bits, so two different strings would otherwise pass as one token.
        if not hmac.compare_digest(mac, _b64(_mac(secret, body, purpose))):
            raise TokenError("invalid token")
        raw_purpose, member_id, topic, issued_at = json.loads(_unb64(body))
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        raise TokenError("invalid token") from exc
    if raw_purpose != purpose or not isinstance(member_id, int) or not isinstance(issued_at, int):
        raise TokenError("invalid token")
    if issued_at - now > 300:
        raise TokenError("invalid token")
    if now - issued_at > max_age:
        raise TokenExpired(member_id, str(topic))
    return TokenClaims(purpose, member_id, str(topic), issued_at)


def verify_any(
    secrets: Sequence[bytes],
    token: str,
    *,
    purpose: str,
    now: int,
    max_age: int = DEFAULT_MAX_AGE,
) -> TokenClaims:
    """:func:`verify` with the current key first, then older ones (key rotation): a link
    signed before the key changed keeps working until it expires. The first key whose
    signature holds decides (an expired token raises :class:`TokenExpired`)."""
    for secret in secrets:
        try:
            return verify(secret, token, purpose=purpose, now=now, max_age=max_age)
        except TokenExpired:
            raise
        except TokenError:
            continue
    raise TokenError("invalid token")
