"""Addresses: the fast path agrees with email-validator; RFC 5321 lengths; IDN and SMTPUTF8."""

from __future__ import annotations

import random
import string

import pytest
from email_validator import EmailNotValidError, validate_email

from newsletter.core.addresses import (
    AddressError,
    _fast,
    email_key,
    needs_smtputf8,
    normalize_address,
)


def library(raw: str) -> str | None:
    """What email-validator alone makes of an address (the reference)."""
    try:
        valid = validate_email(raw, check_deliverability=False)
    except EmailNotValidError:
        return None
    if len(valid.local_part.encode()) > 64:
        return None
    return f"{valid.local_part}@{valid.ascii_domain}"


def ours(raw: str) -> str | None:
    try:
        return normalize_address(raw)[0]
    except AddressError:
        return None


CASES = [
    "Ana.Petrovic@Example.RS",
    "ana+news@klaster-nis.example",
    "o'brien@cluster.example",
    "a@b.co",
    "x@sub.domain.example",
    "ana@localhost",
    "ana@example",
    "ana@cluster.local",
    "ana@cluster.onion",
    "ana@ab--cd.example",
    "ana@xn--e1afmkfd.xn--90a3ac",
    "ana@-bad.example",
    "ana@bad-.example",
    "ana@1.2.3.4",
    "ana@cluster.123",
    ".ana@cluster.example",
    "ana.@cluster.example",
    "an..a@cluster.example",
    "a" * 64 + "@cluster.example",
    "a" * 65 + "@cluster.example",
    "ana@" + "a" * 63 + ".example",
    "ana@" + "a" * 64 + ".example",
    "ana@" + ".".join(["abcdefghi"] * 26) + ".example",
]


@pytest.mark.parametrize("raw", CASES)
def test_fast_path_agrees_with_the_library(raw: str) -> None:
    assert ours(raw) == library(raw)


def test_fast_path_agrees_on_random_ascii_addresses() -> None:
    rng = random.Random(5321)
    alphabet = string.ascii_letters + string.digits + ".-_+'@!#"
    for _ in range(3000):
        local = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))
        domain = "".join(
            rng.choice(string.ascii_letters + string.digits + ".-")
            for _ in range(rng.randint(1, 14))
        )
        raw = f"{local}@{domain}.{rng.choice(['rs', 'example', 'bg', 'x1', 'local', 'COM'])}"
        fast = _fast(raw)
        if fast is not None:  # whatever the fast path accepts, the library accepts alike
            assert fast == library(raw), raw


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("Ana.Petrovic@Example.RS", "Ana.Petrovic@example.rs"),
        ("ana@пример.срб", "ana@xn--e1afmkfd.xn--90a3ac"),
        ("ali@örnek.com.tr", "ali@xn--rnek-4qa.com.tr"),
        ("јован@пример.срб", "јован@xn--e1afmkfd.xn--90a3ac"),
    ],
)
def test_reference_table_inp_10(raw: str, stored: str) -> None:
    assert normalize_address(raw)[0] == stored


@pytest.mark.parametrize(
    "raw",
    [
        "ana@@example.rs",
        "ana @example.rs",
        "ana@example",
        "ana@localhost",
        '"quoted"@example.rs',
        "ana@example.rs\r\nBcc: x@y.z",
        '"Ana" <ana@example.rs>',
        "a" * 65 + "@example.rs",
    ],
)
def test_invalid_per_inp_10_and_12(raw: str) -> None:
    with pytest.raises(AddressError):
        normalize_address(raw)


def test_local_part_length_counts_octets_not_characters() -> None:
    with pytest.raises(AddressError, match="65 octets"):
        normalize_address("a" * 65 + "@example.rs")
    with pytest.raises(AddressError, match="too long"):
        normalize_address("ђ" * 33 + "@example.rs")  # 33 characters, 66 octets


def test_dedupe_key_folds_case_and_turkish_i() -> None:
    assert email_key("ALİ@example.com") == email_key("ali̇@example.com")
    assert len(email_key("İ@x.example").split("@")[0]) == 2  # casefold, not a lossy lower()
    assert normalize_address("Ana@X.example")[1] == normalize_address("aNA@x.EXAMPLE")[1]


def test_smtputf8_flag() -> None:
    assert needs_smtputf8("јован@xn--e1afmkfd.xn--90a3ac")
    assert not needs_smtputf8("ana@xn--e1afmkfd.xn--90a3ac")
