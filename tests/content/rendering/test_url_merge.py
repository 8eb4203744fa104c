"""Merge values that land inside a URL are percent-encoded, read back from the MIME bytes."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from jinja2.sandbox import SandboxedEnvironment

from newsletter.content.rendering import merge
from newsletter.content.rendering.compose import compose_variant, render_message
from newsletter.content.rendering.environment import build_environment
from newsletter.content.rendering.mime import to_mime
from tests.content.rendering.test_compose import (
    BODY,
    ORG,
    SENDER,
    UI,
    UNSUBSCRIBE,
    make_campaign,
    person,
)

TEMPLATES = {
    "form.mjml.j2": BODY.format(
        '<mj-text><a href="https://forms.clusterhouse.example/rsvp?email={{ recipient.email }}'
        '&name={{ recipient.full_name }}&org={{ recipient.organization }}">RSVP</a>'
        ' <a href="https://clusterhouse.example/people/{{ recipient.last_name }}/card">me</a>'
        ' <a href="{{ links.unsubscribe }}">u</a>'
        ' <a href="https://clusterhouse.example/leave?next={{ links.unsubscribe }}">l</a>'
        "</mj-text>"
        '<mj-button href="mailto:office@clusterhouse.example?subject={{ recipient.full_name }}">'
        "Write</mj-button>"
        "<mj-text>Dear {{ recipient.full_name }}</mj-text>"
    ),
    "form.txt.j2": (
        "Dear {{ recipient.full_name }}\n"
        "RSVP: https://forms.clusterhouse.example/rsvp?email={{ recipient.email }}"
        "&name={{ recipient.full_name }}\n"
        "Unsubscribe: {{ links.unsubscribe }}\n"
    ),
}

#: Every character that could end a query value, start a fragment or break out of an attribute.
HOSTILE_NAME = {"first_name": 'Ана & "Co"', "last_name": "O'Brien ?x=1#frag"}
HOSTILE_ORG = "Kластер Ниш/Sofia & Co;<b>"


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs += [v for k, v in attrs if k == "href" and v is not None]


@pytest.fixture
def env() -> SandboxedEnvironment:
    return build_environment(lambda name: TEMPLATES[name])


def _sent(env: SandboxedEnvironment, **who: Any) -> tuple[list[str], str]:
    """The hrefs of the HTML part and the text part, parsed from the message's raw bytes."""
    variant = compose_variant(
        make_campaign("form.mjml.j2"), "main", "en", env=env, organisation=ORG, ui=UI
    )
    message = render_message(variant, SENDER, person(**who))
    raw = to_mime(
        message, message_id="<1@clusterhouse.example>", date=dt.datetime(2015, 9, 1, tzinfo=dt.UTC)
    ).as_bytes()
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    html_part = parsed.get_body(("html",))
    text_part = parsed.get_body(("plain",))
    assert html_part is not None and text_part is not None
    links = _Links()
    links.feed(html_part.get_content())
    return links.hrefs, text_part.get_content()


def test_hostile_merge_values_stay_inside_their_query_parameter(env: SandboxedEnvironment) -> None:
    hrefs, text = _sent(env, organization=HOSTILE_ORG, **HOSTILE_NAME)
    rsvp = urlsplit(hrefs[0])
    assert (rsvp.scheme, rsvp.netloc, rsvp.path) == ("https", "forms.clusterhouse.example", "/rsvp")
    assert rsvp.fragment == ""  # the '#' in the name did not start one
    assert parse_qs(rsvp.query) == {
        "email": ["ana@example.org"],
        "name": ['Ана & "Co" O\'Brien ?x=1#frag'],
        "org": [HOSTILE_ORG],
    }
    # A path segment: the '/', '?' and '#' of the name do not add segments or a query.
    card = urlsplit(hrefs[1])
    assert card.path.count("/") == 3 and card.query == "" and card.fragment == ""
    assert unquote(card.path.split("/")[2]) == "O'Brien ?x=1#frag"
    # The whole-URL placeholder is the link itself; inside another URL it is one value.
    assert hrefs[2] == UNSUBSCRIBE
    assert parse_qs(urlsplit(hrefs[3]).query) == {"next": [UNSUBSCRIBE]}
    # The name still reads as typed outside URLs.
    assert 'Dear Ана & "Co" O\'Brien ?x=1#frag\r\n' in text
    line = next(x for x in text.splitlines() if x.startswith("RSVP: "))
    query = parse_qs(urlsplit(line.removeprefix("RSVP: ")).query)
    assert query == {"email": ["ana@example.org"], "name": ['Ана & "Co" O\'Brien ?x=1#frag']}


def test_mailto_subject_is_percent_encoded(env: SandboxedEnvironment) -> None:
    variant = compose_variant(
        make_campaign("form.mjml.j2"), "main", "en", env=env, organisation=ORG, ui=UI
    )
    message = render_message(variant, SENDER, person(**HOSTILE_NAME))
    start = message.html.index('href="mailto:')
    href = message.html[start + 6 : message.html.index('"', start + 6)]
    assert " " not in href and "&" not in href.split("?", 1)[1]
    assert unquote(href.split("subject=", 1)[1]) == 'Ана & "Co" O\'Brien ?x=1#frag'


def test_only_placeholders_inside_an_address_are_marked() -> None:
    html = (
        '<a href="[[nl:unsubscribe_url:h]]">u</a> <img src="https://x.example/p?e=[[nl:email:h]]">'
        " <p>[[nl:email:h]]</p>"
    )
    assert merge.mark_urls_in_html(html) == (
        '<a href="[[nl:unsubscribe_url:h]]">u</a> <img src="https://x.example/p?e=[[nl:email:u]]">'
        " <p>[[nl:email:h]]</p>"
    )
    text = "Hi [[nl:first_name]], see https://x.example/?n=[[nl:first_name]] or [[nl:email]]"
    assert merge.mark_urls_in_text(text) == (
        "Hi [[nl:first_name]], see https://x.example/?n=[[nl:first_name:u]] or [[nl:email]]"
    )
    subs = merge.substitutions({"first_name": "Ана & Co"})
    assert subs["[[nl:first_name:u]]"] == "%D0%90%D0%BD%D0%B0%20%26%20Co"
    assert merge.fields_used("https://x.example/?n=[[nl:first_name:u]]") == {"first_name"}


def test_only_fields_a_variant_puts_inside_a_url_are_percent_encoded() -> None:
    """The signed links sit in ``href`` whole: a variant that merges only them, and a name
    into a query, gets the encoded form of the name alone - and the message it fills is the
    same as with every field encoded."""
    html = merge.mark_urls_in_html(
        '<a href="[[nl:unsubscribe_url:h]]">u</a> <a href="https://x.example/?n=[[nl:first_name:h]]">'
        "[[nl:first_name:h]]</a>"
    )
    text = merge.mark_urls_in_text("[[nl:unsubscribe_url]] https://x.example/?n=[[nl:first_name]]")
    assert merge.url_fields_used(html, text) == {"first_name"}
    values = {"first_name": "Ана & Co", "unsubscribe_url": "https://n.example/u/a.b?t=1"}
    lean = merge.substitutions(values, url_fields=merge.url_fields_used(html, text))
    full = merge.substitutions(values)
    assert "[[nl:unsubscribe_url:u]]" not in lean and "[[nl:unsubscribe_url:u]]" in full
    assert lean["[[nl:first_name:u]]"] == "%D0%90%D0%BD%D0%B0%20%26%20Co"
    for part in (html, text):
        assert merge.fill(part, lean) == merge.fill(part, full)
        assert "[[nl:" not in merge.fill(part, lean)
