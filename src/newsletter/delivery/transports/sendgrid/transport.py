"""The SendGrid transport: v3 Mail Send through the official library, one request per batch.

Recipients sharing a composed variant go in one request with one personalization each (so
nobody sees anyone else), each carrying its own List-Unsubscribe headers, merge-field
``substitutions`` and our delivery id in ``custom_args`` (never personal data: SendGrid keeps
custom args and cannot redact them). The subject is set once at the top level; a personalization
gets its own only where it differs (a subject with merge fields). An invitation's ``.ics`` goes
as an ``attachments`` entry. :mod:`sendgrid_body` writes the body; the library's client sends it.

The library has no timeout and no retries and leaks raw urllib errors (python-http-client's
``Client`` defaults to ``timeout=None``), so every call has a timeout and every failure is
translated: 429 -> transient, *throttled*, with X-RateLimit-Reset or Retry-After; 5xx ->
transient; timeout / dropped connection after the request was written -> transient *maybe sent*;
401/403 -> AccountError (stop the run); other 4xx -> permanent, naming SendGrid's
``errors[].field``.
"""

from __future__ import annotations

import email.utils
import functools
import http.client
import json
import socket
import threading
import time
import urllib.error
from collections.abc import Callable
from typing import Any

from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient

from newsletter.content.rendering.compose import Batch
from newsletter.delivery.ports import SendResult
from newsletter.delivery.transports.sendgrid.body import MAX_PERSONALIZATIONS, request_body
from newsletter.errors import AccountError, PermanentDeliveryError, TransientDeliveryError

__all__ = ["SendGridMailer"]


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

    def body(self, batch: Batch) -> str:
        """The Mail Send request body (JSON text), checked against SendGrid's limits."""
        return request_body(
            batch,
            unsubscribe_group=self.unsubscribe_groups.get(batch.variant.topic),
            sandbox_mode=self.sandbox_mode,
        )

    def send(self, batch: Batch) -> SendResult:
        return self.prepare(batch)()

    def prepare(self, batch: Batch) -> Callable[[], SendResult]:
        """Check and write the request now; the returned call posts it (on a worker)."""
        return functools.partial(self._post, _Body(self.body(batch)))

    def _post(self, body: str) -> SendResult:
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


class _Body(str):
    """The request body as the library takes it (text it encodes to UTF-8 itself), except that
    the encoded bytes do not print themselves. python_http_client formats the whole payload
    into a debug message on every request, whether debug logging is on or not (``http_request``:
    ``'PAYLOAD: {data}'.format(...)``): that repr of ~1 MB cost ~3 ms of CPU per request, and
    with debug logging on it would write every member's address into the log."""

    def encode(self, encoding: str = "utf-8", errors: str = "strict") -> bytes:
        return _Quiet(super().encode(encoding, errors))


class _Quiet(bytes):
    def __str__(self) -> str:
        return f"<{len(self):,} bytes of JSON>"

    __repr__ = __str__


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
        # request the backend accepted: that one is "maybe sent".
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
    """Seconds to wait before the next request, or None when the answer did not say.

    SendGrid documents ``X-RateLimit-Reset`` (epoch seconds) on a 429; a proxy or gateway in
    front of it may say ``Retry-After`` instead (RFC 9110 §10.2.3: delta-seconds or an
    HTTP-date). When both are there, the later of the two is honoured.
    """
    if not headers:
        return None
    now = time.time()
    said = (
        _epoch_wait(headers.get("X-RateLimit-Reset"), now),
        _retry_after(headers.get("Retry-After"), now),
    )
    waits = [w for w in said if w is not None]
    return max(waits) if waits else None


def _epoch_wait(reset: Any, now: float) -> float | None:
    try:
        return max(0.0, float(reset) - now) if reset else None
    except (TypeError, ValueError):
        return None


def _retry_after(value: Any, now: float) -> float | None:
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():  # delta-seconds
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)  # IMF-fixdate, RFC 9110 §5.6.7
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # "-0000": RFC 5322 says UTC
        return None
    return max(0.0, when.timestamp() - now)


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
