"""The v3 Mail Send request body for one batch, checked against SendGrid's documented limits.

One personalization per member (so nobody sees anyone else) with their own List-Unsubscribe
headers, the merge-field ``substitutions`` the variant uses and our delivery id in
``custom_args``; subject, content, categories and attachments once for the request.

The body is written as JSON text here, piece by piece, rather than built as objects (the
library's ``Mail`` helper, whose ``add_personalization`` also prepends) and serialised: at
1000 personalizations per request that was most of a send's CPU time. Every string still
goes through the JSON encoder (``JSONEncoder.encode``, the standard escaping); only the
punctuation around it is written by hand. ``tests/delivery/transports/sendgrid/test_body.py``
checks the text parses to the body the rules describe.

Limits (Mail Send docs, "Limitations" and the errors page): 1 to 1000 personalizations, each
address once per request, custom_args under 10,000 bytes, at most 10 categories of at most
255 characters, no reserved header names; attachments need base64 ``content`` and a
``filename`` and ``type`` without ``;``, ``,`` or line breaks - except that SendGrid accepts
the one ``method`` parameter a calendar invitation needs (``text/calendar; method=REQUEST``,
RFC 6047 §2.4) and adds ``charset`` itself (sendgrid-php#250, sendgrid-nodejs#1313).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Sequence
from json.encoder import encode_basestring
from operator import eq, itemgetter, methodcaller
from typing import Any

from newsletter.content.rendering import merge
from newsletter.content.rendering.messages import Attachment, Batch, ComposedVariant
from newsletter.delivery.transports.sendgrid.events import DELIVERY_ARG, TEST_ARG
from newsletter.errors import PermanentDeliveryError

#: Headers SendGrid refuses in ``headers`` (Mail Send docs); To/From/... have their own fields.
RESERVED_HEADERS = frozenset(
    h.lower()
    for h in (
        "x-sg-id",
        "x-sg-eid",
        "received",
        "dkim-signature",
        "Content-Type",
        "Content-Transfer-Encoding",
        "To",
        "From",
        "Subject",
        "Reply-To",
        "CC",
        "BCC",
    )
)
MAX_PERSONALIZATIONS = 1000
MAX_CUSTOM_ARGS_BYTES = 10_000
MAX_CATEGORIES = 10
MAX_CATEGORY_LENGTH = 255
#: Characters SendGrid refuses in an attachment's filename and type (errors page).
_UNSAFE = re.compile(r"[;,\r\n]").search

_name = itemgetter(0)
#: One JSON string, escaped as ``json.dumps(..., ensure_ascii=False)`` would: the function the
#: standard encoder itself calls for every string (``JSONEncoder.encode``, less its dispatch).
_string = encode_basestring
_compact = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def request_body(
    batch: Batch, *, unsubscribe_group: int | None = None, sandbox_mode: bool = False
) -> str:
    """The JSON text of the Mail Send request for ``batch``, or PermanentDeliveryError naming
    the limit it breaks (before anything is sent: SendGrid would refuse the whole request)."""
    variant, sender, people = batch.variant, batch.sender, batch.personalizations
    if not 1 <= len(people) <= MAX_PERSONALIZATIONS:
        raise PermanentDeliveryError(f"a request takes 1 to 1000 recipients, not {len(people)}")
    categories = list(variant.categories)
    if len(categories) > MAX_CATEGORIES or any(len(c) > MAX_CATEGORY_LENGTH for c in categories):
        raise PermanentDeliveryError("at most 10 categories of at most 255 characters")
    # Campaign and step, for SendGrid's activity feed: identifiers, never personal data.
    common_args = {"nl_campaign": variant.campaign, "nl_step": variant.step}
    html, used = _shared_placeholders(variant, people)
    top: dict[str, Any] = {
        "from": {"email": sender.email, "name": sender.name},
        "subject": variant.subject,
        # text/plain must come before text/html (Mail Send docs).
        "content": [
            {"type": "text/plain", "value": variant.text},
            {"type": "text/html", "value": html},
        ],
        "custom_args": common_args,
        # One authority for List-Unsubscribe: ours. SendGrid's subscription tracking would
        # add a second header.
        "tracking_settings": {"subscription_tracking": {"enable": False}},
    }
    if variant.attachments:
        top["attachments"] = [attachment(a) for a in variant.attachments]
    if sender.reply_to:
        top["reply_to"] = {"email": sender.reply_to}
    if categories:
        top["categories"] = categories
    if unsubscribe_group is not None:
        top["asm"] = {"group_id": unsubscribe_group}
    if sandbox_mode:
        top["mail_settings"] = {"sandbox_mode": {"enable": True}}
    entries = _Personalizations(variant, used, len(_compact(common_args).encode()))
    return f'{{"personalizations":[{entries.join(people)}],{_compact(top)[1:]}'


def attachment(item: Attachment) -> dict[str, str]:
    """One ``attachments`` entry: base64 content, filename, type and disposition."""
    content_type = item.content_type.strip()
    for name, value in item.params:
        if name.lower() == "method" and content_type.lower() == "text/calendar":
            content_type += f"; method={value}"
        elif name.lower() != "charset":  # SendGrid sets charset itself and refuses ours
            raise PermanentDeliveryError(
                f"SendGrid takes no {name!r} parameter on an attachment type ({item.filename})"
            )
    if not item.filename or _UNSAFE(item.filename):
        raise PermanentDeliveryError(
            f"attachment filename {item.filename!r}: SendGrid needs one without ; , or line breaks"
        )
    if _UNSAFE(content_type.replace("; method=", "", 1)) or "/" not in content_type:
        raise PermanentDeliveryError(f"attachment type {content_type!r} is not one SendGrid takes")
    if not item.data:
        raise PermanentDeliveryError(f"attachment {item.filename} is empty")
    return {
        "content": base64.b64encode(item.data).decode("ascii"),
        "type": content_type,
        "filename": item.filename,
        "disposition": "attachment",
    }


def _shared_placeholders(variant: ComposedVariant, people: Sequence[Any]) -> tuple[str, list[str]]:
    """The HTML of this request and the substitution keys its personalizations carry.

    Only placeholders the variant contains travel. A field whose HTML-escaped value is its
    plain value for every recipient of the request (every signed link, most names) needs one
    substitution, not two: this request's HTML then names the plain placeholder, and the
    filled message is the same. That takes about a third off the body.
    """
    html = variant.html
    fields = merge.fields_used(variant.subject, html, variant.text)
    subs = [p.substitutions for p in people]
    keys: list[str] = []
    for field in sorted(fields):
        url = merge.url_placeholder(field)
        if url in html or url in variant.text:
            keys.append(url)  # percent-encoded: the same value in both parts
        plain = merge.placeholder(field, html_part=False)
        marked = merge.placeholder(field, html_part=True)
        if marked not in html:
            keys.append(plain)
            continue
        html_values = map(methodcaller("get", marked), subs)
        if all(map(eq, html_values, map(methodcaller("get", plain), subs))):
            html = html.replace(marked, plain)
            keys.append(plain)
        else:
            keys += [plain, marked]
    return html, keys


class _Personalizations:
    """Writes the ``personalizations`` array: one JSON object per recipient."""

    def __init__(self, variant: ComposedVariant, keys: list[str], common_args_size: int) -> None:
        self.subject = variant.subject if "[[nl:" in variant.subject else None
        self.keys = [(k, _string(k) + ":") for k in keys]
        self.args_room = MAX_CUSTOM_ARGS_BYTES - common_args_size
        #: (name, value) -> '"name":"value"' for the headers every recipient shares (List-Id,
        #: List-Unsubscribe-Post); bounded, since the unsubscribe link differs per recipient.
        self.headers: dict[tuple[str, str], str] = {}
        #: Header names already checked (every recipient normally has the same ones).
        self.names: set[tuple[str, ...]] = set()

    def join(self, people: Sequence[Any]) -> str:
        seen: set[str] = set()
        out = []
        for person in people:
            key = person.to_email.casefold()
            if key in seen:
                raise PermanentDeliveryError(f"address twice in one request: {person.to_email}")
            seen.add(key)
            out.append(self.entry(person))
        return ",".join(out)

    def entry(self, person: Any) -> str:
        name = person.to_name
        if "," in name or ";" in name:
            name = name.replace(";", " ").replace(",", " ")
        name = name.strip()
        to = '{"email":' + _string(person.to_email)
        if name:
            to += ',"name":' + _string(name)
        known = self.headers
        headers = [known.get(pair) or self._header(pair) for pair in person.headers]
        if tuple(map(_name, person.headers)) not in self.names:
            self._check_names(person)
        subs = person.substitutions
        values = [f"{encoded}{_string(subs[k])}" for k, encoded in self.keys if k in subs]
        if person.delivery_id is not None:
            args = f'{{"{DELIVERY_ARG}":"{int(person.delivery_id)}"}}'
        else:
            args = f'{{"{TEST_ARG}":"1"}}'  # a test send: its events are ignored
        if len(args) >= self.args_room:
            raise PermanentDeliveryError("custom_args must stay under 10,000 bytes")
        subject = ""
        if self.subject is not None:
            subject = ',"subject":' + _string(merge.fill(self.subject, subs))
        return (
            f'{{"to":[{to}}}],"headers":{{{",".join(headers)}}},'
            f'"substitutions":{{{",".join(values)}}},"custom_args":{args}{subject}}}'
        )

    def _check_names(self, person: Any) -> None:
        """No header twice (SendGrid refuses duplicate keys, in any case); remembered, since
        every recipient of a batch normally has the same header names."""
        names = tuple(map(_name, person.headers))
        if len({n.lower() for n in names}) != len(names):
            raise PermanentDeliveryError(f"a header twice for {person.to_email}")
        self.names.add(names)

    def _header(self, pair: tuple[str, str]) -> str:
        name, value = pair
        if name.lower() in RESERVED_HEADERS:
            raise PermanentDeliveryError(f"reserved header(s) for SendGrid: {[name]}")
        encoded = f"{_string(name)}:{_string(value)}"
        if len(self.headers) < 16:
            self.headers[pair] = encoded
        return encoded
