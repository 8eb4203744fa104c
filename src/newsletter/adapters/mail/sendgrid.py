"""The SendGrid transport: v3 Mail Send through the official library, one request per batch.

Recipients sharing a composed variant go in one request with one personalization each (so
nobody sees anyone else), each carrying its own List-Unsubscribe headers, merge-field
``substitutions`` and our delivery id in ``custom_args`` (never personal data: SendGrid keeps
custom args and cannot redact them). The subject is set once at the top level; a personalization
gets its own only where it differs (a subject with merge fields). The request body is built as
JSON here rather than with the library's ``Mail`` helper, whose ``add_personalization``
prepends and is slow at 1000.

The library has no timeout and no retries and leaks raw urllib errors (reference/libraries.md
§2.1), so every call has a timeout and every failure is translated:
429 -> transient, *throttled*, with X-RateLimit-Reset; 5xx -> transient; timeout / dropped
connection after the request was written -> transient *maybe sent*; 401/403 -> AccountError
(stop the run); other 4xx -> permanent, naming SendGrid's ``errors[].field``.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
import urllib.error
from typing import Any

from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient

from newsletter.domain.events import DELIVERY_ARG, TEST_ARG
from newsletter.errors import AccountError, PermanentDeliveryError, TransientDeliveryError
from newsletter.rendering import merge
from newsletter.rendering.compose import Batch
from newsletter.services.ports import SendResult

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

__all__ = ["DELIVERY_ARG", "TEST_ARG", "SendGridMailer"]
_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class SendGridMailer:
    name = "sendgrid"
    max_batch = MAX_PERSONALIZATIONS

    def __init__(
        self,
        api_key: str,
        *,
        host: str,
        timeout: float,
        sandbox_mode: bool = False,
        unsubscribe_groups: dict[str, int] | None = None,
    ) -> None:
        self.api_key, self.host, self.timeout = api_key, host.rstrip("/"), timeout
        self.sandbox_mode = sandbox_mode
        self.unsubscribe_groups = unsubscribe_groups or {}
        # The library's client shares a mutable header dict; one client per thread is safe.
        self._local = threading.local()

    def _client(self) -> Any:
        client = getattr(self._local, "client", None)
        if client is None:
            client = SendGridAPIClient(api_key=self.api_key, host=self.host).client
            client.timeout = self.timeout
            # With a Content-Type other than exactly "application/json" the library sends a
            # string body as it is instead of json.dumps-ing it again (python_http_client):
            # we serialise once, compactly and without escaping every Cyrillic letter.
            client.request_headers["Content-Type"] = "application/json; charset=utf-8"
            self._local.client = client
        return client

    def payload(self, batch: Batch) -> dict[str, Any]:
        """The Mail Send request body, checked against SendGrid's documented limits."""
        variant, sender = batch.variant, batch.sender
        people = batch.personalizations
        if not 1 <= len(people) <= MAX_PERSONALIZATIONS:
            raise PermanentDeliveryError(f"a request takes 1 to 1000 recipients, not {len(people)}")
        categories = list(variant.categories)
        if len(categories) > MAX_CATEGORIES or any(
            len(c) > MAX_CATEGORY_LENGTH for c in categories
        ):
            raise PermanentDeliveryError("at most 10 categories of at most 255 characters")
        # Campaign and step, for SendGrid's activity feed: identifiers, never personal data.
        common_args = {"nl_campaign": variant.campaign, "nl_step": variant.step}
        common_size = len(json.dumps(common_args).encode())
        personalized_subject = "[[nl:" in variant.subject
        # Only the merge fields this variant uses travel (a recipient's substitutions cover
        # every field, twice: HTML-escaped and plain); that halves the request body.
        used = _used_placeholders(variant.subject, variant.html, variant.text, people)
        seen: set[str] = set()
        personalizations = []
        for person in people:
            key = person.to_email.casefold()
            if key in seen:
                raise PermanentDeliveryError(f"address twice in one request: {person.to_email}")
            seen.add(key)
            headers = dict(person.headers)
            bad = [h for h in headers if h.lower() in RESERVED_HEADERS]
            if bad:
                raise PermanentDeliveryError(f"reserved header(s) for SendGrid: {bad}")
            to: dict[str, str] = {"email": person.to_email}
            name = person.to_name.replace(";", " ").replace(",", " ").strip()
            if name:
                to["name"] = name
            entry: dict[str, Any] = {
                "to": [to],
                "headers": headers,
                "substitutions": {
                    k: person.substitutions[k] for k in used if k in person.substitutions
                },
            }
            if personalized_subject:
                entry["subject"] = merge.fill(variant.subject, person.substitutions)
            args = (
                {DELIVERY_ARG: str(person.delivery_id)}
                if person.delivery_id is not None
                else {TEST_ARG: "1"}  # a test send: its events are ignored
            )
            if common_size + len(json.dumps(args).encode()) >= MAX_CUSTOM_ARGS_BYTES:
                raise PermanentDeliveryError("custom_args must stay under 10,000 bytes")
            entry["custom_args"] = args
            personalizations.append(entry)
        body: dict[str, Any] = {
            "personalizations": personalizations,
            "from": {"email": sender.email, "name": sender.name},
            "subject": variant.subject,
            # text/plain must come before text/html (Mail Send docs).
            "content": [
                {"type": "text/plain", "value": variant.text},
                {"type": "text/html", "value": variant.html},
            ],
            "custom_args": common_args,
            # One authority for List-Unsubscribe: ours. SendGrid's subscription tracking would
            # add a second header (reliability DEL-04).
            "tracking_settings": {"subscription_tracking": {"enable": False}},
        }
        if sender.reply_to:
            body["reply_to"] = {"email": sender.reply_to}
        if categories:
            body["categories"] = categories
        group = self.unsubscribe_groups.get(variant.topic)
        if group is not None:
            body["asm"] = {"group_id": group}
        if self.sandbox_mode:
            body["mail_settings"] = {"sandbox_mode": {"enable": True}}
        return body

    def send(self, batch: Batch) -> SendResult:
        body = _COMPACT(self.payload(batch))
        try:
            response = self._client().mail.send.post(request_body=body)
        except HTTPError as exc:
            raise _translate_http(exc) from exc
        except TimeoutError as exc:
            raise TransientDeliveryError(
                f"SendGrid did not answer within {self.timeout:g} s", maybe_sent=True
            ) from exc
        except urllib.error.URLError as exc:
            raise _translate_url(exc) from exc
        except (http.client.HTTPException, OSError) as exc:
            # Reset, dropped or garbled while waiting for the answer: the request was written.
            raise TransientDeliveryError(
                f"connection to SendGrid lost: {exc!r}", maybe_sent=True
            ) from exc
        message_id = response.headers.get("X-Message-Id") if response.headers else None
        return SendResult(provider_id=message_id)

    def close(self) -> None:
        return None


def _used_placeholders(subject: str, html: str, text: str, people: Any) -> list[str]:
    keys: set[str] = set()
    for person in people:
        keys.update(person.substitutions)
    return sorted(k for k in keys if k in subject or k in html or k in text)


def _translate_http(exc: HTTPError) -> Exception:
    status = int(exc.status_code)
    detail = _error_fields(exc.body)
    if status == 429:
        return TransientDeliveryError(
            f"SendGrid rate limit (429){detail}",
            retry_after=_reset_wait(exc.headers),
            throttled=True,
        )
    if status >= 500:
        # SendGrid's own error body says it failed; a bare 502/504 from a gateway may hide a
        # request the backend accepted (reliability REL-04): that one is "maybe sent".
        ambiguous = status in (502, 504) or not detail
        return TransientDeliveryError(
            f"SendGrid server error {status}{detail}", maybe_sent=ambiguous
        )
    if status in (401, 403):
        return AccountError(
            f"SendGrid refused our API key or account ({status}){detail}: check SENDGRID_API_KEY "
            "(a restricted key needs the Mail Send permission)"
        )
    return PermanentDeliveryError(f"SendGrid refused the request ({status}){detail}")


def _reset_wait(headers: Any) -> float | None:
    """Seconds until ``X-RateLimit-Reset`` (epoch seconds), or None when SendGrid did not say."""
    reset = headers.get("X-RateLimit-Reset") if headers else None
    try:
        return max(0.0, float(reset) - time.time()) if reset else None
    except (TypeError, ValueError):
        return None


def _translate_url(exc: urllib.error.URLError) -> Exception:
    # urllib raises URLError only from connecting and writing the request (do_open wraps
    # ``h.request``); failures while waiting for the answer come through raw (see ``send``).
    # A request whose bytes were not all written cannot have been accepted: safe to retry.
    reason = exc.reason
    if isinstance(reason, TimeoutError | socket.timeout):
        return TransientDeliveryError("SendGrid did not take the request in time")
    if isinstance(reason, ConnectionRefusedError | socket.gaierror):
        return TransientDeliveryError(f"cannot reach SendGrid: {reason}")
    return TransientDeliveryError(f"connection to SendGrid failed: {reason}")


def _error_fields(body: Any) -> str:
    try:
        data = json.loads(body)
        errors = data.get("errors", [])
        parts = [f"{e.get('field') or '-'}: {e.get('message')}" for e in errors]
        return f": {'; '.join(parts)}" if parts else ""
    except (ValueError, TypeError, AttributeError):
        return ""
