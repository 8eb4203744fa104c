"""to_mime: one RFC 5322 message per recipient for the outbox and SMTP."""

from __future__ import annotations

import datetime as dt
import email
import re
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from typing import Any

import pytest

from newsletter.content.rendering.compose import OutboundMessage, bulk_headers
from newsletter.content.rendering.mime import to_mime
from tests.raw_headers import check_bulk_headers, one

UNSUBSCRIBE = "https://news.clusterhouse.example/u/TOKEN"
LIST_ID = '"Cluster House - events" <events.news.clusterhouse.example>'
MESSAGE_ID = "<dofc-2015.main.11@news.clusterhouse.example>"
DATE = dt.datetime(2015, 9, 1, 8, 0, tzinfo=dt.UTC)
SUBJECT = "Позив на Дунавски отворени форум кластера — Ниш, 1–3. октобар 2015 (ЊЕГОШ)"


def outbound(**overrides: Any) -> OutboundMessage:
    values: dict[str, Any] = {
        "delivery_id": 11,
        "to_email": "ana@example.org",
        "to_name": "Ана Петровић",
        "from_email": "news@clusterhouse.example",
        "from_name": "Кластер Хаус",
        "reply_to": "office@clusterhouse.example",
        "subject": SUBJECT,
        "html": "<p>Здраво Ана</p>" + "<p>x</p>" * 40,
        "text": "Здраво Ана\n\nОдјава: " + UNSUBSCRIBE + "\n",
        "headers": bulk_headers(UNSUBSCRIBE, LIST_ID),
    }
    values.update(overrides)
    return OutboundMessage(**values)


def round_trip(message: OutboundMessage | None = None) -> tuple[bytes, EmailMessage]:
    raw = to_mime(message or outbound(), message_id=MESSAGE_ID, date=DATE).as_bytes()
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return raw, parsed


def lf(text: str) -> str:
    """Parts travel in canonical CRLF form; compare as written."""
    return text.replace("\r\n", "\n")


def test_multipart_alternative_with_text_then_html() -> None:
    _, parsed = round_trip()
    assert parsed.get_content_type() == "multipart/alternative"
    parts = list(parsed.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in parts)


def test_parts_decode_back_to_the_original_text() -> None:
    message = outbound()
    _, parsed = round_trip(message)
    plain = parsed.get_body(("plain",))
    html = parsed.get_body(("html",))
    assert plain is not None and html is not None
    assert lf(plain.get_content()) == message.text
    assert lf(html.get_content()).rstrip("\n") == message.html


def test_cyrillic_subject_is_encoded_and_parses_back() -> None:
    raw, parsed = round_trip()
    header_block = raw.split(b"\r\n\r\n", 1)[0]
    assert header_block.isascii()
    assert b"=?utf-8?" in header_block
    assert parsed["Subject"] == SUBJECT


def test_addresses_with_cyrillic_names() -> None:
    _, parsed = round_trip()
    to = parsed["To"].addresses[0]
    sender = parsed["From"].addresses[0]
    assert (to.display_name, to.addr_spec) == ("Ана Петровић", "ana@example.org")
    assert (sender.display_name, sender.addr_spec) == ("Кластер Хаус", "news@clusterhouse.example")
    assert parsed["Reply-To"] == "office@clusterhouse.example"


def test_reply_to_is_omitted_when_empty() -> None:
    _, parsed = round_trip(outbound(reply_to=""))
    assert "Reply-To" not in parsed


def test_message_id_date_and_mime_version() -> None:
    _, parsed = round_trip()
    assert parsed["Message-ID"] == MESSAGE_ID
    assert parsed["Date"].datetime == DATE
    assert parsed["MIME-Version"] == "1.0"


def test_list_unsubscribe_headers_are_present_and_exact() -> None:
    _, parsed = round_trip()
    assert parsed["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["List-Id"] == LIST_ID


def test_each_header_appears_once() -> None:
    _, parsed = round_trip()
    for name in ("From", "To", "Subject", "Date", "Message-ID", "List-Unsubscribe"):
        assert len(parsed.get_all(name) or []) == 1, name


def test_crlf_line_endings_throughout() -> None:
    raw, _ = round_trip()
    assert b"\r\n" in raw
    assert re.search(rb"(?<!\r)\n", raw) is None
    assert re.search(rb"\r(?!\n)", raw) is None


def test_no_line_exceeds_the_rfc_5322_limit() -> None:
    long_line = "Ђ" * 2000
    raw, parsed = round_trip(outbound(text=long_line + "\n", html=f"<p>{long_line}</p>"))
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    plain = parsed.get_body(("plain",))
    assert plain is not None
    assert lf(plain.get_content()) == long_line + "\n"


@pytest.mark.parametrize("name", ['O\'Brien, "Ana"', "Ana (Cluster)", ""])
def test_awkward_display_names_survive(name: str) -> None:
    _, parsed = round_trip(outbound(to_name=name))
    to = parsed["To"].addresses[0]
    assert to.display_name == name
    assert to.addr_spec == "ana@example.org"


@pytest.mark.parametrize(
    "subject",
    [
        SUBJECT,
        "Позив",
        "Invitation: Danube Open Forum of Clusters, Niš, 1-3 October 2015 — registration open",
        "A plain ASCII subject that is long enough to be folded over more than one line, surely",
        "Покана за Дунавския отворен форум на клъстерите — Ниш, 1–3 октомври 2015 г., регистрация",
        "Invitație la Forumul Deschis al Clusterelor Dunărene — Niș, 1–3 octombrie 2015, înscrieri",
        "Ниш, 1–3. " * 12,
    ],
)
def test_long_subjects_keep_every_space(subject: str) -> None:
    raw, parsed = round_trip(outbound(subject=subject))
    assert parsed["Subject"] == subject
    # What other mail readers do: RFC 2047 decoding of the unfolded header.
    legacy = email.message_from_bytes(raw, policy=policy.compat32)
    unfolded = re.sub(r"\r?\n(?=[ \t])", "", str(legacy["Subject"]))
    decoded = str(make_header(decode_header(unfolded)))
    assert decoded == subject
    header_lines = raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    assert max(len(line) for line in header_lines) <= 78


def test_subject_with_a_line_break_is_refused() -> None:
    from newsletter.errors import UnbuildableMessage

    with pytest.raises(UnbuildableMessage):
        to_mime(outbound(subject="Hello\r\nBcc: eve@example.org"), message_id=MESSAGE_ID, date=DATE)


def test_attachments_make_a_multipart_mixed_with_the_alternative_first() -> None:
    from newsletter.content.rendering.messages import Attachment

    ics = "BEGIN:VCALENDAR\r\nSUMMARY:Дани кластера 2015\r\nEND:VCALENDAR\r\n".encode()
    attachment = Attachment(
        "days-of-clusters-2015.ics",
        "text/calendar",
        ics,
        (("method", "PUBLISH"), ("charset", "utf-8")),
    )
    _, parsed = round_trip(outbound(attachments=(attachment,)))
    assert parsed.get_content_type() == "multipart/mixed"
    alternative, calendar = list(parsed.iter_parts())
    assert alternative.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in alternative.iter_parts()] == ["text/plain", "text/html"]
    assert calendar.get_content_type() == "text/calendar"
    assert calendar.get_param("method") == "PUBLISH"
    assert calendar.get_content_disposition() == "attachment"
    assert calendar.get_filename() == "days-of-clusters-2015.ics"
    assert calendar["Content-Transfer-Encoding"] == "base64"
    assert calendar.get_payload(decode=True) == ics


#: A base URL as long as a real deployment's, and a signed token like the ones links carry:
#: the unsubscribe URL is then 150-250 characters, with no space to fold at.
LONG_BASE = "https://newsletter.balkan-blacksea-clusters.example/some/long/path"
TOKEN = (
    "WyJ1bnN1YnNjcmliZSIsMTIzNDU2NywiY2FsbHMtZm9yLXByb3Bvc2FscyIsMTQ0MTA5NDQwMF0"
    ".e1NvL_Ovn1BkwB1fpgWfycYvcnQ"
)
LONG_URLS = [
    f"https://news.clusterhouse.example/u/{TOKEN}",
    f"{LONG_BASE}/u/{TOKEN}",
    f"{LONG_BASE}/and/a/deeper/folder/for/a/reverse/proxy/u/{TOKEN}{'x' * 24}",
]


@pytest.mark.parametrize("url", LONG_URLS, ids=lambda u: f"{len(u)}-chars")
def test_list_unsubscribe_is_written_literally_with_a_long_url(url: str) -> None:
    assert 100 < len(url) <= 250
    raw, _ = round_trip(outbound(headers=bulk_headers(url, LIST_ID)))
    fields = check_bulk_headers(raw, unsubscribe_url=url)
    assert one(fields, "List-Unsubscribe") == f"<{url}>"
    # Never folded inside the URI: the whole field is one line of the header block.
    assert f"\r\nList-Unsubscribe: <{url}>\r\n".encode() in raw


def test_a_uri_list_folds_only_between_its_uris() -> None:
    url = LONG_URLS[1]
    mailto = "mailto:unsubscribe@newsletter.balkan-blacksea-clusters.example?subject=unsubscribe"
    headers = (("List-Unsubscribe", f"<{url}>, <{mailto}>"), *bulk_headers(url, LIST_ID)[1:])
    raw, _ = round_trip(outbound(headers=headers))
    assert f"List-Unsubscribe: <{url}>,\r\n <{mailto}>\r\n".encode() in raw
    fields = check_bulk_headers(raw, unsubscribe_url=url)
    assert one(fields, "List-Unsubscribe") == f"<{url}>, <{mailto}>"


def test_short_uri_lists_stay_on_one_line() -> None:
    value = "<https://x.example/u/1>, <mailto:u@x.example>"
    headers = (("List-Unsubscribe", value), *bulk_headers("https://x.example/u/1", LIST_ID)[1:])
    raw, _ = round_trip(outbound(headers=headers))
    assert f"\r\nList-Unsubscribe: {value}\r\n".encode() in raw


def test_long_message_id_and_list_id_are_literal() -> None:
    domain = "newsletter.balkan-blacksea-clusters.example"
    message_id = f"<{'0123456789abcdef' * 2}.1234567@{domain}>"
    list_id = f'"Balkan & Black Sea Cluster Network - calls-for-proposals" <calls.{domain}>'
    message = outbound(headers=bulk_headers(LONG_URLS[1], list_id))
    raw = to_mime(message, message_id=message_id, date=DATE).as_bytes()
    fields = check_bulk_headers(raw, unsubscribe_url=LONG_URLS[1])
    assert one(fields, "Message-ID") == message_id
    assert one(fields, "List-Id") == list_id
    assert f"\r\nMessage-ID: {message_id}\r\n".encode() in raw


def test_a_non_ascii_list_name_is_encoded_but_the_list_id_stays_literal() -> None:
    list_id = '"Мрежа кластера Балкана и Црног мора - events" <events.clusterhouse.example>'
    raw, _ = round_trip(outbound(headers=bulk_headers(UNSUBSCRIBE, list_id)))
    fields = check_bulk_headers(raw, unsubscribe_url=UNSUBSCRIBE)
    assert one(fields, "List-Id").endswith(" <events.clusterhouse.example>")
    assert str(make_header(decode_header(one(fields, "List-Id")))) == (
        "Мрежа кластера Балкана и Црног мора - events <events.clusterhouse.example>"
    )


def test_a_non_ascii_uri_is_refused_not_encoded() -> None:
    headers = bulk_headers("https://x.example/u/ђ", LIST_ID)
    with pytest.raises(ValueError, match="List-Unsubscribe must be ASCII"):
        round_trip(outbound(headers=headers))
