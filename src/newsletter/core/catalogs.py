"""Message catalogs: every fixed text a reader sees, per language, and the three rules all of
them follow.

A catalog maps a language tag (BCP 47, as members' ``language``) to its phrases by key. The
emails' catalog is the project's ``templates/strings.yaml`` (read by
``content/files/project_files.py``); the public pages and the sign-up and fresh-link emails
read the catalogs shipped in ``newsletter/locales/``. All of them come through
:func:`catalog`, so they share:

1. **Serbian Latin is derived**, never written: :func:`with_serbian_latin` transliterates the
   Serbian Cyrillic phrases (``core/serbian.py``). A catalog may still write an ``sr-Latn``
   phrase where the transliteration is not how Latin writes it (a foreign brand name); a
   written phrase wins over the derived one.
2. **English is the fallback** for a phrase a language lacks (:func:`in_language`,
   :func:`phrase`).
3. **Every language has every English key** or the gap is reported (:func:`missing_keys`).

Pure: the text is read elsewhere (an adapter), so this module holds no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from newsletter.core.serbian import to_latin
from newsletter.errors import InputError

#: The fallback language: every catalog is written in it first.
FALLBACK = "en"
CYRILLIC, LATIN = "sr-Cyrl", "sr-Latn"

#: Language -> key -> phrase.
Texts = Mapping[str, Mapping[str, str]]


def catalog(data: object, source: str) -> dict[str, dict[str, str]]:
    """The catalog parsed from a YAML document (``data``), with Serbian Latin derived.

    ``source`` names the file in errors: a catalog that is not a mapping of language to a
    mapping of phrases is the file's author's mistake, reported as ``source: language: ...``.
    """
    if not isinstance(data, Mapping):
        raise InputError("expected a mapping of language -> strings", location=source)
    texts: dict[str, dict[str, str]] = {}
    for language, phrases in data.items():
        if not isinstance(phrases, Mapping):
            raise InputError(f"{language}: expected a mapping of key -> text", location=source)
        own: dict[str, str] = {}
        for key, value in phrases.items():
            if isinstance(value, Mapping | list):
                raise InputError(f"{language}.{key}: expected a text", location=source)
            if value is not None:  # ``key:`` with nothing after it: missing, so English
                # YAML reads an unquoted ``12`` as a number; a catalog means the characters.
                own[str(key)] = str(value)
        texts[str(language)] = own
    return with_serbian_latin(texts)


def with_serbian_latin(texts: Texts) -> dict[str, dict[str, str]]:
    """``texts`` with ``sr-Latn`` the transliteration of ``sr-Cyrl``, overlaid by any phrase
    written in ``sr-Latn`` itself. A catalog without Cyrillic is returned as it is."""
    result = {language: dict(phrases) for language, phrases in texts.items()}
    if CYRILLIC in texts:
        derived = {key: to_latin(value) for key, value in texts[CYRILLIC].items()}
        result[LATIN] = {**derived, **texts.get(LATIN, {})}
    return result


def in_language(texts: Texts, language: str) -> dict[str, str]:
    """Every phrase of ``language``, English for the keys it lacks (and for a language the
    catalog does not have at all). Serbian Latin is derived when ``texts`` lacks it."""
    if language == LATIN and CYRILLIC in texts:
        return {**texts.get(FALLBACK, {}), **with_serbian_latin(texts)[LATIN]}
    return {**texts.get(FALLBACK, {}), **texts.get(language, {})}


def phrase(texts: Texts, language: str, key: str) -> str | None:
    """One phrase in ``language``, else in English; an empty phrase counts as missing."""
    own = texts.get(language, {}).get(key)
    if not own and language == LATIN:
        own = to_latin(texts.get(CYRILLIC, {}).get(key) or "")
    return own or texts.get(FALLBACK, {}).get(key) or None


def missing_keys(
    texts: Texts, languages: Iterable[str] | None = None, extra: Iterable[str] = ()
) -> dict[str, list[str]]:
    """Per language (every one in ``texts`` unless ``languages`` is given), the keys English
    has (plus ``extra``) that the language would show in English instead, sorted; languages
    that lack nothing are left out."""
    full = with_serbian_latin(texts)
    reference = set(full.get(FALLBACK, {})) | set(extra)
    gaps: dict[str, list[str]] = {}
    for language in full if languages is None else languages:
        missing = sorted(reference - set(full.get(language, {})))
        if missing:
            gaps[language] = missing
    return gaps
