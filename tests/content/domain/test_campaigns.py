"""Campaign definitions: validation, language fallback, generated Serbian Latin, missing texts."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from newsletter.content.domain.campaigns import (
    MAIN_STEP,
    CampaignDefinition,
    Milestone,
    ReminderStep,
)


def definition(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "slug": "dofc-2015",
        "kind": "conference_invitation",
        "title": "Danube Open Forum of Clusters 2015",
        "audience": "all-members",
        "topic": "events",
        "template": "invitation.mjml.j2",
        "languages": ["en", "sr-Cyrl", "bg"],
        "default_language": "en",
        "subject": {"en": "Invitation", "sr-Cyrl": "Позив: ЊЕГОШ и Љубав", "bg": "Покана"},
        "preheader": {"en": "Niš, 1-3 October", "sr-Cyrl": "Ниш, 1-3. октобар"},
        "copy": {
            "en": {"title": "Join us"},
            "sr-Cyrl": {"title": "Придружите нам се", "items": ["Џеп", {"x": "ћ"}]},
            "bg": {"title": "Елате"},
        },
        "content": {
            "name": "Danube Open Forum of Clusters 2015",
            "starts": "2015-10-01",
            "ends": "2015-10-03",
            "city": {"en": "Niš", "sr-Cyrl": "Ниш", "bg": "Ниш"},
            "country": {"en": "Serbia", "sr-Cyrl": "Србија", "bg": "Сърбия"},
            "timezone": "Europe/Belgrade",
            "highlights": {"en": ["Talks"], "sr-Cyrl": ["Предавања"], "bg": ["Лекции"]},
            "registration_url": "https://dofc.example/register",
            "registration_deadline": "registration",
        },
        "milestones": {
            "registration": {
                "at": "2015-09-25T23:59:00",
                "timezone": "Europe/Belgrade",
                "label": {"en": "Registration closes"},
            }
        },
        "reminders": [
            {
                "key": "last-call",
                "milestone": "registration",
                "template": "reminder.mjml.j2",
                "subject": {"en": "Last call", "sr-Cyrl": "Последњи позив", "bg": "Последно"},
                "preheader": {"en": "p", "sr-Cyrl": "п", "bg": "п"},
                "copy": {"en": {}, "sr-Cyrl": {}, "bg": {}},
            }
        ],
    }
    data.update(overrides)
    return data


def campaign(**overrides: Any) -> CampaignDefinition:
    return CampaignDefinition.model_validate(definition(**overrides))


# -- validation ------------------------------------------------------------------------------


def test_full_definition_validates() -> None:
    c = campaign()
    assert c.slug == "dofc-2015"
    assert c.copy_["en"] == {"title": "Join us"}
    assert c.step_keys() == [MAIN_STEP, "last-call"]
    assert c.step(MAIN_STEP) is c
    step = c.step("last-call")
    assert isinstance(step, ReminderStep)
    assert step.before == dt.timedelta(days=3)
    assert step.at_time == dt.time(9, 0)


def test_unknown_step_raises_key_error() -> None:
    with pytest.raises(KeyError):
        campaign().step("nope")


def test_minimal_definition_uses_defaults() -> None:
    c = CampaignDefinition.model_validate(
        {
            "slug": "x",
            "title": "X",
            "audience": "a",
            "template": "t",
            "subject": {"en": "S"},
            "content": {"sections": [{"paragraphs": ["Hello"]}]},
        }
    )
    assert c.languages == ["en"]
    assert c.default_language == "en"
    assert c.kind == "letter"
    assert c.topic == "news"
    assert c.reminders == []


def test_json_dump_by_alias_round_trips() -> None:
    c = campaign()
    again = CampaignDefinition.model_validate(c.model_dump(mode="json", by_alias=True))
    assert again == c


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"slug": "DOFC 2015"}, "slug"),
        ({"slug": "-dofc"}, "slug"),
        ({"slug": "dofc_2015"}, "slug"),
        ({"slug": ""}, "slug"),
        ({"slug": "a" * 81}, "slug"),
        ({"languages": ["en", "de"]}, "unsupported language"),
        ({"languages": ["en", "sr"]}, "unsupported language"),
        ({"languages": []}, "at least 1"),
        ({"languages": ["en"], "default_language": "bg"}, "default_language 'bg'"),
        ({"kind": "spam"}, "kind"),
        ({"categories": [str(i) for i in range(11)]}, "categories"),
        ({"unknown_key": 1}, "Extra inputs"),
        (
            {
                "reminders": [
                    {"key": "r", "milestone": "nope", "template": "t", "subject": {"en": "s"}}
                ]
            },
            "names unknown milestone 'nope'",
        ),
        (
            {
                "reminders": [
                    {"key": "r", "milestone": "registration", "template": "t", "subject": {}},
                    {"key": "r", "milestone": "registration", "template": "t", "subject": {}},
                ]
            },
            "unique",
        ),
        (
            {
                "reminders": [
                    {"key": MAIN_STEP, "milestone": "registration", "template": "t", "subject": {}}
                ]
            },
            "unique and not 'main'",
        ),
        (
            {"milestones": {"m": {"at": "2015-10-01T09:00", "timezone": "Mars/Olympus"}}},
            "unknown time zone",
        ),
        (
            {"milestones": {"m": {"at": "2015-10-01T09:00", "timezone": ""}}},
            "timezone",
        ),
        ({"subject": "Invitation"}, "subject"),
    ],
)
def test_invalid_definitions_raise_validation_error(
    overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        campaign(**overrides)


def test_milestone_aware_applies_its_own_zone_to_naive_times() -> None:
    naive = Milestone(at=dt.datetime(2015, 9, 25, 23, 59), timezone="Europe/Belgrade")
    assert naive.aware == dt.datetime(2015, 9, 25, 23, 59, tzinfo=ZoneInfo("Europe/Belgrade"))
    assert naive.aware.utcoffset() == dt.timedelta(hours=2)
    aware_at = dt.datetime(2015, 9, 25, 12, 0, tzinfo=dt.UTC)
    assert Milestone(at=aware_at, timezone="Europe/Sofia").aware is aware_at


# -- language variants -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("languages", "member", "expected"),
    [
        (["en", "sr-Cyrl"], "sr-Latn", "sr-Latn"),  # generated from the Cyrillic
        (["en", "sr-Latn"], "sr-Cyrl", "sr-Latn"),
        (["en", "sr-Cyrl", "sr-Latn"], "sr-Latn", "sr-Latn"),
        (["en", "sr-Cyrl"], "sr-Cyrl", "sr-Cyrl"),
        (["en", "bg"], "mk", "en"),
        (["en", "bg"], "bg", "bg"),
        (["en", "bg"], "sr-Latn", "en"),
    ],
)
def test_variant_for(languages: list[str], member: str, expected: str) -> None:
    subject = {lang: "S" for lang in languages}
    c = campaign(languages=languages, subject=subject, reminders=[])
    assert c.variant_for(member) == expected


def test_latin_readers_read_latin_unless_turned_off() -> None:
    subject = {"en": "Invitation", "sr-Cyrl": "Позивница"}
    auto = campaign(languages=["en", "sr-Cyrl"], subject=subject, reminders=[])
    assert auto.languages == ["en", "sr-Cyrl", "sr-Latn"]
    assert auto.subject_for("sr-Latn") == "Pozivnica"
    off = campaign(
        languages=["en", "sr-Cyrl"], subject=subject, reminders=[], latin_from_cyrillic=False
    )
    assert off.languages == ["en", "sr-Cyrl"] and off.variant_for("sr-Latn") == "sr-Cyrl"


def test_variant_for_falls_back_to_a_non_english_default() -> None:
    c = campaign(languages=["bg", "ro"], default_language="ro", reminders=[])
    assert c.variant_for("mk") == "ro"


def test_subject_preheader_and_copy_for_sr_latn_are_generated_from_cyrillic() -> None:
    c = campaign(languages=["en", "sr-Latn"])
    assert c.subject_for("sr-Latn") == "Poziv: NJEGOŠ i Ljubav"
    assert c.preheader_for("sr-Latn") == "Niš, 1-3. oktobar"
    assert c.copy_for("sr-Latn") == {"title": "Pridružite nam se", "items": ["Džep", {"x": "ć"}]}
    # The Cyrillic source is not changed by generating Latin from it.
    assert c.copy_for("sr-Cyrl")["items"] == ["Џеп", {"x": "ћ"}]


def test_hand_written_latin_wins_over_generated() -> None:
    c = campaign(
        subject={"en": "S", "sr-Cyrl": "Позив", "sr-Latn": "Pozivnica"},
        copy={"sr-Cyrl": {"title": "Наслов"}, "sr-Latn": {"title": "Naslov!"}},
    )
    assert c.subject_for("sr-Latn") == "Pozivnica"
    assert c.copy_for("sr-Latn") == {"title": "Naslov!"}


def test_text_lookups_for_unwritten_languages() -> None:
    c = campaign()
    with pytest.raises(KeyError):
        c.subject_for("ro")
    with pytest.raises(KeyError):
        c.preheader_for("bg")  # some preheaders exist, just not this one
    assert c.copy_for("ro") == {}
    no_preheaders = campaign(preheader={})
    assert no_preheaders.preheader_for("bg") == ""


def test_cyrillic_is_never_generated_from_latin() -> None:
    c = campaign(subject={"en": "S", "sr-Latn": "Poziv"}, copy={"sr-Latn": {"t": "x"}})
    with pytest.raises(KeyError):
        c.subject_for("sr-Cyrl")
    assert c.copy_for("sr-Cyrl") == {}


def test_written_languages_include_latin_when_cyrillic_is_written() -> None:
    assert campaign().written_languages() == {"en", "sr-Cyrl", "sr-Latn", "bg"}
    assert campaign(subject={"en": "S"}).written_languages() == {"en"}


# -- missing texts ---------------------------------------------------------------------------


def test_missing_texts_lists_each_gap_by_step_and_language() -> None:
    assert campaign().missing_texts() == ["main: bg: no preheader"]


def test_missing_texts_for_a_reminder_and_generated_latin() -> None:
    c = campaign(
        languages=["en", "sr-Latn"],
        reminders=[
            {
                "key": "last-call",
                "milestone": "registration",
                "template": "reminder.mjml.j2",
                "subject": {"en": "Last call"},
            }
        ],
    )
    assert c.missing_texts() == [
        "last-call: en: no preheader",
        "last-call: sr-Latn: no subject",
        "last-call: sr-Latn: no preheader",
    ]


def test_complete_campaign_has_no_missing_texts() -> None:
    c = campaign(
        preheader={"en": "p", "sr-Cyrl": "п", "bg": "п"},
    )
    assert c.missing_texts() == []


@pytest.mark.parametrize(
    "text", ["Invitation\r\nBcc: all@example.org", "a\nb", "tab\there", "\x00", "x\u2028y"]
)
@pytest.mark.parametrize("field", ["subject", "preheader"])
def test_control_characters_are_refused_in_one_line_texts(field: str, text: str) -> None:
    """A subject is a mail header; CR/LF would inject headers."""
    with pytest.raises(ValidationError, match="control character"):
        campaign(**{field: {"en": text}})
    reminder = definition()
    reminder["reminders"] = [
        {"key": "r", "milestone": "deadline", "template": "t.mjml.j2", field: {"en": text}}
    ]
    if field == "preheader":
        reminder["reminders"][0]["subject"] = {"en": "ok"}
    with pytest.raises(ValidationError, match="control character"):
        CampaignDefinition.model_validate(reminder)
