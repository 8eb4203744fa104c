"""Request-body limits, enforced before any route parses a body.

Starlette reads a form or multipart body whole before a handler sees it, and parsing grows
faster than linearly with size: an anonymous ``POST /staff/login`` of 150 MB kept a worker
busy for minutes. :class:`BodyLimit` caps the body per route: a declared ``Content-Length``
over the cap is refused with 413 before a byte is read (RFC 9110 §15.5.14), and a body sent
without one (chunked) is counted as it arrives and cut off at the cap. A client that stops
sending half-way through a body is answered 408 after :data:`BODY_IDLE_SECONDS` instead of
holding a worker; idle and slow connections before a request are uvicorn's
(``timeout_keep_alive`` and ``h11_max_incomplete_event_size``, set by ``newsletter serve``).
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from newsletter.audiences.files.member_files import MAX_BYTES as IMPORT_MAX_BYTES
from newsletter.web.asgi import HttpMiddleware, WatchedSend

#: Sign-in, sign-up, one-click unsubscribe and the preference centre: a handful of fields.
PUBLIC_FORM_BYTES = 8 * 1024
#: A staff campaign form (a long letter in several languages) and other staff forms.
STAFF_FORM_BYTES = 1024 * 1024
#: A member file upload: the import limit plus room for the multipart envelope.
UPLOAD_BYTES = IMPORT_MAX_BYTES + 64 * 1024
#: SendGrid posts events in batches; a batch of a few thousand events is well under this.
WEBHOOK_BYTES = 5 * 1024 * 1024

#: Longest wait for the next piece of a request body that has started.
BODY_IDLE_SECONDS = 15.0

#: (path prefix, cap), first match wins; the last entry is the default.
LIMITS: tuple[tuple[str, int], ...] = (
    ("/staff/login", PUBLIC_FORM_BYTES),
    ("/staff/forgot", PUBLIC_FORM_BYTES),
    ("/staff/reset/", PUBLIC_FORM_BYTES),
    ("/staff/members/import", UPLOAD_BYTES),
    ("/staff/", STAFF_FORM_BYTES),
    ("/webhooks/", WEBHOOK_BYTES),
    ("/", PUBLIC_FORM_BYTES),
)


def limit_for(path: str) -> int:
    for prefix, cap in LIMITS:
        if path.startswith(prefix):
            return cap
    return PUBLIC_FORM_BYTES


class _TooLarge(Exception):
    pass


class _TooSlow(Exception):
    pass


class BodyLimit(HttpMiddleware):
    """Pure ASGI middleware: 413 for a request body over its route's cap."""

    def __init__(
        self, app: ASGIApp, limit: int | None = None, idle: float = BODY_IDLE_SECONDS
    ) -> None:
        super().__init__(app)
        self.limit = limit
        self.idle = idle

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        cap = self.limit if self.limit is not None else limit_for(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > cap:
            await _refuse(send, 413, f"Request body too large: at most {cap:,} bytes here.")
            return
        received = 0
        body_done = False

        async def counted() -> Message:
            nonlocal received, body_done
            if body_done:  # after the body: waiting for a disconnect is not bounded here
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), self.idle)
            except TimeoutError:
                raise _TooSlow from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cap:
                    raise _TooLarge
                body_done = not message.get("more_body", False)
            return message

        watch = WatchedSend(send)
        try:
            await self.app(scope, counted, watch)
        except _TooLarge:
            if not watch.started:
                await _refuse(send, 413, f"Request body too large: at most {cap:,} bytes here.")
        except _TooSlow:
            if not watch.started:
                await _refuse(send, 408, "Request body not received in time.")


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _refuse(send: Send, status: int, text: str) -> None:
    body = (text + "\n").encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
