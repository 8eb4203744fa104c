"""Serbian Cyrillic -> Latin, including the capitalisation of Љ, Њ and Џ."""

from __future__ import annotations

import pytest

from newsletter.core.serbian import to_latin, to_latin_deep


@pytest.mark.parametrize(
    ("cyrillic", "latin"),
    [
        # Title case: only the first letter of the digraph is a capital.
        ("Љубав", "Ljubav"),
        ("Њујорк", "Njujork"),
        ("Џеп", "Džep"),
        # All caps: both letters are capitals.
        ("ЉУБАВ", "LJUBAV"),
        ("ЊЕГОШ", "NJEGOŠ"),
        ("ЏЕП", "DŽEP"),
        ("ДЕЧЈИ ЏЕП", "DEČJI DŽEP"),
        # Digraph at the end of an all-caps word looks at the letter before.
        ("КОЊ", "KONJ"),
        ("Коњ", "Konj"),
        ("ЉЉ", "LJLJ"),
        # Single-letter words have no neighbour: title case.
        ("Љ", "Lj"),
        ("Њ", "Nj"),
        ("Џ", "Dž"),
        ("Љ Њ Џ", "Lj Nj Dž"),
        ("Џ.", "Dž."),
        # Lower-case digraphs.
        ("љубав њива џем", "ljubav njiva džem"),
        # Letters without a digraph.
        ("ђ ћ ч ж ш", "đ ć č ž š"),
        ("Ђ Ћ Ч Ж Ш", "Đ Ć Č Ž Š"),
        ("Ђорђе Ћирић", "Đorđe Ćirić"),
        ("абвгдеиклмнопрстуфхц", "abvgdeiklmnoprstufhc"),
        ("Ј", "J"),
        # Latin, digits and punctuation are left alone.
        ("DOFC 2015: Ниш, 1-3. октобар!", "DOFC 2015: Niš, 1-3. oktobar!"),
        ("ЉУБАВ 2015 ABC", "LJUBAV 2015 ABC"),
        ("https://clusterhouse.example/?a=1&b=2", "https://clusterhouse.example/?a=1&b=2"),
        ("", ""),
    ],
)
def test_to_latin(cyrillic: str, latin: str) -> None:
    assert to_latin(cyrillic) == latin


def test_non_serbian_cyrillic_letters_are_left_alone() -> None:
    # Russian/Bulgarian letters with no Serbian counterpart: not invented, not dropped.
    assert to_latin("ЩЪЫщъы") == "ЩЪЫщъы"


def test_to_latin_is_idempotent_on_latin_text() -> None:
    text = "Ljubav NJEGOŠ džep"
    assert to_latin(text) == text


def test_to_latin_deep_walks_nested_dicts_and_lists() -> None:
    copy = {
        "title": "Позив",
        "items": ["Љубав", {"label": "ЊЕГОШ", "count": 3}],
        "pair": ("Џеп", "ш"),
        "flag": True,
        "none": None,
        "Кључ": "вредност",
    }
    assert to_latin_deep(copy) == {
        "title": "Poziv",
        "items": ["Ljubav", {"label": "NJEGOŠ", "count": 3}],
        "pair": ["Džep", "š"],
        "flag": True,
        "none": None,
        "Кључ": "vrednost",  # keys are identifiers, not copy
    }


def test_to_latin_deep_does_not_mutate_its_input() -> None:
    copy = {"items": ["Љубав"]}
    to_latin_deep(copy)
    assert copy == {"items": ["Љубав"]}


@pytest.mark.parametrize("value", [3, 2.5, None, True])
def test_to_latin_deep_returns_other_values_unchanged(value: object) -> None:
    assert to_latin_deep(value) is value
