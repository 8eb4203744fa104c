"""compose_variant, personalize and render_message: one variant per language, one message each."""

from __future__ import annotations

import re
from typing import Any

import pytest
from jinja2.sandbox import SandboxedEnvironment

from newsletter.audiences.domain.deliveries import Recipient
from newsletter.content.domain.campaigns import CampaignDefinition
from newsletter.content.rendering.compose import (
    MAX_HTML_BYTES,
    Batch,
    ComposedVariant,
    Organisation,
    OutboundMessage,
    Sender,
    bulk_headers,
    compose_variant,
    personalize,
    render_message,
    text_template_name,
)
from newsletter.content.rendering.environment import build_environment
from newsletter.errors import RenderError, TemplateSecurityError

BODY = "<mjml><mj-body><mj-section><mj-column>{}</mj-column></mj-section></mj-body></mjml>\n"

TEMPLATES: dict[str, str] = {
    "hello.mjml.j2": BODY.format(
        "<mj-text>Hi {{ recipient.first_name }} {{ t.title }}</mj-text>"
        '<mj-text><a href="{{ links.unsubscribe }}">{{ ui.unsubscribe }}</a></mj-text>'
        "<mj-text>{{ lang }} {{ dir }} {{ campaign.slug }} {{ org.name }}</mj-text>"
    ),
    "hello.txt.j2": (
        "Hi {{ recipient.first_name }} {{ t.title }}\n"
        "{{ ui.unsubscribe }}: {{ links.unsubscribe }}\n"
        "{{ lang }} {{ campaign.step }} {{ org.postal_address }}\n"
    ),
    # Undefined variable on line 4.
    "undefined.mjml.j2": (
        "<mjml>\n<mj-body>\n<mj-section><mj-column>\n"
        "<mj-text>{{ nope }}</mj-text>\n"
        "</mj-column></mj-section>\n</mj-body>\n</mjml>\n"
    ),
    "undefined-text.mjml.j2": BODY.format("<mj-text>ok</mj-text>"),
    "undefined-text.txt.j2": "line one\nline two\n{{ t.nope }}\n",
    "escape.mjml.j2": BODY.format(
        "<mj-text>{{ ''.__class__.__mro__[1].__subclasses__() }}</mj-text>"
    ),
    "private.mjml.j2": BODY.format("<mj-text>{{ recipient._fields }}</mj-text>"),
    "no-such-field.mjml.j2": BODY.format("<mj-text>{{ recipient.phone }}</mj-text>"),
    "syntax.mjml.j2": "<mjml>\n<mj-body>\n{% if %}\n</mj-body>\n</mjml>\n",
    # <mj-title> is never closed; the parser stumbles over <mj-body> on line 5.
    "unclosed.mjml.j2": (
        "<mjml>\n<mj-head>\n<mj-title>{{ subject }}\n</mj-head>\n"
        "<mj-body><mj-section><mj-column><mj-text>x</mj-text></mj-column></mj-section>"
        "</mj-body>\n</mjml>\n"
    ),
    "unclosed.txt.j2": "x\n",
    "truncated.mjml.j2": "<mjml>\n<mj-body>\n<mj-section>\n<mj-column>\n<mj-text>x\n",
    "big.mjml.j2": BODY.format("<mj-text>{{ t.big }}</mj-text>"),
    "big.txt.j2": "{{ t.big }}\n",
    "no-twin.mjml.j2": BODY.format("<mj-text>x</mj-text>"),
    "fonts.mjml.j2": (
        '<mjml><mj-head><mj-attributes><mj-all font-family="Ubuntu, Helvetica, Arial" />'
        "</mj-attributes></mj-head>"
        + BODY.removeprefix("<mjml>").format("<mj-text>{{ t.title }}</mj-text>")
    ),
    "fonts.txt.j2": "{{ t.title }}\n",
    "reminder.mjml.j2": BODY.format("<mj-text>Reminder {{ campaign.step }}</mj-text>"),
    "reminder.txt.j2": "Reminder {{ campaign.step }}\n",
}
for _name in ("undefined", "escape", "private", "no-such-field", "syntax", "truncated"):
    TEMPLATES[f"{_name}.txt.j2"] = "x\n"

ORG = Organisation("Cluster House", "Cluster House, Niš, Serbia", "https://clusterhouse.example")
UI = {"en": {"unsubscribe": "Unsubscribe"}, "sr-Cyrl": {"unsubscribe": "Одјава"}}
SENDER = Sender("news@clusterhouse.example", "Cluster House", "office@clusterhouse.example")
UNSUBSCRIBE = "https://news.clusterhouse.example/u/TOKEN?a=1&b=2"
PREFERENCES = "https://news.clusterhouse.example/p/TOKEN"
LIST_ID = '"Cluster House - events" <events.news.clusterhouse.example>'


@pytest.fixture
def env() -> SandboxedEnvironment:
    return build_environment(lambda name: TEMPLATES[name])


def make_campaign(template: str = "hello.mjml.j2", **overrides: Any) -> CampaignDefinition:
    data: dict[str, Any] = {
        "slug": "dofc-2015",
        "title": "DOFC 2015",
        "audience": "all",
        "topic": "events",
        "template": template,
        "languages": ["en", "sr-Cyrl", "sr-Latn"],
        "subject": {"en": "Invitation", "sr-Cyrl": "Позив у Ниш"},
        "preheader": {"en": "See you in Niš", "sr-Cyrl": "Видимо се у Нишу"},
        "copy": {"en": {"title": "<b>&</b>"}, "sr-Cyrl": {"title": "Љубав"}},
        "categories": ["dofc-2015", "invitation"],
        "content": {"sections": [{"paragraphs": ["Hello"]}]},
    }
    data.update(overrides)
    return CampaignDefinition.model_validate(data)


def compose(
    env: SandboxedEnvironment,
    campaign: CampaignDefinition | None = None,
    language: str = "en",
    step: str = "main",
) -> ComposedVariant:
    return compose_variant(
        campaign or make_campaign(), step, language, env=env, organisation=ORG, ui=UI
    )


def recipient(**overrides: Any) -> Recipient:
    values: dict[str, Any] = {
        "delivery_id": 11,
        "member_id": 7,
        "email": "ana@example.org",
        "first_name": "Ana",
        "last_name": "Petrović",
        "organization": "Cluster Niš",
        "language": "en",
    }
    values.update(overrides)
    return Recipient(**values)


def person(**overrides: Any) -> Any:
    return personalize(
        recipient(**overrides),
        unsubscribe_url=UNSUBSCRIBE,
        preferences_url=PREFERENCES,
        list_id=LIST_ID,
    )


# -- composing a variant ---------------------------------------------------------------------


def test_text_template_name() -> None:
    assert text_template_name("invitation.mjml.j2") == "invitation.txt.j2"
    assert text_template_name("invitation.mjml") == "invitation.txt.j2"
    assert text_template_name("plain.j2") == "plain.txt.j2"


def test_compose_variant_fills_the_variant(env: SandboxedEnvironment) -> None:
    variant = compose(env)
    assert variant.campaign == "dofc-2015"
    assert variant.step == "main"
    assert variant.language == "en"
    assert variant.topic == "events"
    assert variant.subject == "Invitation"
    assert variant.preheader == "See you in Niš"
    assert variant.categories == ("dofc-2015", "invitation")
    assert variant.html.lstrip().lower().startswith("<!doctype html>")
    assert "en ltr dofc-2015 Cluster House" in variant.html
    assert "Unsubscribe" in variant.html
    assert variant.text.endswith("en main Cluster House, Niš, Serbia\n")


def test_variant_html_and_text_hold_placeholders_not_values(env: SandboxedEnvironment) -> None:
    variant = compose(env)
    assert "[[nl:first_name:h]]" in variant.html
    assert 'href="[[nl:unsubscribe_url:h]]"' in variant.html
    assert "[[nl:first_name]]" in variant.text
    assert "[[nl:unsubscribe_url]]" in variant.text
    assert "[[nl:first_name]]" not in variant.html
    assert ":h]]" not in variant.text


def test_autoescaping_is_on_for_mjml_and_off_for_text(env: SandboxedEnvironment) -> None:
    variant = compose(env)
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in variant.html
    assert "<b>&</b>" not in variant.html
    assert "Hi [[nl:first_name]] <b>&</b>\n" in variant.text


def test_serbian_latin_variant_is_generated_from_cyrillic(env: SandboxedEnvironment) -> None:
    variant = compose(env, language="sr-Latn")
    assert variant.subject == "Poziv u Niš"
    assert variant.preheader == "Vidimo se u Nišu"
    assert "Ljubav" in variant.html
    assert "Ljubav" in variant.text
    # UI strings of Serbian Latin come from Serbian Cyrillic when not written.
    assert "Odjava" in variant.text


def test_ui_strings_for_the_variant_language(env: SandboxedEnvironment) -> None:
    variant = compose(env, language="sr-Cyrl")
    assert "Одјава" in variant.html
    assert variant.text.startswith("Hi [[nl:first_name]] Љубав\nОдјава:")


def test_reminder_step_uses_its_own_template(env: SandboxedEnvironment) -> None:
    campaign = make_campaign(
        milestones={"deadline": {"at": "2015-09-25T23:59", "timezone": "Europe/Belgrade"}},
        reminders=[
            {
                "key": "last-call",
                "milestone": "deadline",
                "template": "reminder.mjml.j2",
                "subject": {"en": "Last call"},
            }
        ],
    )
    variant = compose(env, campaign, step="last-call")
    assert variant.step == "last-call"
    assert variant.subject == "Last call"
    assert variant.preheader == ""
    assert "Reminder last-call" in variant.html
    assert variant.text == "Reminder last-call\n"


def test_no_subject_for_language_is_a_render_error(env: SandboxedEnvironment) -> None:
    with pytest.raises(RenderError, match="no subject for language bg") as info:
        compose(env, language="bg")
    assert info.value.template == "hello.mjml.j2"


def test_missing_preheader_for_a_written_language_is_a_render_error(
    env: SandboxedEnvironment,
) -> None:
    campaign = make_campaign(
        languages=["en", "bg"],
        subject={"en": "S", "bg": "Покана"},
        copy={"en": {"title": "x"}, "bg": {"title": "x"}},
    )
    with pytest.raises(RenderError, match="no preheader for language bg"):
        compose(env, campaign, language="bg")


def test_undefined_variable_names_template_and_line(env: SandboxedEnvironment) -> None:
    with pytest.raises(RenderError) as info:
        compose(env, make_campaign("undefined.mjml.j2"))
    err = info.value
    assert err.template == "undefined.mjml.j2"
    assert err.line == 4
    assert str(err).startswith("undefined.mjml.j2:4: ")
    assert "nope" in str(err)


def test_undefined_copy_key_in_text_twin_names_the_text_template(
    env: SandboxedEnvironment,
) -> None:
    with pytest.raises(RenderError) as info:
        compose(env, make_campaign("undefined-text.mjml.j2"))
    assert info.value.template == "undefined-text.txt.j2"
    assert info.value.line == 3
    assert "undefined-text.txt.j2:3:" in str(info.value)


def test_missing_copy_for_a_language_is_a_render_error(env: SandboxedEnvironment) -> None:
    campaign = make_campaign(copy={"en": {"title": "x"}})
    with pytest.raises(RenderError, match="title"):
        compose(env, campaign, language="sr-Cyrl")


def test_sandbox_escape_is_a_template_security_error(env: SandboxedEnvironment) -> None:
    with pytest.raises(TemplateSecurityError) as info:
        compose(env, make_campaign("escape.mjml.j2"))
    assert isinstance(info.value, RenderError)
    assert info.value.template == "escape.mjml.j2"


def test_private_attribute_of_a_merge_proxy_is_a_security_error(
    env: SandboxedEnvironment,
) -> None:
    with pytest.raises(TemplateSecurityError):
        compose(env, make_campaign("private.mjml.j2"))


def test_unknown_merge_field_is_a_render_error(env: SandboxedEnvironment) -> None:
    with pytest.raises(RenderError, match="phone"):
        compose(env, make_campaign("no-such-field.mjml.j2"))


def test_template_syntax_error_names_the_line(env: SandboxedEnvironment) -> None:
    with pytest.raises(RenderError) as info:
        compose(env, make_campaign("syntax.mjml.j2"))
    assert (info.value.template, info.value.line) == ("syntax.mjml.j2", 3)


def test_unclosed_mjml_tag_is_a_render_error_with_a_line(env: SandboxedEnvironment) -> None:
    # Cyrillic before the error: MRML reports byte offsets, the line must still be right.
    with pytest.raises(RenderError) as info:
        compose(env, make_campaign("unclosed.mjml.j2"), language="sr-Cyrl")
    err = info.value
    assert err.template == "unclosed.mjml.j2"
    assert err.line == 5
    assert str(err).startswith("unclosed.mjml.j2:5: MJML:")


def test_truncated_mjml_is_a_render_error(env: SandboxedEnvironment) -> None:
    with pytest.raises(RenderError, match="MJML") as info:
        compose(env, make_campaign("truncated.mjml.j2"))
    assert info.value.template == "truncated.mjml.j2"


def test_missing_templates_are_render_errors(env: SandboxedEnvironment) -> None:
    with pytest.raises(RenderError, match="template not found"):
        compose(env, make_campaign("absent.mjml.j2"))
    with pytest.raises(RenderError, match=r"no-twin\.txt\.j2"):
        compose(env, make_campaign("no-twin.mjml.j2"))


@pytest.mark.parametrize("template", ["hello.mjml.j2", "fonts.mjml.j2"])
def test_no_google_fonts_link(env: SandboxedEnvironment, template: str) -> None:
    html = compose(env, make_campaign(template)).html
    assert "fonts.googleapis" not in html
    assert "googleapis" not in html


def test_html_over_100_kb_is_refused(env: SandboxedEnvironment) -> None:
    campaign = make_campaign("big.mjml.j2", copy={"en": {"big": "x" * MAX_HTML_BYTES}})
    with pytest.raises(RenderError, match="100 KB") as info:
        compose(env, campaign)
    assert info.value.template == "big.mjml.j2"


def test_html_just_under_the_limit_is_accepted(env: SandboxedEnvironment) -> None:
    campaign = make_campaign("big.mjml.j2", copy={"en": {"big": "x" * 90_000}})
    variant = compose(env, campaign)
    assert MAX_HTML_BYTES - 10_000 < len(variant.html.encode()) <= MAX_HTML_BYTES


def test_composing_twice_gives_identical_variants(env: SandboxedEnvironment) -> None:
    assert compose(env) == compose(env)
    assert compose(env, language="sr-Latn") == compose(
        build_environment(lambda n: TEMPLATES[n]), language="sr-Latn"
    )


# -- personalising ---------------------------------------------------------------------------


def test_bulk_headers_follow_rfc_8058_and_2919() -> None:
    headers = dict(bulk_headers(UNSUBSCRIBE, LIST_ID))
    assert headers["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>"
    assert headers["List-Unsubscribe"].startswith("<https://")
    assert headers["List-Unsubscribe"].endswith(">")
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert headers["List-Id"] == LIST_ID


def test_personalize() -> None:
    p = person()
    assert p.delivery_id == 11
    assert p.to_email == "ana@example.org"
    assert p.to_name == "Ana Petrović"
    assert p.substitutions["[[nl:first_name]]"] == "Ana"
    assert p.substitutions["[[nl:full_name]]"] == "Ana Petrović"
    assert p.substitutions["[[nl:unsubscribe_url]]"] == UNSUBSCRIBE
    assert p.substitutions["[[nl:unsubscribe_url:h]]"] == UNSUBSCRIBE.replace("&", "&amp;")
    assert p.substitutions["[[nl:preferences_url]]"] == PREFERENCES
    assert p.headers == bulk_headers(UNSUBSCRIBE, LIST_ID)


def test_render_message(env: SandboxedEnvironment) -> None:
    message = render_message(compose(env), SENDER, person())
    assert isinstance(message, OutboundMessage)
    assert message.delivery_id == 11
    assert (message.to_email, message.to_name) == ("ana@example.org", "Ana Petrović")
    assert (message.from_email, message.from_name, message.reply_to) == (
        SENDER.email,
        SENDER.name,
        SENDER.reply_to,
    )
    assert message.subject == "Invitation"
    assert "Hi Ana &lt;b&gt;" in message.html
    assert 'href="https://news.clusterhouse.example/u/TOKEN?a=1&amp;b=2"' in message.html
    assert message.text.startswith("Hi Ana <b>&</b>\nUnsubscribe: " + UNSUBSCRIBE + "\n")
    assert "[[nl:" not in message.html
    assert "[[nl:" not in message.text
    headers = dict(message.headers)
    assert headers["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>"
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.categories == ("dofc-2015", "invitation")


def test_hostile_name_is_escaped_in_html_and_raw_in_text(env: SandboxedEnvironment) -> None:
    name = "<script>alert('x')</script>\"&"
    message = render_message(compose(env), SENDER, person(first_name=name))
    assert "<script>" not in message.html
    assert "Hi &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&quot;&amp; " in message.html
    assert message.text.startswith(f"Hi {name} ")


def test_name_looking_like_a_placeholder_is_not_expanded(env: SandboxedEnvironment) -> None:
    message = render_message(compose(env), SENDER, person(first_name="[[nl:unsubscribe_url]]"))
    assert message.text.startswith("Hi [[nl:unsubscribe_url]] ")


def test_preview_and_send_render_identical_messages(env: SandboxedEnvironment) -> None:
    variant = compose(env, language="sr-Cyrl")
    p = person(language="sr-Cyrl")
    first = render_message(variant, SENDER, p)
    second = render_message(variant, SENDER, p)
    assert first == second
    assert first is not second
    # A fresh compose of the same variant gives the same message too.
    assert render_message(compose(env, language="sr-Cyrl"), SENDER, p) == first


def test_batch_messages_are_render_message_per_person(env: SandboxedEnvironment) -> None:
    variant = compose(env)
    people = (person(), person(delivery_id=12, email="bo@example.org", first_name="Bo"))
    batch = Batch(variant=variant, sender=SENDER, personalizations=people)
    messages = batch.messages()
    assert messages == [render_message(variant, SENDER, p) for p in people]
    assert [m.to_email for m in messages] == ["ana@example.org", "bo@example.org"]
    assert messages[1].text.startswith("Hi Bo ")


# -- per-recipient deadlines and calendar ------------------------------------------------------


def test_deadlines_are_merged_in_each_recipients_zone() -> None:
    from newsletter.content.rendering import merge
    from tests.content.rendering import samples

    c = samples.campaign("interreg-ipa-bg-rs-first-call")
    field = merge.placeholder(merge.local_field("submission_deadline"), html_part=False)

    def local(zone: str, lang: str = "en") -> str:
        p = personalize(
            recipient(timezone=zone),
            unsubscribe_url=UNSUBSCRIBE,
            preferences_url=PREFERENCES,
            list_id=LIST_ID,
            campaign=c,
            language=lang,
        )
        return p.substitutions[field]

    assert local("Europe/Belgrade") == " · 15:00 (Belgrade, GMT+01:00)"
    assert local("Europe/Moscow", "bg") == " · 17:00 ч. (Москва, Гринуич+03:00)"
    # Turkey left summer time on 8 November 2015 and was on +02 like Sofia (tzdata).
    assert local("Europe/Istanbul") == ""
    assert local("Europe/Sofia") == ""
    assert local("") == ""
    # One variant, two readers: the placeholder becomes each reader's own time.
    variant = samples.variant("interreg-ipa-bg-rs-first-call", "en")
    assert "[[nl:local_submission_deadline]]" in variant.text


def test_without_calendar_revisions_there_are_links_but_no_attachment() -> None:
    from tests.content.rendering import samples

    c = samples.campaign("days-of-clusters-2015")
    variant = compose_variant(
        c, "main", "en", env=samples.environment(), organisation=ORG, ui=samples.ui()
    )
    assert variant.attachments == ()
    assert "calendar.google.com" in variant.html
    assert ".ics" not in variant.text


def test_render_message_carries_the_variants_attachments() -> None:
    from tests.content.rendering import samples

    msg = samples.message("days-of-clusters-2015", "ro")
    assert [a.filename for a in msg.attachments] == ["days-of-clusters-2015.ics"]


def test_letter_images_keep_their_alt_text_and_links() -> None:
    from tests.content.rendering import samples

    letter = samples.campaign("chairmans-letter")
    photo = {
        "src": "https://clusterhouse.example/photos/dofc-2016-ohrid.jpg",
        "alt": {"en": "Signing in Ohrid", "sr-Cyrl": "Потписивање у Охриду"},
        "width": 536,
        "href": "https://clusterhouse.example/gallery",
    }
    content = letter.content.model_dump()
    content["sections"].append(
        {"image": photo, "button": {"label": "Gallery", "url": photo["href"]}}
    )
    c = CampaignDefinition.model_validate({**letter.model_dump(by_alias=True), "content": content})
    env, ui = samples.environment(), samples.ui()
    variant = compose_variant(c, "main", "sr-Latn", env=env, organisation=ORG, ui=ui)
    assert re.search(
        r'<img alt="Potpisivanje u Ohridu"[^>]*src="https://clusterhouse', variant.html
    )
    assert 'href="https://clusterhouse.example/gallery"' in variant.html
    assert "[Potpisivanje u Ohridu]" in variant.text


# -- staff text is data: placeholders only where templates put them -------------

HOSTILE = "https://tracker.example/p.gif?e=[[nl:email:h]]&u=[[nl:unsubscribe_url:h]]&t=[[nl:email]]"


def test_placeholders_typed_by_staff_are_never_filled(env: SandboxedEnvironment) -> None:
    TEMPLATES["typed.mjml.j2"] = BODY.format(
        '<mj-text>{{ t.title }} <a href="{{ t.link | href }}">x</a> {{ preheader }}</mj-text>'
        '<mj-image src="{{ t.link }}" alt="" />'
        "<mj-text>{{ t.title ~ recipient.first_name }} {{ recipient.first_name + t.title }}"
        "</mj-text><mj-text>Dear {{ recipient.first_name }}</mj-text>"
        '<mj-text><a href="{{ links.unsubscribe }}">u</a></mj-text>'
    )
    TEMPLATES["typed.txt.j2"] = "{{ t.title }} {{ t.link }} {{ links.unsubscribe }}\n"
    c = make_campaign(
        "typed.mjml.j2",
        subject={"en": "Hi [[nl:email]]"},
        preheader={"en": "[[nl:preferences_url:h]]"},
        copy={"en": {"title": "[[nl:email:h]] [[nl:email]]", "link": HOSTILE}},
    )
    message = render_message(compose(env, c), SENDER, person())
    for part in (message.html, message.text, message.subject):
        assert "ana@example.org" not in part
        assert "ana%40example.org" not in part
        assert PREFERENCES not in part
    # The template's own placeholders are still filled.
    assert "Dear Ana" in message.html
    assert UNSUBSCRIBE.replace("&", "&amp;") in message.html
    assert UNSUBSCRIBE in message.text
    # What staff typed is shown as typed (with an invisible word joiner between the brackets).
    assert "[\u2060[nl:email]]" in message.text
