"""The Mail Send body as written by sendgrid_body: what SendGrid makes of it is what members of
the outbox and SMTP transports get, attachments included, and nothing it would refuse leaves."""

from __future__ import annotations

import base64
import dataclasses
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from newsletter.content.rendering import merge
from newsletter.content.rendering.compose import Attachment, Batch, Personalizer, render_message
from newsletter.content.rendering.messages import ComposedVariant, Personalization
from newsletter.delivery.transports.sendgrid.body import request_body
from newsletter.delivery.transports.sendgrid.transport import SendGridMailer
from newsletter.errors import PermanentDeliveryError
from tests.content.rendering import samples
from tests.delivery.transports.batches import SENDER, VARIANT, person
from tests.fakes.sendgrid_server import FakeSendGrid

SLUG = "days-of-clusters-2015"


def mailer(fake: FakeSendGrid) -> SendGridMailer:
    return SendGridMailer("SG.test-key", host=fake.url, timeout=5.0)


def sendgrid_fills(text: str, substitutions: dict[str, str]) -> str:
    """What SendGrid does with ``substitutions``: every tag in the content becomes its value."""
    for key, value in substitutions.items():
        text = text.replace(key, value)
    return text


def invitation_batch(lang: str, names: list[str]) -> Batch:
    variant = samples.variant(SLUG, lang)
    personalize = Personalizer(
        list_id='"Cluster House - events" <events.clusterhouse.example>',
        campaign=samples.campaign(SLUG),
        language=lang,
    )
    people = tuple(
        personalize(
            dataclasses.replace(samples.reader(lang), delivery_id=i, email=f"m{i}@example.org",
                                first_name=name),
            f"https://news.clusterhouse.example/u/tok{i}",
            f"https://news.clusterhouse.example/p/tok{i}",
        )
        for i, name in enumerate(names, start=1)
    )  # fmt: skip
    return Batch(variant, SENDER, people)


def sent(fake: FakeSendGrid) -> dict[str, Any]:
    assert fake.request_count == 1  # the double checked it against the schema and the rules
    body: dict[str, Any] = fake.requests[0].body
    return body


def test_the_invitations_ics_goes_as_an_attachment(fake_sendgrid: FakeSendGrid) -> None:
    batch = invitation_batch("sr-Cyrl", ["Јелена", "Марко"])
    (ics,) = batch.variant.attachments
    mailer(fake_sendgrid).send(batch)
    (entry,) = sent(fake_sendgrid)["attachments"]
    assert entry == {
        "content": base64.b64encode(ics.data).decode(),
        "type": "text/calendar; method=PUBLISH",  # SendGrid adds charset itself
        "filename": f"{SLUG}.ics",
        "disposition": "attachment",
    }
    # RFC 6047 §2.4: the Content-Type method is the METHOD of the calendar it carries.
    assert b"\r\nMETHOD:PUBLISH\r\n" in base64.b64decode(entry["content"])


def test_a_meeting_request_keeps_its_method(fake_sendgrid: FakeSendGrid) -> None:
    ics = Attachment("invite.ics", "text/calendar", b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\n",
                     (("method", "REQUEST"), ("charset", "utf-8")))  # fmt: skip
    variant = dataclasses.replace(VARIANT, attachments=(ics,))
    mailer(fake_sendgrid).send(Batch(variant, SENDER, (person(1),)))
    assert sent(fake_sendgrid)["attachments"][0]["type"] == "text/calendar; method=REQUEST"


@pytest.mark.parametrize(
    ("attachment", "message"),
    [
        (Attachment("a;b.ics", "text/calendar", b"x"), "filename"),
        (Attachment("a\r\nb.ics", "text/calendar", b"x"), "filename"),
        (Attachment("", "text/calendar", b"x"), "filename"),
        (Attachment("a.ics", "text/calendar", b""), "empty"),
        (Attachment("a.pdf", "application/pdf", b"x", (("method", "REQUEST"),)), "method"),
        (Attachment("a.ics", "text/calendar", b"x", (("name", "a.ics"),)), "name"),
    ],
)
def test_attachments_sendgrid_would_refuse_never_leave(
    fake_sendgrid: FakeSendGrid, attachment: Attachment, message: str
) -> None:
    variant = dataclasses.replace(VARIANT, attachments=(attachment,))
    with pytest.raises(PermanentDeliveryError, match=message):
        mailer(fake_sendgrid).send(Batch(variant, SENDER, (person(1),)))
    assert fake_sendgrid.attempt_count == 0


@pytest.mark.parametrize("lang", ["sr-Cyrl", "en"])
def test_what_sendgrid_fills_in_is_the_message_members_get(
    fake_sendgrid: FakeSendGrid, lang: str
) -> None:
    # One name needs HTML escaping: its field keeps both placeholders; the links do not.
    batch = invitation_batch(lang, ["Ана", "D'Arcy & <Co>", 'Ivo "Ivo"\\'])
    mailer(fake_sendgrid).send(batch)
    body = sent(fake_sendgrid)
    text, html = (c["value"] for c in body["content"])
    assert "[[nl:unsubscribe_url:h]]" not in html and "[[nl:unsubscribe_url]]" in html
    assert "[[nl:first_name:h]]" in html
    for entry, p in zip(body["personalizations"], batch.personalizations, strict=True):
        expected = render_message(batch.variant, SENDER, p)
        assert sendgrid_fills(html, entry["substitutions"]) == expected.html
        assert sendgrid_fills(text, entry["substitutions"]) == expected.text
        assert "[[nl:" not in expected.html + expected.text
        assert entry["to"] == [{"email": p.to_email, "name": p.to_name}]
        assert entry["headers"] == dict(p.headers)


def test_only_the_fields_a_variant_uses_travel() -> None:
    batch = invitation_batch("en", ["Ana"])
    (entry,) = json.loads(request_body(batch))["personalizations"]
    assert "[[nl:email]]" not in entry["substitutions"]
    assert "[[nl:organization]]" not in entry["substitutions"]
    assert {"[[nl:first_name]]", "[[nl:unsubscribe_url]]"} <= set(entry["substitutions"])


def test_a_header_twice_for_one_recipient_is_refused() -> None:
    p = person(1)
    twice = dataclasses.replace(p, headers=(*p.headers, ("list-id", "<other.example>")))
    with pytest.raises(PermanentDeliveryError, match="header twice"):
        request_body(Batch(VARIANT, SENDER, (twice,)))


def test_strings_are_escaped_as_json_and_names_lose_separators() -> None:
    odd = Personalization(
        delivery_id=7,
        to_email="a@example.org",
        to_name='Ана "Ана"; Petrović, \\ \x01',
        substitutions={"[[nl:first_name]]": 'x"\\\n\u2028y'},
        headers=(("List-Id", '"a\\b" <x.example>'),),
    )
    variant: ComposedVariant = dataclasses.replace(VARIANT, text="[[nl:first_name]]")
    (entry,) = json.loads(request_body(Batch(variant, SENDER, (odd,))))["personalizations"]
    assert entry["to"][0]["name"] == 'Ана "Ана"  Petrović  \\ \x01'
    assert entry["substitutions"]["[[nl:first_name]]"] == 'x"\\\n\u2028y'
    assert entry["headers"] == {"List-Id": '"a\\b" <x.example>'}
    assert entry["custom_args"] == {"nl_delivery_id": "7"}


def test_values_inside_links_travel_percent_encoded(fake_sendgrid: FakeSendGrid) -> None:
    html = (
        '<html><body><a href="https://forms.clusterhouse.example/rsvp?n=[[nl:first_name:h]]">'
        "RSVP</a> [[nl:first_name:h]]</body></html>"
    )
    text = "RSVP: https://forms.clusterhouse.example/rsvp?n=[[nl:first_name]]\n"
    marked = dataclasses.replace(
        VARIANT, html=merge.mark_urls_in_html(html), text=merge.mark_urls_in_text(text)
    )
    names = ["Ана & Co", "A?b#c d"]
    people = tuple(person(i, name) for i, name in enumerate(names, start=1))
    batch = Batch(marked, SENDER, people)
    mailer(fake_sendgrid).send(batch)
    body = sent(fake_sendgrid)
    sent_text, sent_html = (c["value"] for c in body["content"])
    for entry, p, name in zip(body["personalizations"], people, names, strict=True):
        expected = render_message(marked, SENDER, p)
        filled = sendgrid_fills(sent_html, entry["substitutions"])
        assert filled == expected.html
        assert sendgrid_fills(sent_text, entry["substitutions"]) == expected.text
        link = filled.split('href="', 1)[1].split('"', 1)[0]
        assert parse_qs(urlsplit(link).query) == {"n": [name]}
