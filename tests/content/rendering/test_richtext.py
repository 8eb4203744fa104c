"""Rich text in a newsletter, end to end: the sample project news composed with the project's
own templates, written as the MIME bytes a member receives, read back with the stdlib parser."""

from __future__ import annotations

import datetime as dt
import email
import re
from email import policy
from email.message import EmailMessage
from typing import Any

import pytest
import yaml

from newsletter.content.domain.campaigns import CampaignDefinition
from newsletter.content.files.project_files import ProjectFiles
from newsletter.content.rendering.compose import compose_variant
from newsletter.content.rendering.environment import build_environment
from newsletter.content.rendering.linkcheck import external_hosts
from newsletter.content.rendering.mime import to_mime
from newsletter.errors import CampaignError, RenderError
from tests.content.rendering import samples

SLUG = "balkan-cluster-project"
PROGRAMME = "https://interreg-ipa-bg-rs.example/"


def raw_message(campaign: CampaignDefinition, lang: str) -> bytes:
    variant = compose_variant(
        campaign, "main", lang, env=samples.environment(), organisation=samples.ORG, ui=samples.ui()
    )
    person = samples.personalize(
        samples.reader(lang),
        unsubscribe_url="https://news.clusterhouse.example/u/TOKEN",
        preferences_url="https://news.clusterhouse.example/p/TOKEN",
        list_id='"Cluster House" <news.clusterhouse.example>',
        campaign=campaign,
        language=lang,
    )
    outbound = samples.render_message(variant, samples.SENDER, person)
    stamp = dt.datetime(2015, 5, 4, 8, 0, tzinfo=dt.UTC)
    return to_mime(outbound, message_id="<x.1@news.clusterhouse.example>", date=stamp).as_bytes()


def parts(raw: bytes) -> tuple[str, str]:
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    html = parsed.get_body(("html",))
    text = parsed.get_body(("plain",))
    assert html is not None and text is not None
    # Parts travel in canonical CRLF form (RFC 2046 §4.1.1); compare as written.
    return (
        html.get_content().replace("\r\n", "\n"),
        text.get_content().replace("\r\n", "\n"),
    )


def with_paragraphs(paragraphs: list[str]) -> CampaignDefinition:
    data: dict[str, Any] = yaml.safe_load(samples.FILES.campaign_path(SLUG).read_text())
    data["slug"] = SLUG
    data["content"]["sections"][0]["paragraphs"] = paragraphs
    return CampaignDefinition.model_validate(data)


@pytest.mark.parametrize("lang", ["en", "bg", "sr-Cyrl", "sr-Latn"])
def test_bold_word_and_inline_link_in_html_and_text(lang: str) -> None:
    campaign, _ = samples.FILES.campaign(SLUG)
    html, text = parts(raw_message(campaign, lang))
    bold = {"en": "Balkan Cluster", "bg": "Балкански клъстер", "sr-Cyrl": "Балкан кластер"}
    word = bold.get(lang, "Balkan klaster")
    assert f"<strong>{word}</strong>" in html
    assert f"**{word}**" not in html and f"**{word}**" not in text
    assert f"*{word}*" in text
    link = re.search(rf'<a href="{re.escape(PROGRAMME)}" style="[^"]*">([^<]+)</a>', html)
    assert link is not None, "the inline link is an <a href> in the HTML part"
    assert f"{link.group(1)} ({PROGRAMME})" in text  # written out in the plain-text part
    assert "<ul" in html and html.count("<li") == 2  # the two partners
    assert re.search(r"^- \*.+\*, (Niš|Ниш)$", text, re.MULTILINE)
    assert "office@clusterhouse.example" in text and "[Write to us]" not in text
    # The link is an external host the approver sees, like every other link.
    assert "interreg-ipa-bg-rs.example" in external_hosts(html, "https://clusterhouse.example")[1]


def test_html_tags_and_placeholders_typed_in_a_paragraph_are_text() -> None:
    campaign = with_paragraphs(
        [
            '<img src="https://evil.example/x.png"> <a href="javascript:alert(1)">hi</a>'
            " **<b>x</b>**",
            "Your address: [[nl:email]] and **[[nl:unsubscribe_url]]** [me](https://a.example/[[nl:email]])",
            "***deep _nested **markers** here_*** and **unclosed *mixed** markers*",
        ]
    )
    html, text = parts(raw_message(campaign, "en"))
    assert "evil.example" not in re.findall(r'(?:src|href)="([^"]*)"', html)
    assert "&lt;img src=" in html and "&lt;a href=" in html
    assert "<strong>&lt;b&gt;x&lt;/b&gt;</strong>" in html
    assert '<a href="javascript' not in html
    # Typed placeholders are never filled with the reader's data.
    assert "ana@example.org" not in html.split("nl-footer")[0]
    assert "Your address: [\u2060[nl:email]]" in text
    assert "ana@example.org" not in text.split("Your address")[1].split("\n")[0]
    # Markers that do not pair up stay visible; the HTML stays well nested.
    assert html.count("<strong>") == html.count("</strong>")
    assert html.count("<em>") == html.count("</em>")


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "data:text/html,x", "vbscript:x", "file:///etc/passwd"]
)
def test_a_paragraph_link_that_may_not_be_sent_is_refused_naming_file_and_link(
    tmp_path: Any, url: str
) -> None:
    data = yaml.safe_load(samples.FILES.campaign_path(SLUG).read_text())
    data["content"]["sections"][1]["paragraphs"]["bg"] = [f"Моля, [натиснете тук]({url})."]
    (tmp_path / "campaigns").mkdir()
    path = tmp_path / "campaigns" / f"{SLUG}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    files = ProjectFiles(
        samples.REPO / "templates", samples.REPO / "audiences", tmp_path / "campaigns"
    )
    with pytest.raises(CampaignError) as caught:
        files.campaign(SLUG)
    message = str(caught.value)
    assert SLUG in message and "sections" in message and "натиснете тук" in message


def test_copy_rendered_with_the_rich_filter_refuses_an_unsafe_link_naming_the_template() -> None:
    # Template copy (t.*) is not a content model field: a file's copy is checked at render time.
    def load(name: str) -> str:
        source = samples.FILES.template(name)
        return source.replace("{{ t.headline }}", "{{ t.headline | rich }}")

    data = yaml.safe_load(samples.FILES.campaign_path(SLUG).read_text())
    data["slug"] = SLUG
    data["copy"]["en"]["headline"] = "See [this](javascript:alert(1))"
    campaign = CampaignDefinition.model_validate(data)
    env = build_environment(load)
    with pytest.raises(RenderError) as caught:
        compose_variant(campaign, "main", "en", env=env, organisation=samples.ORG, ui=samples.ui())
    assert "javascript" in str(caught.value) and "letter.mjml.j2" in str(caught.value)


def test_template_copy_model_refuses_an_unsafe_link_in_a_paragraph() -> None:
    from pydantic import ValidationError

    from newsletter.authoring.form.fields import CallCopy, ReminderCopy

    with pytest.raises(ValidationError, match="javascript"):
        ReminderCopy.model_validate({"headline": "x", "body": ["ok", "[y](javascript:alert(1))"]})
    CallCopy.model_validate(
        {"headline": "x", "intro": ["**ok** [y](https://x.example)"], "closing": "*ok*"}
    )
