"""Text as staff type it into spreadsheets: one normal form, and a quick proof that a row of
cells is in it already.

Names arrive decomposed (macOS), with Romanian cedillas where comma-below letters belong (legacy
keyboards), and with line breaks and doubled spaces from Excel cells. :func:`normalize_text`
folds all of that; :func:`framed_if_tidy` decides for a whole row at once that it would change
nothing, which is what almost every row of a member file is.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

# Romanian is written with comma-below letters (SR 13011); legacy keyboards produce cedillas.
_ROMANIAN_CEDILLA = str.maketrans({"ş": "ș", "Ş": "Ș", "ţ": "ț", "Ţ": "Ț"})
_CEDILLAS = re.compile("[şŞţŢ]")


def normalize_text(value: str) -> str:
    """NFC, Romanian comma-below letters, inner whitespace (CR/LF from Excel cells) folded."""
    if value.isascii():  # most cells: NFC and the cedilla map cannot change ASCII (fast path)
        return " ".join(value.split())
    text = unicodedata.normalize("NFC", value)
    if _CEDILLAS.search(text):  # str.translate is slow; most text has no cedilla
        text = text.translate(_ROMANIAN_CEDILLA)
    return " ".join(text.split())


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
    if joined.isascii() or (
        unicodedata.is_normalized("NFC", framed)
        and "ş" not in joined  # four substring searches beat one regular expression here
        and "ţ" not in joined
        and "Ş" not in joined
        and "Ţ" not in joined
    ):
        return framed
    return None
