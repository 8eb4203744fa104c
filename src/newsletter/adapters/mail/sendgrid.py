"""The SendGrid transport: v3 Mail Send through the official library, one request per batch.

Recipients sharing a composed variant go in one request with one personalization each (so
nobody sees anyone else), each carrying its own List-Unsubscribe headers, merge-field
``substitutions`` and our delivery id in ``custom_args`` (never personal data: SendGrid keeps
custom args and cannot redact them). The request body is built as JSON here rather than with
the library's ``Mail`` helper, whose ``add_personalization`` prepends and is slow at 1000.

The library has no timeout and no retries and leaks raw urllib errors (reference/libraries.md
§2.1), so every call has a timeout and every failure is translated:
429 -> transient with X-RateLimit-Reset; 5xx -> transient; timeout / dropped connection after
the request was written -> transient *maybe sent*; other 4xx -> permanent, naming SendGrid's
``errors[].field``.
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

from newsletter.errors import PermanentDeliveryError, TransientDeliveryError
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
DELIVERY_ARG = "nl_delivery_id"


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
            self._local.client = client
        return client

    def payload(self, batch: Batch) -> dict[str, Any]:
        """The Mail Send request body, checked against SendGrid's documented limits."""
        variant, sender = batch.variant, batch.sender
        people = batch.personalizations
        if not 1 <= len(people) <= MAX_PERSONALIZATIONS:
            raise PermanentDeliveryError(f"a request takes 1 to 1000 recipients, not {len(people)}")
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
                "subject": variant.subject,
                "headers": headers,
                "substitutions": dict(person.substitutions),
            }
            if person.delivery_id is not None:
                entry["custom_args"] = {DELIVERY_ARG: str(person.delivery_id)}
            personalizations.append(entry)
        if any(
            len(json.dumps(p.get("custom_args", {})).encode()) >= MAX_CUSTOM_ARGS_BYTES
            for p in personalizations
        ):
            raise PermanentDeliveryError("custom_args must stay under 10,000 bytes")
        categories = list(variant.categories)[:MAX_CATEGORIES]
        if len(variant.categories) > MAX_CATEGORIES or any(len(c) > 255 for c in categories):
            raise PermanentDeliveryError("at most 10 categories of at most 255 characters")
        body: dict[str, Any] = {
            "personalizations": personalizations,
            "from": {"email": sender.email, "name": sender.name},
            "subject": variant.subject,
            # text/plain must come before text/html (Mail Send docs).
            "content": [
                {"type": "text/plain", "value": variant.text},
                {"type": "text/html", "value": variant.html},
            ],
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
        body = self.payload(batch)
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
        except (http.client.HTTPException, ConnectionError) as exc:
            raise TransientDeliveryError(
                f"connection to SendGrid lost: {exc!r}", maybe_sent=True
            ) from exc
        message_id = response.headers.get("X-Message-Id") if response.headers else None
        return SendResult(provider_id=message_id)

    def close(self) -> None:
        return None


def _translate_http(exc: HTTPError) -> Exception:
    status = int(exc.status_code)
    detail = _error_fields(exc.body)
    if status == 429:
        reset = exc.headers.get("X-RateLimit-Reset") if exc.headers else None
        wait = max(0.0, float(reset) - time.time()) if reset else 1.0
        return TransientDeliveryError(f"SendGrid rate limit (429){detail}", retry_after=wait)
    if status >= 500:
        return TransientDeliveryError(f"SendGrid server error {status}{detail}")
    return PermanentDeliveryError(f"SendGrid refused the request ({status}){detail}")


def _translate_url(exc: urllib.error.URLError) -> Exception:
    reason = exc.reason
    if isinstance(reason, TimeoutError | socket.timeout):
        return TransientDeliveryError("SendGrid did not answer in time", maybe_sent=True)
    if isinstance(reason, ConnectionRefusedError | socket.gaierror):
        # Nothing was written to the provider: safe to retry.
        return TransientDeliveryError(f"cannot reach SendGrid: {reason}")
    return TransientDeliveryError(f"connection to SendGrid failed: {reason}", maybe_sent=True)


def _error_fields(body: Any) -> str:
    try:
        data = json.loads(body)
        errors = data.get("errors", [])
        parts = [f"{e.get('field') or '-'}: {e.get('message')}" for e in errors]
        return f": {'; '.join(parts)}" if parts else ""
    except (ValueError, TypeError, AttributeError):
        return ""
