"""The words of the member preference centre, in every language the network sends in.

The words are the catalog ``newsletter/locales/preferences.yaml`` (``core/catalogs.py``: Serbian
Latin derived from Cyrillic, English for a missing phrase). Topic names come from the templates'
UI strings, as on the unsubscribe page (web/strings.py).
"""

from __future__ import annotations

from newsletter.core.catalogs import in_language
from newsletter.locales import load

#: Each language named in itself, so a reader finds their own in the list.
LANGUAGE_NAMES: dict[str, str] = {
    "en": "English",
    "sr-Cyrl": "Српски (ћирилица)",
    "sr-Latn": "Srpski (latinica)",
    "bg": "Български",
    "ro": "Română",
    "mk": "Македонски",
    "tr": "Türkçe",
}

#: Language -> key -> phrase, from ``newsletter/locales/preferences.yaml``.
PREFERENCES: dict[str, dict[str, str]] = load("preferences")


def preference_strings(language: str) -> dict[str, str]:
    return in_language(PREFERENCES, language)
