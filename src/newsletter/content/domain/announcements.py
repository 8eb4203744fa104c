"""Typed announcements: what a campaign says, per kind, checked before anything renders.

A campaign file's ``content:`` is validated against the model of its ``kind`` (conference
invitation, call for proposals, letter/newsletter), so a misspelt field or a date that is not a
date is an error naming the field, not a blank in 2,000 inboxes. The same model feeds the HTML
and plain-text templates, the ``.ics`` calendar and the archive.

Facts that read differently per language (a city, an authority's name, programme highlights)
are :class:`TranslatedText` / :class:`TranslatedList`: either one value for every language
(proper names) or a mapping ``{en: ..., sr-Cyrl: ...}``. Serbian Latin comes from Serbian
Cyrillic unless written. Deadlines are not repeated here: a field such as
``early_bird_deadline`` names a campaign milestone, the one place a deadline lives (reminders
and the calendar hang off the same milestone).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from newsletter.content.domain.richtext import check_paragraphs
from newsletter.content.domain.translated import TranslatedList, TranslatedText
from newsletter.core.urls import Link, WebUrl

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]  # ISO 4217 code
MilestoneKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:  # KeyError subclass: pydantic misses it
        raise ValueError(f"unknown time zone {value!r} (use an IANA name: Europe/Sofia)") from exc
    return value


Zone = Annotated[str, AfterValidator(_zone)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Image(_Model):
    """An image; ``alt`` is required (WCAG 2.2 SC 1.1.1) because many clients block images and
    screen readers read it; an empty alt would hide a picture that carries information."""

    src: WebUrl
    alt: TranslatedText
    width: int | None = Field(default=None, ge=16, le=600)  # the email body is 600 px wide
    href: Link | None = None


class OrganiserRole(StrEnum):
    HOST = "host"
    CO_ORGANISER = "co_organiser"
    MAIN_PARTNER = "main_partner"
    SUPPORTING_INSTITUTION = "supporting_institution"
    FOUNDER = "founder"
    PARTNER = "partner"
    SPONSOR = "sponsor"
    MEDIA_PARTNER = "media_partner"


class Organiser(_Model):
    """An organiser or partner; the words for its roles come from templates/strings.yaml."""

    name: TranslatedText
    roles: list[OrganiserRole] = Field(min_length=1)
    url: Link | None = None


class Speaker(_Model):
    name: Text
    affiliation: TranslatedText | None = None
    topic: TranslatedText | None = None
    photo: Image | None = None


class Price(_Model):
    label: TranslatedText
    amount: Decimal = Field(ge=0, decimal_places=2)
    currency: Currency
    #: The milestone until which this price applies (e.g. the early-bird deadline).
    until: MilestoneKey | None = None


class ConferenceInvitation(_Model):
    name: TranslatedText
    edition: int | None = Field(default=None, ge=1)
    starts: dt.date
    ends: dt.date
    venue: TranslatedText | None = None
    city: TranslatedText
    country: TranslatedText
    timezone: Zone
    highlights: TranslatedList
    speakers: list[Speaker] = Field(default_factory=list)
    early_bird_deadline: MilestoneKey | None = None
    registration_deadline: MilestoneKey | None = None
    prices: list[Price] = Field(default_factory=list)
    registration_url: WebUrl
    url: WebUrl | None = None
    organisers: list[Organiser] = Field(default_factory=list)
    image: Image | None = None

    @model_validator(mode="after")
    def _order(self) -> ConferenceInvitation:
        if self.ends < self.starts:
            raise ValueError(f"ends ({self.ends}) is before starts ({self.starts})")
        return self

    def milestone_refs(self) -> dict[str, str]:
        refs = {
            "early_bird_deadline": self.early_bird_deadline,
            "registration_deadline": self.registration_deadline,
        }
        refs.update({f"prices.{i}.until": p.until for i, p in enumerate(self.prices)})
        return {path: key for path, key in refs.items() if key}

    def deadlines(self) -> list[str]:
        """Milestone keys that are deadlines a member can put in a calendar."""
        return [k for k in (self.early_bird_deadline, self.registration_deadline) if k]


class Document(_Model):
    title: TranslatedText
    url: Link


class InfoDay(_Model):
    on: dt.date
    city: TranslatedText
    venue: TranslatedText | None = None
    url: Link | None = None


class CallForProposals(_Model):
    programme: TranslatedText
    call_number: Text
    managing_authority: TranslatedText
    national_authority: TranslatedText | None = None
    co_financing: TranslatedText | None = None
    opens: dt.date
    #: The milestone holding the deadline and its official time zone.
    submission_deadline: MilestoneKey
    budget: Decimal = Field(gt=0, decimal_places=2)
    currency: Currency
    eligible_area: TranslatedText
    applicant_types: TranslatedList | None = None
    documents: list[Document] = Field(default_factory=list)
    info_days: list[InfoDay] = Field(default_factory=list)
    url: WebUrl

    def milestone_refs(self) -> dict[str, str]:
        return {"submission_deadline": self.submission_deadline}

    def deadlines(self) -> list[str]:
        return [self.submission_deadline]


class Button(_Model):
    label: TranslatedText
    url: Link


class Section(_Model):
    """A block of a letter or newsletter: a heading, paragraphs, an image and a button.
    Paragraphs may hold bold, italic, links and lists (content/domain/richtext.py); their
    links are checked here like every other URL of a campaign."""

    heading: TranslatedText | None = None
    paragraphs: TranslatedList | None = None
    image: Image | None = None
    button: Button | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> Section:
        if self.paragraphs is None and self.image is None:
            raise ValueError("a section needs paragraphs or an image")
        if self.paragraphs is not None:
            root = self.paragraphs.root
            for texts in root.values() if isinstance(root, dict) else [root]:
                check_paragraphs(texts)
        return self


class Signature(_Model):
    name: TranslatedText
    title: TranslatedText | None = None


class Letter(_Model):
    """A letter or newsletter: sections of text and images, and a signature."""

    sections: list[Section] = Field(min_length=1)
    signature: Signature | None = None

    def milestone_refs(self) -> dict[str, str]:
        return {}

    def deadlines(self) -> list[str]:
        return []


Announcement = ConferenceInvitation | CallForProposals | Letter
CONTENT_MODELS: dict[str, type[Announcement]] = {
    "conference_invitation": ConferenceInvitation,
    "call_for_proposals": CallForProposals,
    "letter": Letter,
    "newsletter": Letter,
}
