"""The campaign form generated from the content models: the fields it offers, form values back
to the document (Serbian Latin generated unless overridden, proper names once), and pydantic's
errors placed beside the field they name. Pure: no database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from newsletter.authoring.documents import document_of
from newsletter.authoring.form.fields import (
    FormField,
    content_fields,
    copy_fields,
    milestone_fields,
)
from newsletter.authoring.form.parse import languages_of, parse_form
from newsletter.authoring.form.values import latin_placeholders, values_of
from newsletter.content.domain.announcements import CONTENT_MODELS
from newsletter.content.domain.campaigns import CampaignDefinition
from newsletter.content.files.project_files import ProjectFiles
from newsletter.core.serbian import to_latin_deep

REPO = Path(__file__).resolve().parents[3]


def samples() -> list[CampaignDefinition]:
    files = ProjectFiles(REPO / "templates", REPO / "audiences", REPO / "campaigns")
    return [files.campaign(str(p))[0] for p in files.campaign_paths()]


def by_key(fields: tuple[FormField, ...]) -> dict[str, FormField]:
    return {f.key: f for f in fields}


def test_every_kind_has_a_form_with_the_right_widgets() -> None:
    for kind in CONTENT_MODELS:
        assert content_fields(kind) and copy_fields(kind) is not None
    call = by_key(content_fields("call_for_proposals"))
    assert (call["budget"].widget, call["currency"].widget) == ("decimal", "currency")
    assert call["opens"].widget == "date" and call["url"].widget == "url"
    assert (
        call["submission_deadline"].widget == "milestone" and call["submission_deadline"].required
    )
    assert call["programme"].translated and call["programme"].single_ok
    assert call["applicant_types"].widget == "lines" and not call["applicant_types"].required
    docs = by_key(call["documents"].children)
    assert call["documents"].widget == "list" and docs["title"].translated
    invitation = by_key(content_fields("conference_invitation"))
    assert invitation["timezone"].widget == "zone" and invitation["edition"].widget == "int"
    organisers = by_key(invitation["organisers"].children)
    assert organisers["roles"].widget == "choices" and "host" in organisers["roles"].choices
    assert invitation["image"].widget == "group" and not invitation["image"].required
    photo = by_key(by_key(invitation["speakers"].children)["photo"].children)
    assert photo["src"].widget == "url" and photo["alt"].translated
    milestone = by_key(milestone_fields())
    assert [milestone[k].widget for k in ("key", "at", "timezone")] == ["text", "datetime", "zone"]
    assert milestone["label"].translated and not milestone["label"].single_ok
    copy = by_key(copy_fields("conference_invitation"))
    assert copy["intro"].widget == "lines" and copy["intro"].translated and copy["kicker"].required


def _without_generated_latin(value: Any) -> Any:
    """A document as the form keeps it: an sr-Latn text equal to the generated one dropped."""
    if isinstance(value, dict):
        out = {k: _without_generated_latin(v) for k, v in value.items()}
        if "sr-Cyrl" in out and out.get("sr-Latn") == to_latin_deep(out["sr-Cyrl"]):
            del out["sr-Latn"]
        return out
    if isinstance(value, list):
        return [_without_generated_latin(v) for v in value]
    return value


@pytest.mark.parametrize("campaign", samples(), ids=lambda c: c.slug)
def test_a_campaign_survives_the_form_unchanged(campaign: CampaignDefinition) -> None:
    document = document_of(campaign)
    parsed = parse_form(values_of(document), document)
    assert parsed.errors == {} and parsed.notes == {}
    assert parsed.campaign is not None
    assert document_of(parsed.campaign) == _without_generated_latin(document)
    # Reminders, categories and other parts the form does not show are kept.
    assert parsed.campaign.reminders == campaign.reminders
    assert parsed.campaign.categories == campaign.categories


def base_call() -> dict[str, list[str]]:
    return {
        "kind": ["call_for_proposals"],
        "slug": ["second-call"],
        "title": ["Second call"],
        "audience": ["bg-rs-calls"],
        "topic": ["calls"],
        "languages": ["sr-Latn", "en", "sr-Cyrl"],
        "default_language": ["en"],
        "subject.en": ["Second call open"],
        "subject.sr-Cyrl": ["Други позив"],
        "subject.sr-Latn": ["Drugi poziv"],  # what is generated: not stored
        "copy.headline.en": ["Second call"],
        "copy.headline.sr-Cyrl": ["Други позив"],
        "copy.headline.sr-Latn": ["Drugi poziv – Interreg"],  # an override
        "copy.intro.en": ["One\n\n  Two  \n"],
        "copy.intro.sr-Cyrl": ["Један"],
        "copy.closing.en": ["Bye"],
        "copy.closing.sr-Cyrl": ["Збогом"],
        "content.programme.en": ["Interreg-IPA"],
        "content.programme.sr-Cyrl": ["Interreg-IPA"],
        "content.programme.sr-Latn": [""],
        "content.call_number": ["2"],
        "content.managing_authority.en": ["Ministry"],
        "content.managing_authority.sr-Cyrl": ["Министарство"],
        "content.opens": ["2016-01-10"],
        "content.submission_deadline": ["deadline"],
        "content.budget": ["1000000.50"],
        "content.currency": ["EUR"],
        "content.eligible_area.en": ["Нишава"],
        "content.eligible_area.sr-Cyrl": ["Нишава"],
        "content.url": ["https://interreg.example/second"],
        "content.documents.0.title.en": ["Guidelines"],
        "content.documents.0.title.sr-Cyrl": ["Смернице"],
        "content.documents.0.url": ["https://interreg.example/g.pdf"],
        "content.documents.1.title.en": [""],
        "content.documents.1.url": [""],
        "milestones.0.key": ["deadline"],
        "milestones.0.at": ["2016-03-01T16:00"],
        "milestones.0.timezone": ["Europe/Sofia"],
        "milestones.0.label.en": ["Deadline"],
        "milestones.1.key": [""],
        "csrf": ["x"],
        "preview_language": ["sr-Latn"],
    }


def test_form_values_become_the_document_a_file_would_hold() -> None:
    parsed = parse_form(base_call())
    assert parsed.errors == {}, parsed.errors
    doc, campaign = parsed.document, parsed.campaign
    assert campaign is not None
    assert doc["languages"] == ["en", "sr-Cyrl", "sr-Latn"]  # the usual order for a new one
    assert doc["template"] == "call_for_proposals.mjml.j2"
    assert doc["subject"] == {"en": "Second call open", "sr-Cyrl": "Други позив"}
    assert campaign.subject_for("sr-Latn") == "Drugi poziv"  # generated when read
    assert doc["copy"]["en"]["intro"] == ["One", "Two"]
    # One Latin override in a language's copy brings the rest of the generated Latin with it.
    assert doc["copy"]["sr-Latn"] == {
        "headline": "Drugi poziv – Interreg",
        "intro": ["Jedan"],
        "closing": "Zbogom",
    }
    content = doc["content"]
    assert content["programme"] == "Interreg-IPA"  # the same everywhere: a proper name, once
    # The same Cyrillic in every column is not collapsed: Latin readers need it transliterated.
    assert content["eligible_area"] == {"en": "Нишава", "sr-Cyrl": "Нишава"}
    assert campaign.content.eligible_area.get("sr-Latn") == "Nišava"  # type: ignore[union-attr]
    assert content["documents"] == [
        {
            "title": {"en": "Guidelines", "sr-Cyrl": "Смернице"},
            "url": "https://interreg.example/g.pdf",
        }
    ]  # the blank row is left out
    assert doc["milestones"] == {
        "deadline": {
            "at": "2016-03-01T16:00",
            "timezone": "Europe/Sofia",
            "label": {"en": "Deadline"},
        }
    }
    assert "csrf" not in doc and "preview_language" not in doc


def test_errors_are_placed_beside_the_field_they_name() -> None:
    values = base_call() | {
        "slug": ["Second Call"],
        "title": [""],
        "content.budget": ["-3"],
        "content.documents.0.url": ["javascript:alert(1)"],
        "content.managing_authority.en": [""],
        "content.managing_authority.sr-Cyrl": [""],
        "milestones.0.timezone": ["Europe/Nowhere"],
        "milestones.2.at": ["2016-01-01T10:00"],
    }
    parsed = parse_form(values)
    assert parsed.campaign is None
    errors = parsed.errors
    assert errors["slug"] == ["a slug is lowercase letters, digits and dashes"]
    assert errors["title"] == ["Field required"]
    assert errors["content.budget"] == ["Input should be greater than 0"]
    assert "javascript: is not allowed" in errors["content.documents.0.url"][0]
    assert errors["content.managing_authority"] == ["Field required"]
    assert errors["milestones.0.timezone"] == ["unknown time zone 'Europe/Nowhere'"]
    assert errors["milestones.2.key"] == ["give the milestone a key"]


def test_a_milestone_the_content_names_must_exist() -> None:
    values = base_call() | {"milestones.0.key": ["submission"]}
    errors = parse_form(values).errors
    assert errors["content.submission_deadline"] == [
        "no milestone 'deadline' (milestones: submission)"
    ]


def test_what_a_language_still_lacks_is_noted_but_saved() -> None:
    values = base_call() | {"languages": ["en", "sr-Cyrl", "sr-Latn", "bg"]}
    parsed = parse_form(values)
    assert parsed.campaign is not None  # a draft may lack texts; approval waits for them
    assert parsed.notes["copy.headline"] == ["bg: Field required"]
    assert "bg: Field required" in parsed.notes["copy.intro"]


def test_languages_keep_the_edited_campaigns_order() -> None:
    base = {"languages": ["en", "ro", "bg"]}
    values = {"languages": ["bg", "mk", "en", "xx", "ro"]}
    assert languages_of(values, base) == ["en", "ro", "bg", "mk"]


def test_generated_latin_is_offered_for_every_cyrillic_input() -> None:
    placeholders = latin_placeholders(base_call())
    assert placeholders["subject.sr-Latn"] == "Drugi poziv"
    assert placeholders["content.documents.0.title.sr-Latn"] == "Smernice"
    assert placeholders["content.managing_authority.sr-Latn"] == "Ministarstvo"
    assert "content.national_authority.sr-Latn" not in placeholders  # no Cyrillic written
    assert latin_placeholders(base_call() | {"languages": ["en", "sr-Cyrl"]}) == {}


def test_an_unknown_kind_is_one_clear_error() -> None:
    parsed = parse_form({"kind": ["poster"]})
    assert parsed.campaign is None and parsed.errors == {"kind": ["unknown kind 'poster'"]}
