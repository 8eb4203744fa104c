"""A strict reader of a message's header block, for tests that check the bytes as sent.

``email.policy.default`` decodes RFC 2047 encoded-words wherever it finds them, so a test that
reads a header back through it cannot tell ``<https://...>`` from ``=?utf-8?q?=3Chttps...?=``.
This reader unfolds the raw lines (RFC 5322 §2.2.3) and nothing else, checks the line limits
and the header syntax the bulk-sender rules rely on, and hands back the values as written.
"""

from __future__ import annotations

import email.policy
import re
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime

#: RFC 5322 §3.6.4 msg-id with dot-atom-text on both sides (no obsolete or quoted forms).
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_DOT_ATOM = rf"{_ATEXT}(?:\.{_ATEXT})*"
MSG_ID = re.compile(rf"<{_DOT_ATOM}@{_DOT_ATOM}>")
#: RFC 2369 §2 as RFC 8058 uses it: angle-bracketed URIs separated by commas.
URI_LIST = re.compile(r"<([^<>\s]+)>(?:,[ \t]*<([^<>\s]+)>)*")
#: RFC 2919 §3: an optional phrase, then ``<list-label.namespace>``.
LIST_ID = re.compile(r'(?:"(?:[^"\\]|\\.)*"|[^"<>]*)[ \t]*<[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+>')
_FIELD = re.compile(rb"([\x21-\x39\x3b-\x7e]+):[ \t]?(.*)")


def header_block(raw: bytes) -> bytes:
    """The header lines of ``raw`` (CRLF-terminated, as SMTP and .eml files carry them)."""
    head, sep, _ = raw.partition(b"\r\n\r\n")
    assert sep, "no CRLF CRLF between the header and the body"
    assert re.search(rb"(?<!\r)\n|\r(?!\n)", head) is None, "bare CR or LF in the header"
    return head


def raw_headers(raw: bytes) -> dict[str, list[str]]:
    """Every header field as written, unfolded: lower-case name -> values in order.

    Fails on anything RFC 5322 forbids in a header block: non-ASCII bytes, a line over 998
    characters, a continuation line before the first field, a line that is not a field.
    """
    fields: dict[str, list[str]] = {}
    current: list[bytes] | None = None
    name = ""
    for line in header_block(raw).split(b"\r\n"):
        assert line.isascii(), f"8-bit header line: {line[:80]!r}"
        assert len(line) <= 998, f"header line of {len(line)} characters"
        if line[:1] in (b" ", b"\t"):
            assert current is not None, "continuation line before the first field"
            current.append(line)  # unfolding removes the CRLF only (RFC 5322 §2.2.3)
            continue
        if current is not None:
            fields.setdefault(name, []).append(b"".join(current).decode("ascii").strip())
        found = _FIELD.fullmatch(line)
        assert found is not None, f"not a header field: {line[:80]!r}"
        name, current = found.group(1).decode().lower(), [found.group(2)]
    if current is not None:
        fields.setdefault(name, []).append(b"".join(current).decode("ascii").strip())
    return fields


def one(fields: dict[str, list[str]], name: str) -> str:
    values = fields.get(name.lower(), [])
    assert len(values) == 1, f"{name}: {len(values)} fields"
    return values[0]


def check_bulk_headers(raw: bytes, *, unsubscribe_url: str) -> dict[str, list[str]]:
    """The headers a bulk sender must get right, read off the bytes: List-Unsubscribe with
    the literal https URI first (RFC 2369, RFC 8058 §3.1), the exact one-click POST body, a
    List-Id and Message-ID of the RFCs' syntax, a Date that parses; and the whole message
    parses under ``email.policy.strict`` with no defect in any header."""
    fields = raw_headers(raw)
    unsubscribe = one(fields, "List-Unsubscribe")
    assert "=?" not in unsubscribe, f"encoded-word in List-Unsubscribe: {unsubscribe[:80]}"
    assert URI_LIST.fullmatch(unsubscribe), unsubscribe
    assert re.findall(r"<([^<>]+)>", unsubscribe)[0] == unsubscribe_url
    assert one(fields, "List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"
    assert LIST_ID.fullmatch(one(fields, "List-Id")), one(fields, "List-Id")
    assert MSG_ID.fullmatch(one(fields, "Message-ID")), one(fields, "Message-ID")
    assert parsedate_to_datetime(one(fields, "Date")).tzinfo is not None
    parsed = BytesParser(policy=email.policy.strict).parsebytes(raw)
    assert isinstance(parsed, EmailMessage)
    assert not parsed.defects
    for name in ("From", "To", "Reply-To", "Date", "Message-ID", "Subject"):
        header = parsed.get(name)
        if header is not None:
            assert not header.defects, (name, header.defects)
    return fields
