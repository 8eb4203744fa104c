"""Search keys: one spelling-blind form of a name, whatever script or keyboard it was typed on.

Staff in Niš, Skopje and Sofia type names in Latin without the diacritics (``Djordje``,
``Dordje``, ``Ristic``), with them (``Đorđe``, ``Ristić``) or in Cyrillic (``Ђорђе``,
``Ристић``); members' names are held in whichever script they gave. A name and a query are
both folded to the same key, so that each of those finds the others:

1. Cyrillic letters become Latin ones: Serbian as :data:`newsletter.core.serbian.LETTERS`
   (Vuk's alphabet), plus the Macedonian letters of its official Latin alphabet (ѓ ǵ, ќ ḱ,
   ѕ dz) and the Bulgarian ones of the Streamlined System of the Bulgarian Transliteration Act
   2009 (щ sht, ъ a, ь y, ю yu, я ya, й y).
2. Case is folded (``str.casefold``), ``đ`` becomes ``dj`` (it has no Unicode decomposition),
   and diacritics are dropped (NFKD, then every combining mark removed): ``ć č`` -> ``c``.
3. The spellings that the three romanisations and everyday typing use for one sound are made
   one: ``dj`` and ``đ`` -> ``d`` (``Djordje`` = ``Dordje``), ``zh`` -> ``z`` (Bulgarian ж, Serbian
   ž), ``ch`` -> ``c``, ``sh`` -> ``s``, ``ts`` -> ``c`` (Bulgarian ц), ``gj``/``kj`` -> ``g``/``k``
   (Macedonian ѓ ќ), ``y`` -> ``j`` (Bulgarian й, Serbian ј).

A key is a set of words (runs of letters and digits). Step 3 also merges a few spellings that
are different names (``Dj`` and ``D``); for a search box that only adds candidates, never
hides one. The reverse direction, Latin -> Cyrillic, is never needed: both sides meet in the
folded Latin form, so a Latin query finds a Cyrillic name and a Cyrillic query a Latin one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache

from newsletter.core.serbian import LETTERS

#: Longest word kept in a key (the stored column's width); longer ones are cut, never dropped.
MAX_TERM = 64
#: Words of a query that count; the rest of a pasted paragraph is ignored.
MAX_QUERY_WORDS = 8

_EXTRA: Mapping[str, str] = {
    # Macedonian (official Latin alphabet)
    "ѓ": "ǵ", "ќ": "ḱ", "ѕ": "dz",
    # Bulgarian (Streamlined System, Transliteration Act 2009); ж ч ш ц via the Serbian table
    # and step 3 meet the Bulgarian zh ch sh ts.
    "щ": "sht", "ъ": "a", "ь": "y", "ю": "yu", "я": "ya", "й": "y",
    # Russian and Ukrainian letters that turn up in the same lists
    "ы": "y", "э": "e", "ё": "e", "є": "ye", "і": "i", "ї": "yi", "ґ": "g",
}  # fmt: skip
_CYRILLIC: Mapping[str, str] = {**LETTERS, **_EXTRA}
# Letters NFKD leaves whole (no combining mark to strip).
_UNDECOMPOSED: Mapping[str, str] = {
    "đ": "dj", "ł": "l", "ø": "o", "æ": "ae", "œ": "oe", "ı": "i", "ŧ": "t", "ħ": "h",
}  # fmt: skip
_TABLE = str.maketrans({**_CYRILLIC, **_UNDECOMPOSED})
# Step 3, in this order (each replacement sees the previous ones' output; data and queries go
# through the same steps, so only consistency matters). str.replace runs in C: an import folds
# every member's name, organisation and address.
_SOUNDS = (
    ("dj", "d"), ("gj", "g"), ("kj", "k"), ("zh", "z"), ("ch", "c"), ("sh", "s"), ("ts", "c"),
    ("y", "j"),
)  # fmt: skip
_WORD = re.compile(r"[^\W_]+")


def fold(text: str) -> str:
    """The folded form of ``text`` (steps 1-3 above), punctuation and spaces kept."""
    if text.isascii():
        lowered = text.lower()  # casefold and lower agree on ASCII; nothing to transliterate
    else:
        lowered = text.casefold().translate(_TABLE)
        if not lowered.isascii():
            decomposed = unicodedata.normalize("NFKD", lowered)
            lowered = "".join(c for c in decomposed if not unicodedata.combining(c))
            lowered = lowered.translate(_TABLE)  # a letter NFKD produced, e.g. a ligature
    for pair, one in _SOUNDS:
        if pair in lowered:
            lowered = lowered.replace(pair, one)
    return lowered


@lru_cache(maxsize=16384)
def _words(text: str) -> frozenset[str]:
    """The folded words of one text; names, organisations and domains repeat from member to
    member, so each distinct one is folded once."""
    return frozenset(word[:MAX_TERM] for word in _WORD.findall(fold(text)))


def search_terms(*texts: str) -> frozenset[str]:
    """The words a person is found by: every word of every text, folded, at most
    :data:`MAX_TERM` characters each (an address gives its local part's and domain's words)."""
    found: set[str] = set()
    for text in texts:
        if "@" in text:  # the domain is shared by a whole organisation: cached apart
            local, _, domain = text.rpartition("@")
            found.update(_words(local), _words(domain))
        else:
            found.update(_words(text))
    return frozenset(found)


def address_term(email: str) -> str:
    """An address as one term: case-folded, not folded further, so that a query that is the
    start of an address (``b.ristic@``) finds it by prefix. One term instead of the address's
    words: those nearly doubled the terms an import writes (benchmarks/README.md)."""
    return email.strip().casefold()[:MAX_TERM]


def member_terms(first_name: str, last_name: str, organization: str, email: str) -> frozenset[str]:
    """Everything a member is found by: the words of their name and organisation, and their
    address whole."""
    return search_terms(first_name, last_name, organization) | {address_term(email)}


def query_words(text: str) -> tuple[str, ...]:
    """The folded words of a search box, each to be the start of one of a person's terms;
    duplicates and words that begin another query word are dropped (they add no condition)."""
    words = list(dict.fromkeys(w[:MAX_TERM] for w in _WORD.findall(fold(text))))
    kept = [w for w in words if not any(o != w and o.startswith(w) for o in words)]
    return tuple(kept[:MAX_QUERY_WORDS])


def prefix_range(word: str) -> tuple[str, str]:
    """``[low, high)`` holding exactly the strings that start with ``word`` in code point order
    (SQLite's BINARY collation, PostgreSQL's "C"): a range an index answers, unlike
    ``LIKE 'w%'``, which SQLite indexes only under ``case_sensitive_like`` and PostgreSQL only
    with ``text_pattern_ops`` or the C collation."""
    return word, word[:-1] + chr(ord(word[-1]) + 1)
