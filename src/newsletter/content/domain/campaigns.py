"""Campaigns: what staff announce, to whom, in which languages, with which reminders.

A campaign file (``campaigns/*.yaml``) is validated into :class:`CampaignDefinition`. Text that a
member reads lives per language in ``subject``, ``preheader`` and ``copy``; facts that do not
depend on language (dates, venue, amounts, links) live in ``content``. Serbian Latin is generated
from Serbian Cyrillic unless staff wrote it themselves.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from enum import StrEnum
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from newsletter.audiences.domain.members import LANGUAGES
from newsletter.content.domain.announcements import CONTENT_MODELS, Announcement
from newsletter.content.domain.translated import untranslated
from newsletter.core.serbian import to_latin, to_latin_deep

CampaignKind = Literal["conference_invitation", "call_for_proposals", "letter", "newsletter"]
_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
#: The ledger key of the announcement itself; reminder steps use their own key.
MAIN_STEP = "main"
#: Whom a reader falls back to when a campaign is not written in their language, before the
#: campaign's default: a Cyrillic reader reads Latin and the reverse. A campaign's own
#: ``fallbacks:`` replace these per language (e.g. ``mk: [bg, sr-Cyrl]``).
SCRIPT_TWINS: dict[str, list[str]] = {"sr-Cyrl": ["sr-Latn"], "sr-Latn": ["sr-Cyrl"]}


class CampaignState(StrEnum):
    DRAFT = "draft"
    SENDING = "sending"
    SENT = "sent"
    PAUSED = "paused"
    CANCELLED = "cancelled"


class Milestone(BaseModel):
    """A deadline or event moment, in the official zone of whoever set it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    at: dt.datetime
    timezone: str
    label: dict[str, str] = Field(default_factory=dict)

    def label_for(self, lang: str) -> str | None:
        return _pick(self.label, lang) if _has(self.label, lang) else None

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except ZoneInfoNotFoundError as exc:  # a KeyError, which pydantic would not catch
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @property
    def aware(self) -> dt.datetime:
        """The milestone as an aware datetime (naive values are wall-clock in ``timezone``)."""
        if self.at.tzinfo is None:
            return self.at.replace(tzinfo=ZoneInfo(self.timezone))
        return self.at


def _is_control(char: str) -> bool:
    """C0/C1 controls (CR, LF, TAB, NUL ...) and the Unicode line and paragraph separators."""
    return unicodedata.category(char) in ("Cc", "Zl", "Zp")


class Message(BaseModel):
    """What one mailing says: template plus per-language subject, preheader and copy."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    template: str
    subject: dict[str, str]
    preheader: dict[str, str] = Field(default_factory=dict)
    copy_: dict[str, dict[str, Any]] = Field(default_factory=dict, alias="copy")

    @field_validator("subject", "preheader")
    @classmethod
    def _one_line(cls, value: dict[str, str]) -> dict[str, str]:
        """A subject becomes a mail header: a CR or LF in it would end the header (header
        injection, RFC 5322 §2.2) and other control characters have no place in one line.
        Refused here, where staff type it, not when 2,000 messages are built."""
        for lang, text in value.items():
            bad = next((c for c in text if _is_control(c)), None)
            if bad is not None:
                raise ValueError(
                    f"{lang}: control character U+{ord(bad):04X} (line breaks, tabs and the "
                    "like) is not allowed in a one-line text"
                )
        return value

    def subject_for(self, lang: str) -> str:
        return _pick(self.subject, lang)

    def preheader_for(self, lang: str) -> str:
        return _pick(self.preheader, lang) if self.preheader else ""

    def copy_for(self, lang: str) -> dict[str, Any]:
        if lang in self.copy_:
            return self.copy_[lang]
        if lang == "sr-Latn" and "sr-Cyrl" in self.copy_:
            latin: dict[str, Any] = to_latin_deep(self.copy_["sr-Cyrl"])
            return latin
        return {}

    def written_languages(self) -> set[str]:
        """Languages this message can be written in (sr-Latn comes free with sr-Cyrl)."""
        langs = set(self.subject)
        if "sr-Cyrl" in langs:
            langs.add("sr-Latn")
        return langs


class ReminderStep(Message):
    """A reminder sent a set time before a milestone (scheduling comes from the scheduler)."""

    key: str
    milestone: str
    before: dt.timedelta = dt.timedelta(days=3)
    at_time: dt.time = dt.time(9, 0)
    skip_segment: str | None = None


class CampaignDefinition(Message):
    """A whole campaign as declared in a file or created in the web app."""

    slug: str
    kind: CampaignKind = "letter"
    title: str
    audience: str
    topic: str = "news"
    languages: list[str] = Field(default_factory=lambda: ["en"], min_length=1)
    default_language: str = "en"
    categories: list[str] = Field(default_factory=list, max_length=10)
    fallbacks: dict[str, list[str]] = Field(default_factory=dict)
    #: Validated against the model of ``kind`` (newsletter.content.domain.announcements).
    content: Announcement = Field(default_factory=dict, validate_default=True)
    milestones: dict[str, Milestone] = Field(default_factory=dict)
    reminders: list[ReminderStep] = Field(default_factory=list)
    #: Opt-in: once sent, the announcement appears in the public archive (/archive), rendered
    #: for no one in particular (no member's data, no personal links).
    archive: bool = False
    #: Serbian Latin readers get the Latin generated from the Cyrillic (sr-Latn is added to
    #: ``languages`` whenever sr-Cyrl is there). ``false``: they read the Cyrillic instead.
    latin_from_cyrillic: bool = True

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _SLUG_RE.match(value):
            raise ValueError("a slug is lowercase letters, digits and dashes")
        return value

    @field_validator("languages")
    @classmethod
    def _langs(cls, value: list[str]) -> list[str]:
        unknown = [lang for lang in value if lang not in LANGUAGES]
        if unknown:
            raise ValueError(f"unsupported language(s) {unknown}; use {', '.join(LANGUAGES)}")
        return value

    @field_validator("content", mode="before")
    @classmethod
    def _content(cls, value: Any, info: ValidationInfo) -> Any:
        kind = info.data.get("kind")
        if kind not in CONTENT_MODELS:
            raise ValueError("cannot be checked before kind is valid")
        model = CONTENT_MODELS[kind]
        if isinstance(value, BaseModel) and not isinstance(value, model):
            value = value.model_dump()
        # Errors keep their place: "content.highlights: Field required".
        return value if isinstance(value, model) else model.model_validate(value)

    @model_validator(mode="after")
    def _consistent(self) -> CampaignDefinition:
        langs = self.languages
        if self.latin_from_cyrillic and "sr-Cyrl" in langs and "sr-Latn" not in langs:
            # Without it a Latin reader silently got the Cyrillic version.
            langs.insert(langs.index("sr-Cyrl") + 1, "sr-Latn")
        if self.default_language not in self.languages:
            raise ValueError(f"default_language {self.default_language!r} is not in languages")
        keys = [r.key for r in self.reminders]
        if len(keys) != len(set(keys)) or MAIN_STEP in keys:
            raise ValueError(f"reminder keys must be unique and not {MAIN_STEP!r}")
        for step in self.reminders:
            if step.milestone not in self.milestones:
                raise ValueError(
                    f"reminder {step.key!r} names unknown milestone {step.milestone!r}"
                )
        problems = [
            (("content", *path.split(".")), f"no milestone {key!r} (milestones: {known})")
            for path, key in self.content.milestone_refs().items()
            if key not in self.milestones
            for known in [", ".join(self.milestones) or "none"]
        ]
        problems += [
            (
                ("reminders", str(i), "before"),
                f"reminder {step.key!r} must come before its milestone {step.milestone!r}: "
                f"'before' is {_span(step.before)}; it needs to be more than zero",
            )
            for i, step in enumerate(self.reminders)
            if step.before <= dt.timedelta(0)
        ]
        for lang, chain in self.fallbacks.items():
            stray = [x for x in (lang, *chain) if x not in LANGUAGES]
            stray += [x for x in chain if x in LANGUAGES and x not in self.languages]
            if stray:
                problems.append(
                    (("fallbacks", lang), f"not among the campaign's languages: {stray}")
                )
        if problems:
            raise ValidationError.from_exception_data(
                "CampaignDefinition",
                [
                    InitErrorDetails(
                        type=PydanticCustomError("campaign", message),
                        loc=tuple(int(p) if isinstance(p, str) and p.isdigit() else p for p in loc),
                        input=None,
                    )
                    for loc, message in problems
                ],
            )
        return self

    def step(self, key: str) -> Message:
        if key == MAIN_STEP:
            return self
        for step in self.reminders:
            if step.key == key:
                return step
        raise KeyError(key)

    def step_keys(self) -> list[str]:
        return [MAIN_STEP, *(r.key for r in self.reminders)]

    def fallback_chain(self, lang: str) -> list[str]:
        """Languages to try, in order, for a reader of ``lang``: theirs, the campaign's
        fallbacks for it (by default the other Serbian script), then the default language."""
        chain = [lang, *self.fallbacks.get(lang, SCRIPT_TWINS.get(lang, [])), self.default_language]
        return list(dict.fromkeys(chain))

    def variant_for(self, member_language: str) -> str:
        """The campaign language a member reads: the first of their fallback chain that the
        campaign is written in (the default language always is)."""
        if member_language in self.languages:  # most readers; once per recipient of a send
            return member_language
        return next(x for x in self.fallback_chain(member_language) if x in self.languages)

    def missing_texts(self) -> list[str]:
        """Per step and language, what a targeted language lacks: subject, preheader, copy
        (when the step has copy at all: a letter's body may live entirely in ``content``),
        and translated content fields. UI strings are the catalog's (services.composing)."""
        problems: list[str] = []
        for key in self.step_keys():
            msg = self.step(key)
            for lang in self.languages:
                tables: list[tuple[str, dict[str, Any]]] = [
                    ("subject", msg.subject),
                    ("preheader", msg.preheader),
                ]
                if msg.copy_:
                    tables.append(("copy", msg.copy_))
                problems += [
                    f"{key}: {lang}: no {part}" for part, table in tables if not _has(table, lang)
                ]
        for lang in self.languages:
            problems += [
                f"{MAIN_STEP}: {lang}: no {path}" for path in untranslated(self.content, lang)
            ]
        return problems


def _has(table: dict[str, Any], lang: str) -> bool:
    return lang in table or (lang == "sr-Latn" and "sr-Cyrl" in table)


def _pick(table: dict[str, str], lang: str) -> str:
    if lang in table:
        return table[lang]
    if lang == "sr-Latn" and "sr-Cyrl" in table:
        return to_latin(table["sr-Cyrl"])
    raise KeyError(lang)


def _span(delta: dt.timedelta) -> str:
    """A duration as staff wrote it: "0", "-1 day", "-12 hours", "-1 day 6 hours"."""
    seconds = int(delta.total_seconds())
    sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    parts = [f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in
             ((days, "day"), (hours, "hour"), (rest // 60, "minute")) if n]  # fmt: skip
    return sign + " ".join(parts) if parts else "0"
