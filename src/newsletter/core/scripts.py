"""Scripts and legacy encodings: telling Latin from Cyrillic, and cp1250 from cp1251.

Excel in this region saves CSV as UTF-8 (with a BOM), Windows-1250 (Serbian Latin, Croatian,
Slovenian, Romanian, Albanian) or Windows-1251 (Serbian Cyrillic, Macedonian, Bulgarian).
Either legacy code page decodes the other's bytes *without error* into mojibake: the cp1250
bytes of ``Đorđević`` read as cp1251 give ``Рorрeviж``, and the cp1251 bytes of ``Петровић``
read as cp1250 give ``Ďĺňđîâč›`` (tests/core/test_scripts.py). So a code page is chosen only when
the decoded text itself shows it is right:

* read as cp1251, real text has Cyrillic words; the wrong reading puts Cyrillic letters inside
  Latin words (``Рorрeviж``), i.e. words that mix the two scripts;
* read as cp1250, real text has Latin words with a few accented letters; the wrong reading turns
  whole Cyrillic words into runs of accented letters with no plain ASCII letter (``Ďĺňđîâč``).

When neither or both readings are plausible the caller must ask for ``--encoding``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

UTF8 = "utf-8"
UTF8_BOM = "utf-8-sig"
CP1250 = "cp1250"
CP1251 = "cp1251"
#: Human names of the codecs, as Excel's "Save as" dialog and the report show them.
LABELS = {
    UTF8: "UTF-8",
    UTF8_BOM: "UTF-8 with BOM",
    "utf-16": "UTF-16 (Excel 'Unicode text')",
    CP1250: "Windows-1250",
    CP1251: "Windows-1251",
}

_WORD = re.compile(r"[^\W\d_]+")  # runs of letters: \w minus digits and underscore
# UTF-8 read as Latin-1/Windows-1252 (double encoding): a lead byte shown as Ã/Â/Ä/Å/Ð/Ñ
# followed by a continuation byte shown as a C1 control, a Latin-1 symbol or cp1252 punctuation.
_MOJIBAKE = re.compile(
    "[ÂÃÄÅÐÑ][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]"
)
# Above this share of suspicious words a reading is implausible. Real files sit near 0 %, the
# wrong reading near 100 %; the margin absorbs a few typos (a Latin ``a`` in a Cyrillic name).
_IMPLAUSIBLE = 0.5
_CYRILLIC = re.compile("[\u0400-\u052f]")
_LATIN = re.compile("[A-Za-z\u00c0-\u024f\u1e00-\u1eff]")
_CONTROLS = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@lru_cache(maxsize=4096)
def script_of(char: str) -> str:
    """``latin``, ``cyrillic``, ``greek`` or ``other`` for one letter (by Unicode name)."""
    if char.isascii():
        return "latin" if char.isalpha() else "other"
    name = unicodedata.name(char, "")
    for script in ("LATIN", "CYRILLIC", "GREEK"):
        if name.startswith(script):
            return script.lower()
    return "other"


def mixed_script_words(text: str) -> list[str]:
    """Words that contain both Latin and Cyrillic letters (``Рorрeviж``, ``Pетровић``).

    Such words are either mojibake or look-alike letters typed on the wrong keyboard; both
    break sorting, searching and deduplication.
    """
    if text.isascii() or not (_CYRILLIC.search(text) and _LATIN.search(text)):
        return []  # one script only: the common case, decided without a per-letter look-up
    found = []
    for word in _WORD.findall(text):
        scripts = {script_of(c) for c in word}
        if {"latin", "cyrillic"} <= scripts:
            found.append(word)
    return found


def looks_like_mojibake(text: str) -> bool:
    """U+FFFD, or UTF-8 bytes that were decoded once more as Latin-1/cp1252 (``Ä‡`` for ``ć``)."""
    return "\ufffd" in text or bool(_MOJIBAKE.search(text))


@dataclass(frozen=True, slots=True)
class Reading:
    """How one candidate code page reads the bytes."""

    encoding: str
    text: str | None  # None: the bytes are not valid in this code page
    words: int = 0  # words containing a non-ASCII letter
    mixed: int = 0  # ... that mix Latin and Cyrillic
    foreign: int = 0  # ... made only of non-ASCII letters (>= 2 letters, no ASCII letter)

    @property
    def plausible(self) -> bool:
        if self.text is None or _has_controls(self.text):
            return False
        if self.encoding == CP1251:
            return self.mixed <= _IMPLAUSIBLE * self.words
        return self.foreign <= _IMPLAUSIBLE * self.words


@dataclass(frozen=True, slots=True)
class Detection:
    """The outcome of :func:`detect_encoding`: a codec, or why none could be chosen."""

    encoding: str | None
    detected: bool
    problem: str = ""
    readings: tuple[Reading, ...] = ()


def detect_encoding(data: bytes) -> Detection:
    """Choose the codec of a member file's bytes, or say why it cannot be done safely."""
    if data.startswith(b"\xef\xbb\xbf"):
        return _strict(data, UTF8_BOM)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _strict(data, "utf-16")
    try:
        data.decode(UTF8)
    except UnicodeDecodeError:
        pass
    else:
        return Detection(UTF8, detected=True)
    readings = tuple(read_as(data, enc) for enc in (CP1250, CP1251))
    plausible = [r for r in readings if r.plausible]
    texts = {r.text for r in readings if r.text is not None}
    if len(plausible) == 2 and len(texts) == 1:
        # Only bytes both pages map to the same characters (e.g. ``©``, ``«``): either is right.
        return Detection(CP1250, detected=True, readings=readings)
    if len(plausible) == 1 and plausible[0].words:
        return Detection(plausible[0].encoding, detected=True, readings=readings)
    why = (
        "it reads plausibly both as Windows-1250 and as Windows-1251"
        if len(plausible) == 2 or (plausible and not plausible[0].words)
        else "it is neither valid UTF-8 nor plausible Windows-1250 or Windows-1251 text"
    )
    return Detection(None, detected=False, problem=why, readings=readings)


def read_as(data: bytes, encoding: str) -> Reading:
    """Decode strictly and count the words that betray a wrong code page."""
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        return Reading(encoding, None)
    words = mixed = foreign = 0
    for word in _WORD.findall(text):
        if word.isascii():
            continue
        words += 1
        scripts = {script_of(c) for c in word}
        if {"latin", "cyrillic"} <= scripts:
            mixed += 1
        if len(word) >= 2 and not any(c.isascii() for c in word):
            foreign += 1
    return Reading(encoding, text, words, mixed, foreign)


def _strict(data: bytes, encoding: str) -> Detection:
    try:
        data.decode(encoding)
    except UnicodeDecodeError as exc:
        return Detection(
            None, detected=False, problem=f"it starts with a {LABELS[encoding]} mark but {exc}"
        )
    return Detection(encoding, detected=True)


def _has_controls(text: str) -> bool:
    """Control characters other than tab, line breaks and NUL (stripped per cell later): a
    binary file, or a code page that maps bytes to C1 controls, is not member data."""
    return bool(_CONTROLS.search(text))
