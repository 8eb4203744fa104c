"""The web app's one error boundary for operational faults: a database locked longer than the
busy timeout, read-only or on a full disk, or a file that cannot be read or written.

Such a fault is nobody's mistake in the request and usually passes: the visitor gets 503
Service Unavailable with ``Retry-After`` (RFC 9110 §15.6.4 and §10.2.3), as a page in their
language or, for API callers (SendGrid's event webhook, which retries a non-2xx batch later,
and anyone who asks for JSON), as a JSON object. Staff read one log line naming what failed and
what to do (:mod:`newsletter.db.faults`): never a traceback, never the SQL statement or its
parameters, never the query string (an ``explain`` address, a token), and a token in the path
is masked.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from jinja2 import Environment
from sqlalchemy.exc import DBAPIError
from starlette.types import ASGIApp, Receive, Scope, Send

from newsletter.db.faults import database_fault, file_fault
from newsletter.web.asgi import HttpMiddleware, WatchedSend
from newsletter.web.strings import page_strings
from newsletter.web.subscribe_strings import negotiate

log = logging.getLogger("newsletter.web.faults")

#: Seconds a client is asked to wait: a lock or a full disk is seldom gone sooner.
RETRY_AFTER_SECONDS = 30
#: Paths whose callers are programs: they read JSON, not a page.
API_PREFIXES = ("/webhooks/",)


def wants_json(scope: Scope) -> bool:
    path = str(scope.get("path", ""))
    if path.startswith(API_PREFIXES):
        return True
    accept = _header(scope, b"accept")
    return "application/json" in accept and "text/html" not in accept


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return ""


def fault_line(exc: Exception) -> str:
    """What failed and what to do, in one line fit for a log (no personal data)."""
    if isinstance(exc, DBAPIError):
        return database_fault(exc)
    if isinstance(exc, OSError):
        return file_fault(exc)
    raise TypeError(f"not an operational fault: {type(exc).__name__}")


class FaultBoundary(HttpMiddleware):
    """Pure ASGI middleware inside Starlette's own error middleware, so these faults never
    reach it (which would answer a bare 500 and log the traceback)."""

    def __init__(
        self, app: ASGIApp, *, env: Environment, redact: Callable[[str], str] = str
    ) -> None:
        super().__init__(app)
        self.env = env
        self.redact = redact

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        watch = WatchedSend(send)
        try:
            await self.app(scope, receive, watch)
        except (DBAPIError, OSError) as exc:
            where = f"{scope.get('method', '')} {self.redact(str(scope.get('path', '')))}"
            # ``from None`` in spirit: the chained vendor exception stays out of the log.
            log.error("%s: 503: %s", where, fault_line(exc))
            if watch.started:  # too late for a status line: the client sees a cut-off response
                return
            await self._unavailable(scope, send)

    async def _unavailable(self, scope: Scope, send: Send) -> None:
        if wants_json(scope):
            body = json.dumps(
                {
                    "error": "temporarily unavailable",
                    "detail": "the service could not complete this request; try again later",
                    "retry_after": RETRY_AFTER_SECONDS,
                }
            ).encode()
            kind = b"application/json"
        else:
            lang = negotiate(None, _header(scope, b"accept-language"))
            page = self.env.get_template("unavailable.html")
            body = page.render(t=page_strings(lang), lang=lang).encode()
            kind = b"text/html; charset=utf-8"
        headers = [
            (b"content-type", kind),
            (b"content-length", str(len(body)).encode()),
            (b"retry-after", str(RETRY_AFTER_SECONDS).encode()),
            (b"cache-control", b"no-store"),
        ]
        await send({"type": "http.response.start", "status": 503, "headers": headers})
        await send({"type": "http.response.body", "body": body})
