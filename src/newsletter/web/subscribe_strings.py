"""The words of the public subscription form and the archive, in every language the network
sends in, and how a visitor's language is chosen.

The words are the catalog ``newsletter/locales/subscribe.yaml`` (``core/catalogs.py``: Serbian
Latin derived from Cyrillic, English for a missing phrase).

The consent sentence is what a subscriber agrees to; its version id, :data:`WORDING_VERSION`, is
stored with every consent the form records (GDPR Art. 7(1): being able to show what was agreed
to). Change the sentence in any language and the version must change with it.

Lists are named by the templates' ``topic_<topic>`` phrases, which are in the form that follows
"subscribe to" in each language (accusative in Serbian, dative in Turkish): every sentence here
that names lists ends in that verb.
"""

from __future__ import annotations

from newsletter.audiences.domain.members import LANGUAGES
from newsletter.core.catalogs import in_language
from newsletter.locales import load

WORDING_VERSION = "subscribe-form/v1"

#: Language -> key -> phrase, from ``newsletter/locales/subscribe.yaml``.
SUBSCRIBE: dict[str, dict[str, str]] = load("subscribe")

#: Primary language subtags a browser may send, to the variant we write (RFC 4647 lookup).
_PRIMARY = {"en": "en", "sr": "sr-Cyrl", "bg": "bg", "ro": "ro", "mo": "ro", "mk": "mk", "tr": "tr"}


def subscribe_strings(language: str) -> dict[str, str]:
    return in_language(SUBSCRIBE, language)


def negotiate(explicit: str | None, accept_language: str) -> str:
    """The page language: ``?lang=`` when it is one of ours, else the browser's first
    acceptable one (RFC 9110 §12.5.4 ``Accept-Language`` with q-values), else English.
    ``sr-Latn``/``sr-Latn-RS`` choose Latin; any other Serbian tag Cyrillic."""
    if explicit in LANGUAGES:
        return str(explicit)
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept_language.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                continue
        if q > 0 and tag:
            ranked.append((-q, index, tag.strip().lower()))
    for _, _, tag in sorted(ranked):
        subtags = tag.split("-")
        if subtags[0] == "sr" and "latn" in subtags:
            return "sr-Latn"
        if subtags[0] in _PRIMARY:
            return _PRIMARY[subtags[0]]
    return "en"
