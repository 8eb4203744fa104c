"""Password hashing for staff accounts: scrypt with a per-user salt, self-describing."""

from __future__ import annotations

import pytest

from newsletter.errors import InputError
from newsletter.staff.domain.users import (
    DUMMY_HASH,
    check_password_rules,
    hash_password,
    session_key,
    verify_password,
)


def test_hash_names_its_parameters_and_verifies() -> None:
    stored = hash_password("correct horse battery", b"s" * 16)
    assert stored.startswith("scrypt$16384$8$1$")
    assert verify_password("correct horse battery", stored)
    assert not verify_password("correct horse batterz", stored)


def test_same_password_different_salt_gives_different_hashes() -> None:
    assert hash_password("pw pw pw pw", b"a" * 16) != hash_password("pw pw pw pw", b"b" * 16)


@pytest.mark.parametrize("stored", ["", "md5$abc", "scrypt$x$8$1$aa$bb", "scrypt$1$2"])
def test_malformed_hashes_never_verify(stored: str) -> None:
    assert not verify_password("anything", stored)


def test_dummy_hash_matches_no_ordinary_password() -> None:
    assert not verify_password("", DUMMY_HASH)


def test_short_passwords_are_refused() -> None:
    with pytest.raises(InputError):
        check_password_rules("short")
    check_password_rules("long enough!")


def test_session_key_is_a_hash_not_the_token() -> None:
    key = session_key("token")
    assert len(key) == 64 and "token" not in key
