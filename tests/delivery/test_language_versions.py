"""A campaign written in Serbian Cyrillic only (sr-Latn not among its languages) reaches Serbian
Latin readers in Latin, end to end: sample audiences imported, a real send to the outbox, the
messages read back with the stdlib parser."""

from __future__ import annotations

import csv
import email
import re
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from newsletter.content.composing import validate_campaign
from newsletter.content.domain.campaigns import MAIN_STEP
from newsletter.delivery.sending import send_campaign
from tests.delivery.test_sending import load_samples
from tests.services import Services

LETTER = "chairmans-letter"
CYRILLIC = re.compile(r"[\u0400-\u04ff]")


def readers(project: Path) -> dict[str, str]:
    """address -> language, from the sample CSVs, of everyone following the news."""
    found = {}
    for name in ("members.csv", "friends.csv"):
        with (project / "audiences" / name).open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                if "news" in row["topics"].split(";"):
                    found[row["email"].lower()] = row["language"]
    return found


@pytest.mark.slow
def test_cyrillic_only_campaign_reaches_latin_readers_in_latin(
    ctx: Services, project: Path
) -> None:
    path = project / "campaigns" / f"{LETTER}.yaml"
    source = path.read_text(encoding="utf-8")
    assert "languages: [en, sr-Cyrl, sr-Latn]" in source
    path.write_text(source.replace("languages: [en, sr-Cyrl, sr-Latn]", "languages: [en, sr-Cyrl]"))
    load_samples(ctx, project)
    validation = validate_campaign(ctx, LETTER)
    latin = {v.version: v for v in validation.coverage}["sr-Latn"]
    assert latin.readers > 0 and latin.fallbacks == {}  # generated: Latin readers read Latin

    report = send_campaign(ctx, LETTER)
    assert report.sent == validation.audience
    language_of = readers(project)
    seen: dict[str, int] = {}
    for eml in (project / "var" / "outbox" / LETTER / MAIN_STEP).glob("*.eml"):
        message = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        address = str(message["To"].addresses[0].addr_spec).lower()
        html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
        text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        version = re.search(r'<html lang="([^"]+)"', html).group(1)  # type: ignore[union-attr]
        if language_of[address] == "sr-Latn":
            assert version == "sr-Latn"
            assert not CYRILLIC.search(str(message["Subject"]))
            assert not CYRILLIC.search(text), f"Cyrillic in the Latin text to {address}"
            assert "Draga porodico Klaster Hausa," in text  # "Драга породицо Кластер Хауса,"
        elif language_of[address] == "sr-Cyrl":
            assert version == "sr-Cyrl" and CYRILLIC.search(str(message["Subject"]))
        seen[version] = seen.get(version, 0) + 1
    # Every Latin reader of the news got the Latin version.
    assert seen["sr-Latn"] == latin.readers == list(language_of.values()).count("sr-Latn")
