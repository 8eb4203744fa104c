"""Signed link tokens: round trip, and every kind of wrong token is one TokenError."""

from __future__ import annotations

import base64
import json
import string

import pytest

from newsletter.core.tokens import (
    DEFAULT_MAX_AGE,
    TokenClaims,
    _b64,
    _mac,
    sign,
    verify,
    verify_any,
)
from newsletter.errors import NewsletterError, TokenError, TokenExpired

SECRET = b"s" * 32
ISSUED = 1_443_700_000  # 2015-10-01
DAY = 24 * 3600
CLAIMS = TokenClaims(purpose="unsubscribe", member_id=42, topic="events", issued_at=ISSUED)


@pytest.fixture
def token() -> str:
    return sign(SECRET, CLAIMS)


def check(token: str, *, purpose: str = "unsubscribe", now: int = ISSUED, **kw: int) -> TokenClaims:
    return verify(SECRET, token, purpose=purpose, now=now, **kw)


def test_round_trip(token: str) -> None:
    assert check(token) == CLAIMS


def test_token_is_url_safe_and_carries_no_personal_data(token: str) -> None:
    assert set(token) <= set(string.ascii_letters + string.digits + "-_.")
    assert token.count(".") == 1
    body = token.split(".")[0]
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    assert payload == ["unsubscribe", 42, "events", ISSUED]


def test_signing_is_deterministic(token: str) -> None:
    assert sign(SECRET, CLAIMS) == token


def test_unicode_topic_round_trips() -> None:
    claims = TokenClaims("preferences", 1, "događaji", ISSUED)
    assert verify(SECRET, sign(SECRET, claims), purpose="preferences", now=ISSUED) == claims


def test_every_single_character_change_is_refused(token: str) -> None:
    alphabet = string.ascii_letters + string.digits + "-_+/=. !"
    for i, original in enumerate(token):
        for replacement in alphabet:
            if replacement == original:
                continue
            forged = token[:i] + replacement + token[i + 1 :]
            with pytest.raises(TokenError):
                check(forged)


@pytest.mark.parametrize("suffix", ["=", "==", "x", " ", "\n"])
def test_appended_characters_are_refused(token: str, suffix: str) -> None:
    with pytest.raises(TokenError):
        check(token + suffix)


def test_other_purpose_is_refused(token: str) -> None:
    with pytest.raises(TokenError):
        check(token, purpose="confirm")


def test_token_re_signed_for_another_purpose_with_same_body_is_refused(token: str) -> None:
    other = sign(SECRET, TokenClaims("preferences", 42, "events", ISSUED))
    # Body of one purpose with the MAC of another: neither verifies.
    mixed = token.split(".")[0] + "." + other.split(".")[1]
    for purpose in ("unsubscribe", "preferences"):
        with pytest.raises(TokenError):
            check(mixed, purpose=purpose)


def test_other_secret_is_refused(token: str) -> None:
    with pytest.raises(TokenError):
        verify(b"t" * 32, token, purpose="unsubscribe", now=ISSUED)


def test_expired_token_is_refused(token: str) -> None:
    with pytest.raises(TokenError):
        check(token, now=ISSUED + DEFAULT_MAX_AGE + 1)
    with pytest.raises(TokenError):
        check(token, now=ISSUED + 3601, max_age=3600)


def test_token_valid_at_its_age_limit(token: str) -> None:
    assert check(token, now=ISSUED + 3600, max_age=3600) == CLAIMS
    assert check(token, now=ISSUED + DEFAULT_MAX_AGE) == CLAIMS


def test_still_valid_after_30_days(token: str) -> None:
    # CAN-SPAM (15 U.S.C. 7704): unsubscribe links keep working at least 30 days after a send.
    assert DEFAULT_MAX_AGE >= 30 * DAY
    assert check(token, now=ISSUED + 30 * DAY) == CLAIMS
    assert check(token, now=ISSUED + 31 * DAY) == CLAIMS


def test_token_from_the_future_is_refused_beyond_clock_skew(token: str) -> None:
    assert check(token, now=ISSUED - 300) == CLAIMS
    with pytest.raises(TokenError):
        check(token, now=ISSUED - 301)


def _forge(payload: bytes, purpose: str = "unsubscribe") -> str:
    """A correctly signed token around an arbitrary payload (only the key holder can do this)."""
    body = _b64(payload)
    return f"{body}.{_b64(_mac(SECRET, body, purpose))}"


@pytest.mark.parametrize(
    "payload",
    [
        b"[]",
        b"{}",
        b"null",
        b"1",
        b'"text"',
        b'["unsubscribe",1,"t"]',
        b'["unsubscribe",1,"t",1,2]',
        b'["unsubscribe","1","t",1443700000]',
        b'["unsubscribe",1,"t",1443700000.5]',
        b'["unsubscribe",1,"t",1e400]',
        b'["confirm",1,"t",1443700000]',
        b"\xff\xfe not json",
    ],
)
def test_signed_but_malformed_payload_is_refused(payload: bytes) -> None:
    with pytest.raises(TokenError):
        check(_forge(payload))


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        ".",
        "..",
        "a.b",
        "a.b.c",
        "abc",
        "!!!.???",
        "====.====",
        " . ",
        "é.é",
        "Ђ.Ђ",
        "\x00.\x00",
        "\ud800.x",
        "e30.",
        ".e30",
        "a" * 10_000 + "." + "b" * 10_000,
    ],
)
def test_garbage_raises_token_error_and_nothing_else(garbage: str) -> None:
    with pytest.raises(TokenError) as info:
        check(garbage)
    assert str(info.value) == "invalid token"


def test_token_error_is_a_newsletter_error() -> None:
    assert issubclass(TokenError, NewsletterError)


def test_all_failures_share_one_message(token: str) -> None:
    messages = set()
    last = "B" if token.endswith("A") else "A"
    for bad in ("", token + "x", token[:-1] + last):
        with pytest.raises(TokenError) as info:
            check(bad)
        messages.add(str(info.value))
    assert messages == {"invalid token"}
    # Only a genuine token (its signature holds) says it expired: nothing a forger learns.
    with pytest.raises(TokenExpired) as expired:
        check(token, now=ISSUED + DEFAULT_MAX_AGE + 1)
    assert (expired.value.member_id, expired.value.topic) == (CLAIMS.member_id, CLAIMS.topic)
    with pytest.raises(TokenError) as info:
        check(token[:-1] + last, now=ISSUED + DEFAULT_MAX_AGE + 1)
    assert not isinstance(info.value, TokenExpired)


def test_links_live_90_days() -> None:
    assert DEFAULT_MAX_AGE == 90 * DAY


def test_older_keys_still_verify_in_order(token: str) -> None:
    new, old = b"n" * 32, SECRET
    assert verify_any((new, old), token, purpose="unsubscribe", now=ISSUED) == CLAIMS
    with pytest.raises(TokenError):
        verify_any((new,), token, purpose="unsubscribe", now=ISSUED)
    with pytest.raises(TokenExpired):
        verify_any((new, old), token, purpose="unsubscribe", now=ISSUED + DEFAULT_MAX_AGE + 1)


@pytest.mark.parametrize(
    ("purpose", "topic", "member"),
    [
        ("unsubscribe", "events", 42),
        ("preferences", "calls", 0),
        ("preferences", "događaji", 10**12),  # JSON escapes non-ASCII: the slow path of sign
        ('odd",0,"purpose', 'to"pic,0,', 7),  # quotes and the separator itself
    ],
)
def test_a_batch_signer_gives_the_bytes_of_sign(purpose: str, topic: str, member: int) -> None:
    from newsletter.core.tokens import Signer

    signer = Signer(SECRET, purpose, topic, ISSUED)
    expected = sign(SECRET, TokenClaims(purpose, member, topic, ISSUED))
    assert signer(member) == expected
    assert verify(SECRET, signer(member), purpose=purpose, now=ISSUED).member_id == member
