"""The import's fast paths give exactly what the careful ones give: a row proved tidy needs no
normalisation, a row proved clean needs no cleaning, and the quick address key is the key."""

from __future__ import annotations

import random
import unicodedata

import pytest

from newsletter.audiences.domain.columns import _clean_each, clean_already, clean_cells
from newsletter.audiences.domain.members import COLUMNS, parse_member_row
from newsletter.core.addresses import email_key, normalize_address
from newsletter.core.texts import framed_if_tidy, normalize_text, tidy_cells

PLAIN = ["Ana", "Petrović", "Марко", "Ștefan", "Cluster 7", "x" * 120, "", "ı", "ß", "-1"]
# Pieces of cells that trip one rule or another.
TRICKY = [
    "Ştefan",  # cedilla
    "S\u0327tefan",  # decomposed
    "Cafe\u0301",
    " ",
    "  ",
    "\t",
    "\r\n",
    "\u00a0",  # NBSP
    "\u2028",
    "\u200b",  # zero-width space
    "\ufeff",
    "\x00",
    "\x1f",
    "'",
    "=",
    "+381",
    "-",
    "@",
    "=SUM(1)",
    "Ä‡",  # mojibake
]


def cell(rng: random.Random) -> str:
    return "".join(
        rng.choice(TRICKY if rng.random() < 0.05 else PLAIN) for _ in range(rng.randint(0, 3))
    )


def cells(rng: random.Random) -> list[str]:
    return [cell(rng) for _ in range(6)]


def test_a_tidy_row_is_one_normalize_text_leaves_alone() -> None:
    rng = random.Random(2015)
    tidy = 0
    for _ in range(20_000):
        values = cells(rng)
        framed = framed_if_tidy(values)
        expected = all(normalize_text(v) == v for v in values)
        # Never a false "tidy"; a false "untidy" only costs the careful path.
        assert not (framed is not None and not expected), values
        if framed is not None:
            tidy += 1
            assert framed == "".join("\x1f" + v for v in values)
            assert tidy_cells(values)
    assert 2000 < tidy < 18_000  # both verdicts well represented


@pytest.mark.parametrize(
    "values",
    [
        ["Ana ", "x"],
        [" Ana", "x"],
        ["Ana", "x "],
        ["A  na"],
        ["Ana\r\nMaria"],
        ["S\u0327tefan"],
        ["Cafe\u0301"],
        ["A\u00a0B"],
        ["A\u200bB"],
    ],
)
def test_untidy_rows(values: list[str]) -> None:
    assert framed_if_tidy(values) is None


def test_a_cedilla_is_tidy_the_letter_rule_is_the_language_s() -> None:
    # Turkish "Şahin" is right as it is; the Romanian rule runs only for Romanian rows.
    assert framed_if_tidy(["Şahin", "Ştefan"]) == "\x1fŞahin\x1fŞtefan"


def test_a_row_with_a_none_cell_is_not_tidy() -> None:
    assert framed_if_tidy(["Ana", None]) is None  # type: ignore[list-item]


def test_the_fast_cleaning_gives_what_the_careful_one_gives() -> None:
    rng = random.Random(4180)
    fast = 0
    names = ["email", "first_name", "last_name", "organization", "role", "country"]
    for _ in range(20_000):
        row = dict(zip(names, cells(rng), strict=True))
        assert clean_cells(row) == _clean_each(row), row
        if clean_already(row):
            fast += 1
            assert _clean_each(row) == row
            assert all(normalize_text(v) == v for v in row.values())
    assert 2000 < fast < 18_000


def test_parsing_a_row_known_tidy_gives_the_same_member() -> None:
    rng = random.Random(7)
    same = 0
    for _ in range(5_000):
        row = dict(zip(COLUMNS[1:7], cells(rng), strict=False))
        row |= {"email": "ana@example.org", "country": rng.choice(["RS", "rs", " RS", "XXX"])}
        if clean_already(row):
            same += 1
            assert parse_member_row(row, 2, tidy=True) == parse_member_row(row, 2)
    assert 500 < same < 4500


@pytest.mark.parametrize(
    "raw",
    [
        "Ana.Petrovic@Example.RS",
        "ANA@X.EXAMPLE",
        "o'brien@cluster.example",
        "ana@пример.срб",
        "Straße@x.example",
        "ALİ@klaster.example",
        "ａ@b.example",
    ],
)
def test_the_quick_key_of_an_ascii_address_is_the_key(raw: str) -> None:
    stored, key = normalize_address(raw)
    assert key == email_key(stored)
    assert key == unicodedata.normalize("NFKC", stored).casefold()
