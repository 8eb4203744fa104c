"""The few words the public pages say, per language the network sends in.

The words are the catalog ``newsletter/locales/pages.yaml``; Serbian Latin is derived from
Serbian Cyrillic and English fills a missing phrase, as for every catalog
(``core/catalogs.py``). The topic names come from the templates' UI strings
(``topic_<topic>``), so a page names a list the way its emails do.
"""

from __future__ import annotations

from collections.abc import Mapping

from newsletter.core.catalogs import in_language, phrase
from newsletter.locales import load

#: Language -> key -> phrase, from ``newsletter/locales/pages.yaml``.
PAGES: dict[str, dict[str, str]] = load("pages")


def page_strings(language: str) -> dict[str, str]:
    return in_language(PAGES, language)


def topic_name(ui: Mapping[str, Mapping[str, str]], language: str, topic: str) -> str:
    return phrase(ui, language, f"topic_{topic}") or topic
