"""Merge fields: placeholders rendered once per variant, filled once per recipient."""

from __future__ import annotations

import pytest
from markupsafe import Markup

from newsletter.content.rendering.merge import (
    ALL_FIELDS,
    LINK_FIELDS,
    RECIPIENT_FIELDS,
    MergeProxy,
    fill,
    links_proxy,
    placeholder,
    recipient_proxy,
    substitutions,
    url_placeholder,
)

NASTY = "<script>alert(\"x\")</script> & 'O'Brien'"
NASTY_HTML = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;O&#x27;Brien&#x27;"


def test_html_and_text_placeholders_differ() -> None:
    for field in ALL_FIELDS:
        html = placeholder(field, html_part=True)
        text = placeholder(field, html_part=False)
        assert html != text
        assert field in html and field in text
        assert html.isascii() and text.isascii()


def test_placeholders_survive_html_escaping() -> None:
    # Autoescaping must not touch a placeholder, or fill() would never find it again.
    for field in ALL_FIELDS:
        token = placeholder(field, html_part=True)
        assert str(Markup.escape(token)) == token


def test_all_fields_are_recipient_fields_and_url_links() -> None:
    assert (*RECIPIENT_FIELDS, *(f"{n}_url" for n in LINK_FIELDS)) == ALL_FIELDS


def test_recipient_proxy_gives_markup_in_html_and_str_in_text() -> None:
    html = recipient_proxy(html_part=True).first_name
    text = recipient_proxy(html_part=False).first_name
    assert isinstance(html, Markup)
    assert html == placeholder("first_name", html_part=True)
    assert not isinstance(text, Markup)
    assert text == placeholder("first_name", html_part=False)


def test_links_proxy_maps_to_url_fields() -> None:
    assert links_proxy(html_part=True).unsubscribe == placeholder("unsubscribe_url", html_part=True)
    assert links_proxy(html_part=False).preferences == placeholder(
        "preferences_url", html_part=False
    )


@pytest.mark.parametrize(
    ("proxy", "name"),
    [
        (recipient_proxy(html_part=True), "phone"),
        (recipient_proxy(html_part=False), "unsubscribe"),
        (links_proxy(html_part=True), "unsubscribe_url"),
        (links_proxy(html_part=False), "first_name"),
        (recipient_proxy(html_part=True), "_secret"),
    ],
)
def test_proxy_refuses_names_that_are_not_merge_fields(proxy: MergeProxy, name: str) -> None:
    with pytest.raises(AttributeError, match="no merge field"):
        getattr(proxy, name)


def test_substitutions_escape_html_values_and_keep_text_raw() -> None:
    subs = substitutions({"first_name": NASTY})
    assert subs == {
        placeholder("first_name", html_part=False): NASTY,
        placeholder("first_name", html_part=True): NASTY_HTML,
        url_placeholder("first_name"): (
            "%3Cscript%3Ealert%28%22x%22%29%3C%2Fscript%3E%20%26%20%27O%27Brien%27"
        ),
    }


def test_fill_escapes_in_html_and_not_in_text() -> None:
    subs = substitutions({"first_name": NASTY, "unsubscribe_url": "https://x.example/u?a=1&b=2"})
    html = fill('<p>Hi [[nl:first_name:h]]</p><a href="[[nl:unsubscribe_url:h]]">x</a>', subs)
    assert html == (f'<p>Hi {NASTY_HTML}</p><a href="https://x.example/u?a=1&amp;b=2">x</a>')
    assert "<script>" not in html
    text = fill("Hi [[nl:first_name]]\n[[nl:unsubscribe_url]]", subs)
    assert text == f"Hi {NASTY}\nhttps://x.example/u?a=1&b=2"


def test_fill_leaves_unknown_placeholders_untouched() -> None:
    subs = substitutions({"first_name": "Ana"})
    source = "[[nl:phone]] [[nl:phone:h]] [[nl:first_name]] [[nl:unterminated"
    assert fill(source, subs) == "[[nl:phone]] [[nl:phone:h]] Ana [[nl:unterminated"


def test_fill_does_not_re_expand_values() -> None:
    subs = substitutions(
        {
            "first_name": "[[nl:email]]",
            "last_name": "[[nl:last_name]]",
            "email": "ana@example.org",
        }
    )
    assert fill("[[nl:first_name]] [[nl:last_name]] [[nl:email]]", subs) == (
        "[[nl:email]] [[nl:last_name]] ana@example.org"
    )
    assert fill("[[nl:first_name:h]]", subs) == "[[nl:email]]"


def test_fill_replaces_every_occurrence_and_adjacent_placeholders() -> None:
    subs = substitutions({"first_name": "Ana", "last_name": "Petrović"})
    assert fill("[[nl:first_name]][[nl:last_name]] [[nl:first_name]]]]", subs) == (
        "AnaPetrović Ana]]"
    )
    assert fill("[[nl:[[nl:first_name]]", subs) == "[[nl:Ana"


def test_fill_without_placeholders_returns_the_same_text() -> None:
    text = "no fields here [[ not ours ]]"
    assert fill(text, substitutions({"first_name": "x"})) is text


def test_fill_with_empty_value() -> None:
    assert fill("Hi [[nl:first_name]]!", substitutions({"first_name": ""})) == "Hi !"


def test_fill_keeps_an_unterminated_marker_as_text() -> None:
    subs = substitutions({"first_name": "Ana"})
    text = "Hi [[nl:first_name]], see [[nl:broken and [[nl:first_name]]!"
    assert fill(text, subs) == "Hi Ana, see [[nl:broken and Ana!"
    assert fill("[[nl:open", subs) == "[[nl:open"
