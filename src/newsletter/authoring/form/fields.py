"""The campaign form, generated from the typed content models: one field per model field.

:func:`fields_for` walks the pydantic model of a campaign kind
(newsletter.content.domain.announcements) and gives a tree of :class:`FormField`: plain text, dates,
amounts and currencies, URLs, time zones, milestone names, enum choices, nested groups (an image, a
signature) and repeatable lists ( speakers, prices, documents, sections). Texts a member reads in
their language (:class:`TranslatedText`, :class:`TranslatedList`) become one input per campaign
language, side by side. A new field in a content model appears in the form without touching the web
app; a type the walker does not know is a TypeError the tests catch. The forms are worked out once
per kind (cached): the live preview parses the whole form on every pause in typing.

``copy`` (the free prose of each template: kicker, intro, closing ...) has no model in the
domain, because templates are files; :data:`COPY_MODELS` writes down what each template reads
(see the ``t (copy):`` header of each ``templates/*.mjml.j2``), so the form can offer it and
say which language lacks which part.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum
from functools import cache
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.fields import FieldInfo

from newsletter.content.domain.announcements import (
    CONTENT_MODELS,
    Currency,
    MilestoneKey,
    Text,
    Zone,
)
from newsletter.content.domain.campaigns import Milestone
from newsletter.content.domain.richtext import check_paragraphs
from newsletter.content.domain.translated import TranslatedList, TranslatedText
from newsletter.core.urls import Link, WebUrl

#: The template each kind is written with (a campaign may name another).
TEMPLATES: dict[str, str] = {
    "conference_invitation": "conference_invitation.mjml.j2",
    "call_for_proposals": "call_for_proposals.mjml.j2",
    "letter": "letter.mjml.j2",
    "newsletter": "letter.mjml.j2",
}
KIND_LABELS: dict[str, str] = {
    "conference_invitation": "Conference invitation",
    "call_for_proposals": "Call for proposals",
    "newsletter": "Newsletter",
    "letter": "Letter",
}


def _rich(value: str) -> str:
    check_paragraphs([value])  # its links: https, http or mailto only
    return value


#: Prose the template writes with ``| paragraphs`` or ``| rich``: bold, italic, links, lists.
RichText = Annotated[Text, AfterValidator(_rich)]


class TemplateCopy(BaseModel):
    # Keys a template does not read are kept (a file may carry more than the form shows).
    model_config = ConfigDict(extra="allow", frozen=True)


class InvitationCopy(TemplateCopy):
    """templates/conference_invitation.mjml.j2"""

    kicker: Text
    headline: Text | None = None
    intro: list[RichText] = Field(min_length=1)
    highlights_title: Text | None = None
    closing: RichText


class CallCopy(TemplateCopy):
    """templates/call_for_proposals.mjml.j2"""

    headline: Text
    intro: list[RichText] = Field(min_length=1)
    note: RichText | None = None
    closing: RichText
    button: Text | None = None


class LetterCopy(TemplateCopy):
    """templates/letter.mjml.j2"""

    headline: Text | None = None


class ReminderCopy(TemplateCopy):
    """templates/deadline_reminder.mjml.j2 (each reminder step of a chain)"""

    headline: Text
    body: list[RichText] = Field(min_length=1)
    button: Text | None = None


COPY_MODELS: dict[str, type[TemplateCopy]] = {
    "conference_invitation": InvitationCopy,
    "call_for_proposals": CallCopy,
    "letter": LetterCopy,
    "newsletter": LetterCopy,
}

#: Widgets: text, lines (one item per line), date, datetime, int, decimal, currency, url,
#: zone, milestone, choices (checkboxes), group (a nested model), list (repeatable groups);
#: for reminder rows also before (a duration), time and segment.
SCALAR_HELP = {
    "lines": "one per line",
    "decimal": "e.g. 12687304.24",
    "currency": "ISO 4217 code, e.g. EUR",
    "zone": "IANA time zone, e.g. Europe/Belgrade",
    "milestone": "the key of a milestone below",
    "url": "https://…",
    "before": "e.g. 3 days, or 12 hours (elapsed time; then At does not apply)",
    "time": "in the milestone's time zone; 09:00 if empty",
    "segment": "e.g. members already registered (optional)",
}


@dataclass(frozen=True, slots=True)
class FormField:
    key: str
    label: str
    widget: str
    required: bool = False
    #: One input per campaign language (``<name>.<lang>``).
    translated: bool = False
    #: The model takes one value for every language too (a proper name): see
    #: :func:`newsletter.authoring.form.parse.parse_form`.
    single_ok: bool = False
    choices: tuple[str, ...] = ()
    children: tuple[FormField, ...] = ()

    @property
    def help(self) -> str:
        return SCALAR_HELP.get(self.widget, "")


def _label(key: str) -> str:
    return key.replace("_", " ").capitalize()


def _unwrap(annotation: Any, metadata: list[Any]) -> tuple[Any, list[Any], bool]:
    """(the type without ``| None`` and ``Annotated``, all its metadata, optional?)"""
    optional = False
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        optional = len(args) < len(typing.get_args(annotation))
        annotation = args[0] if len(args) == 1 else annotation
    if typing.get_origin(annotation) is Annotated:
        metadata = [*metadata, *annotation.__metadata__]
        annotation = typing.get_args(annotation)[0]
    return annotation, metadata, optional


def _marked(metadata: list[Any], alias: Any) -> bool:
    """Does the field carry the validators of ``alias`` (e.g. :data:`WebUrl`)?"""
    return all(m in metadata for m in alias.__metadata__)


def _string_widget(metadata: list[Any]) -> str:
    for alias, widget in (
        (WebUrl, "url"),
        (Link, "url"),
        (Zone, "zone"),
        (Currency, "currency"),
        (MilestoneKey, "milestone"),
    ):
        if _marked(metadata, alias):
            return widget
    return "text"


def field_of(key: str, info: FieldInfo, *, translated: bool = False) -> FormField:
    annotation, metadata, optional = _unwrap(info.annotation, list(info.metadata))
    base = FormField(key, _label(key), "text", required=info.is_required() and not optional)
    origin = typing.get_origin(annotation)
    if annotation is TranslatedText:
        return replace(base, translated=True, single_ok=True)
    if annotation is TranslatedList:
        return replace(base, widget="lines", translated=True, single_ok=True)
    if origin is dict and typing.get_args(annotation) == (str, str):
        return replace(base, translated=True)  # language -> text
    if origin is list:
        item, _, _ = _unwrap(typing.get_args(annotation)[0], [])
        if isinstance(item, type) and issubclass(item, BaseModel):
            return replace(base, widget="list", children=walk(item))
        if isinstance(item, type) and issubclass(item, StrEnum):
            return replace(base, widget="choices", choices=tuple(m.value for m in item))
        if item is str:
            return replace(base, widget="lines", translated=translated)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return replace(base, widget="group", children=walk(annotation))
    scalars: dict[Any, str] = {
        dt.date: "date",
        dt.datetime: "datetime",
        int: "int",
        Decimal: "decimal",
    }
    if annotation in scalars:
        return replace(base, widget=scalars[annotation])
    if annotation is str:
        return replace(base, widget=_string_widget(metadata), translated=translated)
    raise TypeError(f"no form widget for {key}: {info.annotation!r}")


def walk(model: type[BaseModel], *, translated: bool = False) -> tuple[FormField, ...]:
    """The form of a model: one :class:`FormField` per field, in declaration order."""
    return tuple(
        field_of(key, info, translated=translated) for key, info in model.model_fields.items()
    )


@cache
def content_fields(kind: str) -> tuple[FormField, ...]:
    return walk(CONTENT_MODELS[kind])


@cache
def copy_fields(kind: str) -> tuple[FormField, ...]:
    """Every part of a template's prose is written per language."""
    return walk(COPY_MODELS[kind], translated=True)


@cache
def reminder_copy_fields() -> tuple[FormField, ...]:
    return walk(ReminderCopy, translated=True)


@cache
def milestone_fields() -> tuple[FormField, ...]:
    """A milestone row: its key, then :class:`Milestone`'s own fields."""
    key = FormField("key", "Key", "text", required=True)
    # Milestone.timezone is checked by a validator of its own, not the Zone type.
    own = (replace(f, widget="zone") if f.key == "timezone" else f for f in walk(Milestone))
    return (key, *own)
