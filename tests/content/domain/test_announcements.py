"""Typed announcements: models per kind, translated texts, and their wiring into campaigns."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from newsletter.content.domain.announcements import CallForProposals, ConferenceInvitation, Letter
from newsletter.content.domain.campaigns import CampaignDefinition
from newsletter.content.domain.translated import (
    TranslatedList,
    TranslatedText,
    localize,
    untranslated,
)


def conference(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": {"en": "Days of Clusters 2015", "sr-Cyrl": "Дани кластера 2015"},
        "edition": 6,
        "starts": "2015-10-22",
        "ends": "2015-10-23",
        "city": {"en": "Brașov", "sr-Cyrl": "Брашов"},
        "country": {"en": "Romania", "sr-Cyrl": "Румунија"},
        "timezone": "Europe/Bucharest",
        "highlights": {"en": ["Talks"], "sr-Cyrl": ["Предавања"]},
        "registration_url": "https://daysofclusters.example/2015/register",
        "early_bird_deadline": "early_bird",
        "organisers": [{"name": "Cluster House, Niš", "roles": ["founder", "co_organiser"]}],
    }
    data.update(overrides)
    return data


def call(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "programme": "Interreg-IPA CBC Bulgaria–Serbia",
        "call_number": "1",
        "managing_authority": "Ministry of Regional Development and Public Works",
        "opens": "2015-08-17",
        "submission_deadline": "submission_deadline",
        "budget": "12687304.24",
        "currency": "EUR",
        "eligible_area": "the Bulgaria–Serbia cross-border region",
        "url": "https://interreg-ipa-bg-rs.example/first-call",
        "documents": [{"title": {"en": "Guidelines"}, "url": "https://x.example/g.pdf"}],
        "info_days": [{"on": "2015-09-10", "city": "Niš"}],
    }
    data.update(overrides)
    return data


def errors(model: type[Any], data: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return [(e["loc"], e["msg"]) for e in caught.value.errors()]


# -- models ----------------------------------------------------------------------------------


def test_conference_invitation_holds_the_issue_fields() -> None:
    c = ConferenceInvitation.model_validate(conference())
    assert c.starts == dt.date(2015, 10, 22)
    assert c.deadlines() == ["early_bird"]
    assert c.milestone_refs() == {"early_bird_deadline": "early_bird"}


def test_call_for_proposals_keeps_the_budget_exact() -> None:
    c = CallForProposals.model_validate(call())
    assert c.budget == Decimal("12687304.24")
    assert c.deadlines() == ["submission_deadline"]


@pytest.mark.parametrize(
    ("model", "data", "field", "message"),
    [
        (ConferenceInvitation, conference(starts="22.10.2015"), ("starts",), "date"),
        (ConferenceInvitation, conference(timezone="Europe/Nis"), ("timezone",), "time zone"),
        (ConferenceInvitation, conference(ends="2015-10-01"), (), "before starts"),
        (ConferenceInvitation, conference(highlights=[]), ("highlights",), "empty"),
        (ConferenceInvitation, conference(name={"de": "Tage"}), ("name",), "unknown language"),
        (ConferenceInvitation, conference(venu="typo"), ("venu",), "Extra inputs"),
        (
            ConferenceInvitation,
            conference(registration_url="javascript:alert(1)"),
            ("registration_url",),
            "scheme javascript:",
        ),
        (
            ConferenceInvitation,
            conference(organisers=[{"name": "X", "roles": ["boss"]}]),
            ("organisers", 0, "roles", 0),
            "Input should be",
        ),
        (
            ConferenceInvitation,
            conference(prices=[{"label": "Early", "amount": "90.001", "currency": "EUR"}]),
            ("prices", 0, "amount"),
            "decimal places",
        ),
        (CallForProposals, call(currency="euro"), ("currency",), "pattern"),
        (CallForProposals, call(budget="-1"), ("budget",), "greater than 0"),
        (CallForProposals, call(submission_deadline=None), ("submission_deadline",), "string"),
        (
            CallForProposals,
            call(documents=[{"title": "Guide", "url": "ftp://x.example/g.pdf"}]),
            ("documents", 0, "url"),
            "scheme ftp:",
        ),
        (Letter, {"sections": []}, ("sections",), "at least 1"),
        (Letter, {"sections": [{"heading": "Only a heading"}]}, ("sections", 0), "paragraphs"),
    ],
)
def test_content_that_does_not_fit_names_the_field(
    model: type[Any], data: dict[str, Any], field: tuple[Any, ...], message: str
) -> None:
    found = errors(model, data)
    assert any(loc[: len(field)] == field and message in msg for loc, msg in found), found


@pytest.mark.parametrize(
    "image",
    [
        {"src": "https://clusterhouse.example/dofc-2016.jpg"},
        {"src": "https://clusterhouse.example/dofc-2016.jpg", "alt": ""},
        {"src": "https://clusterhouse.example/dofc-2016.jpg", "alt": {"en": "   "}},
    ],
)
def test_an_image_without_alt_text_is_a_validation_error(image: dict[str, Any]) -> None:
    data = {"sections": [{"image": image}]}
    found = errors(Letter, data)
    assert found[0][0][:4] == ("sections", 0, "image", "alt"), found


def test_an_image_must_be_a_web_url() -> None:
    image = {"src": "data:image/png;base64,AAAA", "alt": "Photo"}
    found = errors(Letter, {"sections": [{"image": image}]})
    assert found[0][0] == ("sections", 0, "image", "src")


# -- translated texts ------------------------------------------------------------------------


def test_a_plain_text_is_the_same_in_every_language() -> None:
    name = TranslatedText.model_validate("Global TCI Network")
    assert name.get("tr") == "Global TCI Network"


def test_serbian_latin_is_generated_and_can_be_overridden() -> None:
    generated = TranslatedText.model_validate({"sr-Cyrl": "ЉУБАВ и Џеп"})
    assert generated.get("sr-Latn") == "LJUBAV i Džep"
    written = TranslatedText.model_validate({"sr-Cyrl": "Ниш", "sr-Latn": "Nish"})
    assert written.get("sr-Latn") == "Nish"
    assert TranslatedText.model_validate({"sr-Latn": "Niš"}).get("sr-Cyrl") is None


def test_resolve_walks_the_fallback_chain() -> None:
    items = TranslatedList.model_validate({"bg": ["Лекции"], "en": ["Talks"]})
    assert items.resolve(["mk", "bg", "en"]) == ["Лекции"]
    assert items.resolve(["tr"]) == ["Лекции"]  # never empty: the first written value


def test_localize_gives_plain_values_in_one_language() -> None:
    c = ConferenceInvitation.model_validate(conference())
    plain = localize(c, ["sr-Latn", "en"])
    assert plain["name"] == "Dani klastera 2015"
    assert plain["highlights"] == ["Predavanja"]
    assert plain["organisers"] == [
        {"name": "Cluster House, Niš", "roles": ["founder", "co_organiser"], "url": None}
    ]
    assert plain["starts"] == dt.date(2015, 10, 22)


def test_untranslated_lists_the_field_paths() -> None:
    c = ConferenceInvitation.model_validate(conference())
    assert list(untranslated(c, "sr-Latn")) == []
    assert list(untranslated(c, "bg")) == [
        "content.name",
        "content.city",
        "content.country",
        "content.highlights",
    ]


# -- wiring into a campaign ------------------------------------------------------------------


def campaign(kind: str = "conference_invitation", **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "slug": "dofc-2015",
        "kind": kind,
        "title": "Days of Clusters 2015",
        "audience": "events-audience",
        "template": "conference_invitation.mjml.j2",
        "languages": ["en", "sr-Cyrl", "sr-Latn"],
        "subject": {"en": "Invitation", "sr-Cyrl": "Позив"},
        "preheader": {"en": "Brașov", "sr-Cyrl": "Брашов"},
        "content": conference(),
        "milestones": {"early_bird": {"at": "2015-10-02T23:59:00", "timezone": "Europe/Bucharest"}},
    }
    data.update(overrides)
    return data


def test_campaign_content_is_validated_against_its_kind() -> None:
    c = CampaignDefinition.model_validate(campaign())
    assert isinstance(c.content, ConferenceInvitation)
    again = CampaignDefinition.model_validate(c.model_dump(mode="json", by_alias=True))
    assert again == c


def test_content_of_another_kind_is_an_error_naming_the_field() -> None:
    with pytest.raises(ValidationError) as caught:
        CampaignDefinition.model_validate(campaign(kind="call_for_proposals"))
    locs = {e["loc"] for e in caught.value.errors()}
    assert ("content", "programme") in locs
    assert ("content", "name") in locs  # an extra field for a call


def test_a_deadline_must_name_a_milestone() -> None:
    with pytest.raises(ValidationError) as caught:
        CampaignDefinition.model_validate(campaign(milestones={}))
    (error,) = caught.value.errors()
    assert error["loc"] == ("content", "early_bird_deadline")
    assert "no milestone 'early_bird'" in error["msg"]


def test_missing_texts_include_untranslated_content() -> None:
    c = CampaignDefinition.model_validate(
        campaign(languages=["en", "ro"], subject={"en": "S", "ro": "S"}, preheader={})
    )
    assert "main: ro: no content.highlights" in c.missing_texts()
    assert "main: en: no content.highlights" not in c.missing_texts()


def test_fallback_chain_per_campaign() -> None:
    c = CampaignDefinition.model_validate(
        campaign(
            languages=["en", "sr-Latn", "bg"],
            subject={"en": "S", "sr-Cyrl": "С", "bg": "С"},
            fallbacks={"mk": ["bg"], "sr-Cyrl": ["sr-Latn"]},
        )
    )
    assert c.fallback_chain("sr-Cyrl") == ["sr-Cyrl", "sr-Latn", "en"]
    assert c.variant_for("sr-Cyrl") == "sr-Latn"
    assert c.variant_for("mk") == "bg"
    assert c.variant_for("tr") == "en"


def test_fallbacks_must_point_at_campaign_languages() -> None:
    with pytest.raises(ValidationError, match="not among the campaign's languages"):
        CampaignDefinition.model_validate(campaign(fallbacks={"mk": ["bg"]}))
