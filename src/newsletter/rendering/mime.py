"""One RFC 5322 MIME message per recipient, for the outbox and SMTP transports.

Without attachments the message is multipart/alternative (text, then HTML). With them (the
``.ics`` of an invitation) it is multipart/mixed: the alternative first, then each attachment
base64-encoded with ``Content-Disposition: attachment`` (RFC 2046 §5.1.3, RFC 2183); a calendar
keeps its ``method`` parameter (RFC 6047 §2.4).
"""

from __future__ import annotations

import datetime as dt
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

from newsletter.rendering.messages import OutboundMessage


def to_mime(message: OutboundMessage, *, message_id: str, date: dt.datetime) -> EmailMessage:
    """multipart/alternative with text first and HTML last (RFC 2046 §5.1.4: the last part is
    the richest the client can show). The policy folds headers and uses CRLF, as SMTP wants."""
    mime = EmailMessage(policy=SMTP)
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
