"""The repository's own sample campaigns, templates and UI strings, composed the way services
do it but with fixed links and calendar revisions, so outputs are stable across runs."""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path

from jinja2 import Environment

from newsletter.audiences.domain.deliveries import Recipient
from newsletter.content.domain.campaigns import CampaignDefinition
from newsletter.content.files.project_files import ProjectFiles
from newsletter.content.rendering import ics as calendar
from newsletter.content.rendering.compose import (
    ComposedVariant,
    Organisation,
    OutboundMessage,
    Sender,
    calendar_domain,
    compose_variant,
    personalize,
    render_message,
)
from newsletter.content.rendering.environment import build_environment

REPO = Path(__file__).resolve().parents[3]
FILES = ProjectFiles(REPO / "templates", REPO / "audiences", REPO / "campaigns")
SLUGS = ("days-of-clusters-2015", "interreg-ipa-bg-rs-first-call", "chairmans-letter")
ORG = Organisation(
    "Balkan & Black Sea Cluster Network",
    "Cluster House, Niš, Serbia",
    "https://clusterhouse.example",
    (  # as in config.yaml (tests/test_config.py checks they agree)
        ("sr-Cyrl", "Мрежа кластера Балкана и Црног мора", "Кластер Хаус, Ниш, Србија"),
        ("bg", "Мрежа на клъстерите от Балканите и Черно море", "Клъстер Хаус, Ниш, Сърбия"),
        ("mk", "Мрежа на кластери од Балканот и Црното Море", "Кластер Хаус, Ниш, Србија"),
    ),
)
SENDER = Sender("news@clusterhouse.example", "Cluster House", "office@clusterhouse.example")
STAMP = dt.datetime(2015, 9, 1, 8, 0, tzinfo=dt.UTC)


@cache
def campaign(slug: str) -> CampaignDefinition:
    return FILES.campaign(slug)[0]


@cache
def environment() -> Environment:
    return build_environment(FILES.template)


@cache
def ui() -> dict[str, dict[str, str]]:
    return FILES.ui_strings()


def revisions(c: CampaignDefinition, sequence: int = 0) -> dict[str, calendar.Revision]:
    return {
        e.uid: calendar.Revision(sequence, STAMP) for e in calendar.entries(c, calendar_domain(ORG))
    }


def variant(slug: str, lang: str, step: str = "main") -> ComposedVariant:
    c = campaign(slug)
    return compose_variant(
        c, step, lang, env=environment(), organisation=ORG, ui=ui(), revisions=revisions(c)
    )


def reader(lang: str, zone: str = "Europe/Belgrade") -> Recipient:
    return Recipient(11, 7, "ana@example.org", "Ana", "Petrović", "Cluster Niš", lang, zone)


def message(slug: str, lang: str, step: str = "main") -> OutboundMessage:
    c = campaign(slug)
    person = personalize(
        reader(lang),
        unsubscribe_url="https://news.clusterhouse.example/u/TOKEN",
        preferences_url="https://news.clusterhouse.example/p/TOKEN",
        list_id='"Cluster House" <news.clusterhouse.example>',
        campaign=c,
        language=lang,
    )
    return render_message(variant(slug, lang, step), SENDER, person)
