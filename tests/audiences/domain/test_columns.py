"""Header aliases, cell hygiene, formula neutralisation (OWASP CSV injection)."""

from __future__ import annotations

import random

import pytest

from newsletter.audiences.domain.columns import (
    _ALIASES,
    ALIASES,
    MAX_CELL,
    CellProblem,
    clean_cells,
    guard,
    header_key,
    map_header,
    unguard,
)
from newsletter.audiences.domain.members import COLUMNS


@pytest.mark.parametrize(
    ("header", "canonical"),
    [
        ("E-mail", "email"),
        ("Email Address", "email"),
        ("e-mail adresa", "email"),
        ("EMAIL", "email"),
        ("e_mail", "email"),
        ("Ime", "first_name"),
        ("Име", "first_name"),
        ("Prezime", "last_name"),
        ("Презиме", "last_name"),
        ("Име и презиме", "full_name"),
        ("Organizacija", "organization"),
        ("Организација", "organization"),
        ("Država", "country"),
        ("Drzava", "country"),
        ("Country", "country"),
        ("Jezik", "language"),
        ("Language", "language"),
        ("Tier", "tier"),
        ("Topics", "topics"),
        ("Teme", "topics"),
        ("Consent version", "consent_wording"),
        (" first name ", "first_name"),
        ("Ţară", "country"),
        ("Țară", "country"),
    ],
)
def test_aliases_map_to_canonical_columns(header: str, canonical: str) -> None:
    assert map_header(["email", header] if canonical != "email" else [header]).columns[-1] == (
        canonical
    )


def test_no_alias_means_two_columns() -> None:
    seen: dict[str, str] = {}
    for canonical, aliases in _ALIASES.items():
        for alias in (canonical, *aliases):
            key = header_key(alias)
            assert seen.setdefault(key, canonical) == canonical, alias
    assert set(COLUMNS) <= set(ALIASES.values())


def test_unknown_columns_are_named_and_ours_are_ignored() -> None:
    found = map_header(["E-mail", "Favourite colour", "row", "reason"])
    assert found.unknown == ("Favourite colour",)
    assert "unknown column(s) 'Favourite colour'" in found.problem
    assert map_header(["email", "row", "reason"]).columns == ("email", None, None)


def test_two_headers_meaning_one_column_clash() -> None:
    assert map_header(["Email", "E-mail"]).problem == "columns 'Email' and 'E-mail' both mean email"
    assert "no 'email' column" in map_header(["Ime"]).problem


@pytest.mark.parametrize(
    "value",
    [
        "=1+1",
        '=HYPERLINK("http://evil.example","click")',
        "@SUM(1+1)",
        "+cmd|' /C calc'!A0",
        "-2+3+cmd|' /C calc'!A0",
        "'=1+1",  # our guard removed, then still a formula
    ],
)
def test_formula_cells_are_refused(value: str) -> None:
    found = clean_cells({"email": "a@b.rs", "first_name": value})
    assert isinstance(found, CellProblem) and found.field == "first_name"
    assert "looks like a spreadsheet formula" in found.reason


@pytest.mark.parametrize(
    ("value", "kept"),
    [("-", "-"), ("+381 11 123 456", "+381 11 123 456"), ("'+381 11", "+381 11"), ("'Ana", "'Ana")],
)
def test_data_that_only_starts_like_a_formula_is_kept(value: str, kept: str) -> None:
    assert clean_cells({"email": "a@b.rs", "role": value}) == {"email": "a@b.rs", "role": kept}


def test_enormous_cells_are_refused_naming_the_column() -> None:
    found = clean_cells({"email": "a@b.rs", "organization": "x" * 1_048_576})
    assert found == CellProblem(
        "organization", f"cell is 1,048,576 characters long; the limit is {MAX_CELL:,}"
    )
    assert isinstance(clean_cells({"email": "a@b.rs", "role": "x" * MAX_CELL}), dict)


def test_invisible_characters_are_removed() -> None:
    cleaned = clean_cells({"email": "zero\u200bwidth@x.rs\ufeff", "first_name": "A\x00na\u2060"})
    assert cleaned == {"email": "zerowidth@x.rs", "first_name": "Ana"}


@pytest.mark.parametrize(
    ("cells", "first", "last"),
    [
        ({"full_name": "Ана Марија Петровић"}, "Ана Марија", "Петровић"),
        ({"full_name": "Madonna"}, "Madonna", ""),
        ({"full_name": "Ana", "last_name": "Petrović"}, "Ana", "Petrović"),
        ({"full_name": "X Y", "first_name": "Ana", "last_name": "P"}, "Ana", "P"),
    ],
)
def test_full_name_column_is_split(cells: dict[str, str], first: str, last: str) -> None:
    cleaned = clean_cells({"email": "a@b.rs", **cells})
    assert isinstance(cleaned, dict)
    assert (cleaned.get("first_name", ""), cleaned.get("last_name", "")) == (first, last)
    assert "full_name" not in cleaned


def test_status_column_refuses_inactive_rows() -> None:
    assert clean_cells({"email": "a@b.rs", "status": "active"}) == {"email": "a@b.rs"}
    found = clean_cells({"email": "a@b.rs", "status": "unsubscribed"})
    assert isinstance(found, CellProblem) and found.field == "status"


def test_guard_neutralises_every_trigger_and_round_trips() -> None:
    rng = random.Random(50)
    alphabet = "=+-@\t\r\n\0'ab1 "
    for _ in range(5000):
        value = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6)))
        guarded = guard(value)
        assert not guarded.startswith(("=", "+", "-", "@", "\t", "\r", "\n", "\0"))
        assert unguard(guarded) == value
