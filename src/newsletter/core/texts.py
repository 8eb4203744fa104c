"""Text as staff type it into spreadsheets: one normal form, and a quick proof that a row of
cells is in it already.

Names arrive decomposed (macOS) and with line breaks and doubled spaces from Excel cells;
:func:`normalize_text` folds that for every language (NFC, whitespace), and
:func:`framed_if_tidy` decides for a whole row at once that it would change nothing, which is
what almost every row of a member file is.

Some letters are right in one language and wrong in another: Romanian writes ș and ț with a
comma below (SR 13011) where legacy keyboards type the cedilla ş and ţ, which is the letter
Turkish writes; Hungarian writes ő and ű, which Latin-1 exports turn into õ and û, letters of
Portuguese and Estonian. So :data:`LETTER_RULES` holds each such rule under its language, and
:func:`fix_letters` applies one only to text known to be in that language
(:func:`letters_language`): a Turkish "Şahin" never becomes "Șahin".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

#: Per language, the letters legacy keyboards and exports write in place of its own.
LETTER_RULES: dict[str, dict[str, str]] = {
    # SR 13011 comma-below; Windows-1250 and old keyboards have only the cedilla forms.
    "ro": {"ş": "ș", "Ş": "Ș", "ţ": "ț", "Ţ": "Ț"},
    # Turkish ş is the cedilla; a comma-below one comes from a Romanian-locale system.
    "tr": {"ș": "ş", "Ș": "Ş"},
    # Hungarian double acute; Latin-1 (Windows-1252) exports substitute tilde and circumflex.
    "hu": {"õ": "ő", "Õ": "Ő", "û": "ű", "Û": "Ű"},
}
_TABLES = {lang: str.maketrans(rule) for lang, rule in LETTER_RULES.items()}
_FINDS = {lang: re.compile(f"[{''.join(rule)}]") for lang, rule in LETTER_RULES.items()}
#: Where a row names no language with a rule of its own: the country's language.
_COUNTRY_LANGUAGE = {"RO": "ro", "MD": "ro", "TR": "tr", "HU": "hu"}


def normalize_text(value: str) -> str:
    """NFC and inner whitespace (CR/LF from Excel cells) folded: right in every language.
    Letters are left as written; a language's own rule is :func:`fix_letters`."""
    if value.isascii():  # most cells: NFC cannot change ASCII (fast path)
        return " ".join(value.split())
    return " ".join(unicodedata.normalize("NFC", value).split())


@lru_cache(maxsize=256)  # once per (language, country) pair a member file holds
def letters_language(language: str, country: str = "") -> str:
    """Whose letter rule applies to a member's names: their language when it has a rule
    (``ro``, ``tr``, ``hu``), else their country's (RO and MD Romanian, TR Turkish, HU
    Hungarian), else none (""). An English-speaking member in Romania has a Romanian name
    far more often than not; a name in Serbia, Bulgaria or Greece is left as written."""
    primary = language.split("-", 1)[0].lower()
    if primary in LETTER_RULES:
        return primary
    return _COUNTRY_LANGUAGE.get(country.upper(), "")


def fix_letters(value: str, language: str) -> str:
    """``value`` (already NFC) with ``language``'s letter rule applied; unchanged for a
    language without one."""
    find = _FINDS.get(language)
    if find is None or value.isascii() or not find.search(value):
        return value
    return value.translate(_TABLES[language])


def tidy_cells(values: Sequence[str]) -> bool:
    """True when :func:`normalize_text` would return every one of the cells unchanged."""
    return framed_if_tidy(values) is not None


def framed_if_tidy(values: Sequence[str]) -> str | None:
    """The cells joined, each preceded by U+001F, when :func:`normalize_text` would return every
    one unchanged; None otherwise (or when a cell is None).

    The usual row, proved in a few C-level passes instead of a dozen calls. ``isprintable()``
    is False for every whitespace character but the ASCII space (all are Unicode "Other" or
    "Separator"), and for NUL and the invisible format characters; NFC is decided per cell too,
    since U+001F is a starter that composes with nothing (UAX #15).
    """
    try:
        joined = "".join(values)
    except TypeError:  # a None cell
        return None
    if not joined.isprintable() or "  " in joined:
        return None
    framed = "\x1f" + "\x1f".join(values)
    if "\x1f " in framed or " \x1f" in framed or framed.endswith(" "):
        return None  # a space at either end of a cell
    if joined.isascii() or unicodedata.is_normalized("NFC", framed):
        return framed
    return None
