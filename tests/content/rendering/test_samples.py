"""Every sample campaign renders in every language it targets, and its plain text is pinned.

Golden files: ``tests/content/rendering/golden/<slug>[-<step>]-<lang>.txt``, the plain-text part for
a fixed reader in Belgrade with fixed links, in English and Serbian Cyrillic. After an intended
change, regenerate them and review the diff::

    NEWSLETTER_REGENERATE_GOLDEN=1 .venv/bin/pytest tests/content/rendering/test_samples.py
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest
from babel.dates import format_date

from newsletter.content.rendering.compose import MAX_HTML_BYTES
from tests.content.rendering import samples

GOLDEN = Path(__file__).parent / "golden"
NBSP = "\xa0"
REGENERATE = os.environ.get("NEWSLETTER_REGENERATE_GOLDEN") == "1"
VARIANTS = [
    (slug, step, lang)
    for slug in samples.SLUGS
    for step in samples.campaign(slug).step_keys()
    for lang in samples.campaign(slug).languages
]


def golden_name(slug: str, step: str, lang: str) -> str:
    return f"{slug}{'' if step == 'main' else '-' + step}-{lang}.txt"


@pytest.mark.parametrize(
    ("slug", "step", "lang"), [v for v in VARIANTS if v[2] in ("en", "sr-Cyrl")]
)
def test_plain_text_matches_the_golden_file(slug: str, step: str, lang: str) -> None:
    text = samples.message(slug, lang, step).text
    path = GOLDEN / golden_name(slug, step, lang)
    if REGENERATE:
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path} missing: run with NEWSLETTER_REGENERATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8")


def test_every_golden_file_belongs_to_a_variant() -> None:
    expected = {golden_name(*v) for v in VARIANTS if v[2] in ("en", "sr-Cyrl")}
    assert {p.name for p in GOLDEN.glob("*.txt")} == expected


@pytest.mark.parametrize(("slug", "step", "lang"), VARIANTS)
def test_every_targeted_language_renders_a_complete_email(slug: str, step: str, lang: str) -> None:
    msg = samples.message(slug, lang, step)
    html = msg.html
    assert len(html.encode("utf-8")) < MAX_HTML_BYTES
    assert re.search(rf'<html lang="{re.escape(lang)}" dir="ltr"', html)
    assert "fonts.googleapis.com" not in html
    for leftover in ("{{", "{%", "{#", "<mj-", "[[nl:"):
        assert leftover not in html and leftover not in msg.text
    assert "https://news.clusterhouse.example/u/TOKEN" in html  # the footer link survived
    assert "https://news.clusterhouse.example/u/TOKEN" in msg.text
    assert 'role="presentation"' in html
    for img in re.findall(r"<img\b[^>]*>", html):
        assert re.search(r'alt="[^"]+"', img), img


def test_campaigns_have_no_missing_texts() -> None:
    for slug in samples.SLUGS:
        assert samples.campaign(slug).missing_texts() == [], slug


def test_deadline_shows_the_official_and_the_readers_time() -> None:
    """Date and time joined as CLDR joins them for Serbian (a space: no comma of our own)."""
    text = samples.message("interreg-ipa-bg-rs-first-call", "sr-Cyrl").text
    day = format_date(dt.date(2015, 11, 17), "long", locale="sr_Cyrl").replace(" ", NBSP, 1)
    assert day == f"17.{NBSP}новембар 2015."
    assert (
        f"{day} 16:00 (званична временска зона: Софија, GMT+02:00) · 15:00 (Београд, GMT+01:00)"
    ) in text
    assert "12.687.304,24\xa0€" in text


def test_preheader_is_hidden_without_a_font_colour_trick() -> None:
    """Hidden as Litmus describes (display:none, no height, overflow hidden, mso-hide for
    Outlook), not as MJML's <mj-preview> does it (a white 1px font, which SpamAssassin
    scores as HTML_FONT_LOW_CONTRAST)."""
    msg = samples.message("days-of-clusters-2015", "sr-Cyrl")
    variant = samples.variant("days-of-clusters-2015", "sr-Cyrl")
    found = re.search(r'<div style="([^"]*)">([^<]*)</div>', msg.html)
    assert found is not None and found.group(2) == variant.preheader
    style = dict(rule.split(":", 1) for rule in found.group(1).strip(";").split(";"))
    assert style["display"] == "none" and style["mso-hide"] == "all"
    assert style["overflow"] == "hidden" and style["max-height"] == "0px"
    assert not {"color", "font-size", "opacity"} & set(style)


@pytest.mark.parametrize("lang", ["sr-Cyrl", "bg", "mk"])
def test_cyrillic_emails_name_the_organisation_in_their_own_language(lang: str) -> None:
    msg = samples.message("days-of-clusters-2015", lang)
    own = samples.ORG.in_language(lang)
    assert own.name != samples.ORG.name
    for part in (msg.html, msg.text):
        assert own.name in part and own.postal_address in part
        assert "Balkan &amp; Black Sea" not in part and "Cluster House, Niš, Serbia" not in part


def test_serbian_latin_names_the_organisation_in_latin() -> None:
    msg = samples.message("chairmans-letter", "sr-Latn")
    assert "Mreža klastera Balkana i Crnog mora" in msg.text
    assert "Klaster Haus, Niš, Srbija" in msg.text


@pytest.mark.parametrize(("lang", "locale"), [("sr-Cyrl", "sr_Cyrl"), ("en", "en_GB")])
def test_html_keeps_each_day_with_its_month(lang: str, locale: str) -> None:
    """The early-bird date as the deadline shows it, with a no-break space (U+00A0) between
    day and month: at phone width "2." never ends a line with "октобар" opening the next."""
    html = samples.message("days-of-clusters-2015", lang, "early-bird-1d").html
    cldr = format_date(dt.date(2015, 10, 2), "long", locale=locale)
    assert cldr.replace(" ", NBSP, 1) in html
    assert cldr not in html


def test_english_dates_are_british() -> None:
    text = samples.message("days-of-clusters-2015", "en").text
    assert "22\u2009–\u200923\xa0October 2015" in text  # CLDR en_GB's interval, month written out
    assert f"2{NBSP}October 2015, 23:59" in text
    assert "October 22" not in text
