"""Texts that read differently per language: one value for all, or one per language.

A city, an authority's name or a list of programme highlights is written either once (a proper
name, the same everywhere) or as ``{en: ..., sr-Cyrl: ..., bg: ...}``. Serbian Latin comes from
Serbian Cyrillic unless staff wrote it (Latin -> Cyrillic is ambiguous, so never the reverse).
:func:`localize` turns a whole model into plain values in one language for the templates, and
:func:`untranslated` lists what a language lacks for ``campaigns validate``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, RootModel, model_validator

from newsletter.audiences.domain.members import LANGUAGES
from newsletter.core.serbian import to_latin_deep


class _Translated:
    """One value for every language, or a mapping language -> value (shared behaviour)."""

    root: Any

    def _check(self) -> None:
        if isinstance(self.root, dict):
            unknown = [lang for lang in self.root if lang not in LANGUAGES]
            if unknown:
                raise ValueError(f"unknown language(s) {unknown}; use {', '.join(LANGUAGES)}")
            if not self.root:
                raise ValueError("give the text, or one entry per language")
        values = list(self.root.values()) if isinstance(self.root, dict) else [self.root]
        for value in values:
            texts = value if isinstance(value, list) else [value]
            if not texts or any(not text.strip() for text in texts):
                raise ValueError("may not be empty")

    def get(self, lang: str) -> Any | None:
        """The value written for ``lang`` (Serbian Latin generated from Cyrillic), or None."""
        if not isinstance(self.root, dict):
            return self.root
        if lang in self.root:
            return self.root[lang]
        if lang == "sr-Latn" and "sr-Cyrl" in self.root:
            return to_latin_deep(self.root["sr-Cyrl"])
        return None

    def resolve(self, chain: Sequence[str]) -> Any:
        """The first language of ``chain`` that has a value; else any value (never empty)."""
        for lang in chain:
            found = self.get(lang)
            if found is not None:
                return found
        return next(iter(self.root.values()))


class TranslatedText(_Translated, RootModel[str | dict[str, str]]):
    """One text for every language (a proper name), or one per language."""

    model_config = ConfigDict(frozen=True)

    @model_validator(mode="after")
    def _valid(self) -> TranslatedText:
        self._check()
        return self


class TranslatedList(_Translated, RootModel[list[str] | dict[str, list[str]]]):
    """A list of texts (highlights, applicant types) for every language, or one per language."""

    model_config = ConfigDict(frozen=True)

    @model_validator(mode="after")
    def _valid(self) -> TranslatedList:
        self._check()
        return self


def localize(value: Any, chain: Sequence[str]) -> Any:
    """The announcement as plain dicts, lists and values in one language (the first of
    ``chain`` that has a text), which is all a template gets (content/rendering/variables.py)."""
    if isinstance(value, _Translated):
        return value.resolve(chain)
    if isinstance(value, BaseModel):
        return {name: localize(getattr(value, name), chain) for name in type(value).model_fields}
    if isinstance(value, list | tuple):
        return [localize(item, chain) for item in value]
    if isinstance(value, StrEnum):
        return value.value
    return value


def untranslated(value: Any, lang: str, path: str = "content") -> Iterator[str]:
    """Field paths of every translated text that has nothing written for ``lang``."""
    if isinstance(value, _Translated):
        if value.get(lang) is None:
            yield path
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from untranslated(getattr(value, name), lang, f"{path}.{name}")
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from untranslated(item, lang, f"{path}.{i}")
