"""A source system's row: its standing and its JSON attributes turned into our fields."""

from __future__ import annotations

from newsletter.audiences.domain.columns import CellProblem
from newsletter.audiences.domain.source_rows import resolve, spread_attributes


def test_standing_from_words_and_times() -> None:
    assert resolve({"email": "a@b.rs", "standing": "blocklisted"}) == (
        {"email": "a@b.rs", "standing": "unsubscribed"},
        [],
    )
    assert resolve({"email": "a@b.rs", "cleaned_at": "2023-03-01 10:00:00"})[0] == {  # type: ignore[index]
        "email": "a@b.rs",
        "standing": "cleaned",
    }
    assert resolve({"email": "a@b.rs", "unsubscribed_at": ""})[0]["standing"] == "subscribed"  # type: ignore[index]
    wrong = resolve({"email": "a@b.rs", "standing": "maybe"})
    assert isinstance(wrong, CellProblem) and wrong.field == "standing"


def test_attributes_fill_only_empty_fields_and_name_unknown_keys() -> None:
    text = '{"city": "Niš", "Company": "Klaster Niš", "country": "RS", "topics": ["events"]}'
    assert spread_attributes(text) == (
        {"organization": "Klaster Niš", "country": "RS", "topics": "events"},
        ["city"],
    )
    found = resolve({"email": "a@b.rs", "country": "BG", "attributes": text})
    assert not isinstance(found, CellProblem)
    cells, unused = found
    assert cells["country"] == "BG" and cells["organization"] == "Klaster Niš"
    assert unused == ["city"]
    assert spread_attributes("[1, 2]") == "not a JSON object"
    assert str(spread_attributes("{oops")).startswith("not JSON (")
