"""Serbian is written in two scripts; staff write Cyrillic once and Latin is generated.

Cyrillic -> Latin is a one-to-one letter mapping (the official Serbian Latin alphabet, Vuk's
reform); the reverse is ambiguous (``nj`` in ``konjugacija`` is two letters), so we never go back.
Digraph letters need care with capitals: ``Љубав`` -> ``Ljubav`` but ``ЉУБАВ`` -> ``LJUBAV``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: Serbian Cyrillic -> Serbian Latin, lowercase (core/search_keys.py builds on it).
LETTERS: Mapping[str, str] = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "ђ": "đ", "е": "e", "ж": "ž", "з": "z",
    "и": "i", "ј": "j", "к": "k", "л": "l", "љ": "lj", "м": "m", "н": "n", "њ": "nj", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "ћ": "ć", "у": "u", "ф": "f", "х": "h", "ц": "c",
    "ч": "č", "џ": "dž", "ш": "š",
}  # fmt: skip
_DIGRAPHS = {"љ", "њ", "џ"}


def to_latin(text: str) -> str:
    """Transliterate Serbian Cyrillic to Serbian Latin, leaving other characters alone."""
    out: list[str] = []
    for i, ch in enumerate(text):
        low = ch.lower()
        latin = LETTERS.get(low)
        if latin is None:
            out.append(ch)
            continue
        if ch == low:
            out.append(latin)
        elif low in _DIGRAPHS and _neighbour_is_upper(text, i):
            out.append(latin.upper())  # ЉУБАВ -> LJUBAV
        else:
            out.append(latin[0].upper() + latin[1:])  # Љубав -> Ljubav
    return "".join(out)


def _neighbour_is_upper(text: str, i: int) -> bool:
    """An all-caps word: the next letter (or, at a word's end, the previous one) is a capital."""
    after = text[i + 1] if i + 1 < len(text) else ""
    before = text[i - 1] if i > 0 else ""
    if after.isalpha():
        return after.isupper()
    return before.isalpha() and before.isupper()


def to_latin_deep(value: Any) -> Any:
    """Transliterate every string inside nested dicts/lists (campaign copy blocks)."""
    if isinstance(value, str):
        return to_latin(value)
    if isinstance(value, Mapping):
        return {k: to_latin_deep(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_latin_deep(v) for v in value]
    return value
