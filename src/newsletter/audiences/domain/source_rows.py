"""A source system's row turned into our fields: the person's standing there (subscribed,
unsubscribed, cleaned) and the JSON attributes listmonk keeps beside the columns.

The pseudo-fields are named in :mod:`newsletter.audiences.domain.sources`; a row that has any
of them goes through :func:`resolve` before it is checked like any other row.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from newsletter.audiences.domain.columns import ALIASES, CellProblem, header_key
from newsletter.audiences.domain.members import COLUMNS
from newsletter.audiences.domain.sources import (
    ATTRIBUTES,
    CLEANED_AT,
    PSEUDO,
    STANDING,
    UNSUBSCRIBED_AT,
)

__all__ = ["PSEUDO", "resolve", "spread_attributes", "standing_of"]

# A source's word for a person's standing -> ours. listmonk: "enabled" gets campaigns,
# "blocklisted" gets nothing ever; "disabled" gets nothing either, so it is read as opted out.
_STANDINGS: Mapping[str, str] = {
    "subscribed": "subscribed",
    "enabled": "subscribed",
    "active": "subscribed",
    "confirmed": "subscribed",
    "unsubscribed": "unsubscribed",
    "blocklisted": "unsubscribed",
    "blacklisted": "unsubscribed",
    "disabled": "unsubscribed",
    "cleaned": "cleaned",
    "bounced": "cleaned",
}


def standing_of(value: str) -> str | None:
    """Our standing for a source's status word, or None if the word is unknown."""
    return _STANDINGS.get(value.strip().casefold())


def spread_attributes(text: str) -> tuple[dict[str, str], list[str]] | str:
    """A JSON object of further fields (listmonk ``attributes``): the values of keys that name
    one of our fields (by the same aliases as headers), and the keys that do not. A string
    when the cell is not a JSON object (RFC 8259)."""
    if not text.strip():
        return {}, []
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return f"not JSON ({exc.msg} at character {exc.pos})"
    if not isinstance(data, dict):
        return "not a JSON object"
    values: dict[str, str] = {}
    unknown: list[str] = []
    for key, value in data.items():
        target = ALIASES.get(header_key(str(key)))
        if target in COLUMNS and isinstance(value, str | int | float) and target != "email":
            values[target] = str(value).strip()
        elif target in COLUMNS and target == "topics" and isinstance(value, list):
            values[target] = ";".join(str(v) for v in value)
        else:
            unknown.append(str(key))
    return values, unknown


def resolve(cells: Mapping[str, str]) -> tuple[dict[str, str], list[str]] | CellProblem:
    """A row's pseudo-fields turned into fields: the standing (``subscribed``, ``unsubscribed``,
    ``cleaned``) under :data:`STANDING`, the attributes spread into the fields the row left
    empty. Returns the cells and the attribute keys not used, or what is wrong."""
    out = {k: v for k, v in cells.items() if k not in PSEUDO}
    standing = "subscribed"
    word = cells.get(STANDING, "").strip()
    if word:
        found = standing_of(word)
        if found is None:
            known = ", ".join(sorted(_STANDINGS))
            return CellProblem(STANDING, f"status {word!r} is not one we know ({known})")
        standing = found
    if cells.get(UNSUBSCRIBED_AT, "").strip():
        standing = "unsubscribed"
    if cells.get(CLEANED_AT, "").strip():
        standing = "cleaned"
    unused: list[str] = []
    if cells.get(ATTRIBUTES, "").strip():
        spread = spread_attributes(cells[ATTRIBUTES])
        if isinstance(spread, str):
            return CellProblem(ATTRIBUTES, spread)
        values, unused = spread
        for name, value in values.items():
            if not out.get(name):
                out[name] = value
    out[STANDING] = standing
    return out, unused
