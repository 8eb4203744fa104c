"""One RFC 5322 MIME message per recipient, for the outbox and SMTP transports.

Without attachments the message is multipart/alternative (text, then HTML). With them (the
``.ics`` of an invitation) it is multipart/mixed: the alternative first, then each attachment
base64-encoded with ``Content-Disposition: attachment`` (RFC 2046 §5.1.3, RFC 2183); a calendar
keeps its ``method`` parameter (RFC 6047 §2.4).

The list headers and the Message-ID are written as given, never as RFC 2047 encoded-words: the
email package folds a long header with no space to fold at (an unsubscribe URL with its signed
token is 150-250 characters) into encoded-words, and RFC 2369 allows only literal ``<URI>``s
there; a receiver that finds ``=?utf-8?q?=3Chttps...`` offers no one-click unsubscribe.
:class:`_LiteralHeader` folds such a header only at the spaces already in it (after the comma
between two URIs) and leaves a long URI whole on its line (RFC 5322 §2.1.1 allows 998).
"""

from __future__ import annotations

import datetime as dt
import re
from email.header import Header
from email.headerregistry import Address, BaseHeader, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.policy import SMTP, Policy
from email.utils import format_datetime
from typing import Any

from newsletter.content.rendering.messages import OutboundMessage
from newsletter.errors import UnbuildableMessage

#: RFC 5322 §2.1.1: no line of a message may be longer than this (without its CRLF).
MAX_LINE = 998
#: Headers whose value is ASCII syntax a receiver reads literally (RFC 2369, RFC 8058,
#: RFC 2919, RFC 5322 §3.6.4), so they must never become encoded-words.
LITERAL_HEADERS = ("List-Unsubscribe", "List-Unsubscribe-Post", "List-Id", "Message-ID")
_PHRASE_AND_ID = re.compile(r'\s*(?:"((?:[^"\\]|\\.)*)"|([^<]*?))\s*(<[\x21-\x7e]+>)\s*')


class _LiteralHeader(UnstructuredHeader, BaseHeader):
    """A header written as given and folded only at a space already in it.

    The value must be ASCII, except for the display phrase of a ``phrase <id>`` value
    (List-Id), which is RFC 2047-encoded on its own while the ``<id>`` stays literal.
    """

    max_count = 1

    @classmethod
    def parse(cls, value: str, kwds: dict[str, Any]) -> None:
        super().parse(value, kwds)
        kwds["decoded"] = value  # as given: nothing in it is an encoded-word to decode

    def fold(self, *, policy: Policy) -> str:
        name = self.name
        words = _literal_words(name, str(self))
        limit = policy.max_line_length or MAX_LINE
        lines = [f"{name}: {words[0]}"]
        for word in words[1:]:
            if len(lines[-1]) + 1 + len(word) <= limit:
                lines[-1] += f" {word}"
            else:
                lines.append(f" {word}")
        too_long = [line for line in lines if len(line) > MAX_LINE]
        if too_long:
            raise ValueError(f"{name} has a line of {len(too_long[0])} characters (max {MAX_LINE})")
        return policy.linesep.join(lines) + policy.linesep


def _literal_words(name: str, value: str) -> list[str]:
    if value.isascii():
        return value.split() or [""]
    found = _PHRASE_AND_ID.fullmatch(value)
    if found is None or not found.group(3).isascii():
        raise ValueError(f"{name} must be ASCII (percent-encode URIs): {value!r}")
    phrase = found.group(2) if found.group(1) is None else re.sub(r"\\(.)", r"\1", found.group(1))
    encoded = Header(phrase, "utf-8", header_name=name).encode(linesep="")
    return [*encoded.split(), found.group(3)]


def _registry() -> HeaderRegistry:
    registry = HeaderRegistry()
    for name in LITERAL_HEADERS:
        registry.map_to_type(name, _LiteralHeader)
    return registry


#: SMTP's policy (CRLF, lines folded at 78 where a header allows) with the literal headers.
POLICY = SMTP.clone(header_factory=_registry())


def to_mime(message: OutboundMessage, *, message_id: str, date: dt.datetime) -> EmailMessage:
    """multipart/alternative with text first and HTML last (RFC 2046 §5.1.4: the last part is
    the richest the client can show). The policy folds headers and uses CRLF, as SMTP wants.
    UnbuildableMessage when a header value holds a control character (a CR/LF would end the
    header early: header injection) or the email package refuses a value."""
    header_values = [
        ("Subject", message.subject),
        ("From", message.from_name),
        ("To", message.to_name),
        *message.headers,
    ]
    for name, value in header_values:
        if _CONTROL.search(value):
            raise UnbuildableMessage(
                f"the {name} header holds a control character (a line break?): {value[:60]!r}"
            )
    try:
        return _build(message, message_id=message_id, date=date)
    except (ValueError, TypeError) as exc:
        raise UnbuildableMessage(f"the message could not be built: {exc}") from exc


#: C0 and C1 controls, DEL and the Unicode line/paragraph separators: none belongs in a header.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _build(message: OutboundMessage, *, message_id: str, date: dt.datetime) -> EmailMessage:
    mime = EmailMessage(policy=POLICY)
    mime["From"] = Address(message.from_name, addr_spec=message.from_email)
    mime["To"] = Address(message.to_name, addr_spec=message.to_email)
    if message.reply_to:
        mime["Reply-To"] = message.reply_to
    if message.subject.isascii():
        mime["Subject"] = message.subject
    else:
        # Python before 3.13 folds a long non-ASCII subject between two encoded words and loses
        # the space there (RFC 2047 §6.2 ignores it: "Ниш, 1–3." arrives as "Ниш,1–3."). Header
        # keeps spaces inside the encoded words; set_raw stores its folding as it is.
        mime.set_raw("Subject", Header(message.subject, "utf-8", header_name="Subject").encode())
    mime["Date"] = format_datetime(date)
    mime["Message-ID"] = message_id
    mime["MIME-Version"] = "1.0"
    for name, value in message.headers:
        mime[name] = value
    mime.set_content(message.text, subtype="plain", charset="utf-8")
    mime.add_alternative(message.html, subtype="html", charset="utf-8")
    for attachment in message.attachments:
        mime.add_attachment(
            attachment.data,
            maintype=attachment.maintype,
            subtype=attachment.subtype,
            filename=attachment.filename,
            params=dict(attachment.params),
        )
    return mime
