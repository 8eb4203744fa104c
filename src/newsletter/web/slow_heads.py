"""A deadline for the request head: uvicorn's HTTP/1.1 protocol with a slowloris guard.

uvicorn times out idle keep-alive connections (``timeout_keep_alive``) but has no timeout for
a client that opens a connection and then sends its request line and header fields a byte at
a time, or nothing at all: each such connection is held for as long as the client likes, and a
few hundred of them take every slot of ``limit_concurrency`` (the "slowloris" attack; OWASP
Denial of Service Cheat Sheet). Apache's ``mod_reqtimeout`` and nginx's
``client_header_timeout`` give the whole head a deadline; this does the same inside the app
server: from the moment a connection opens, or a keep-alive connection finishes a response,
the next request head must be complete within :data:`HEAD_SECONDS`, or the connection is
answered ``408 Request Timeout`` (RFC 9110 §15.5.9) and closed. The body has its own idle
limit in the app (``web/limits.py``).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

#: Seconds a client has to send a whole request head (request line and header fields).
HEAD_SECONDS = 10.0

_TIMEOUT_BODY = b"The request head was not received in time.\n"
#: Written raw: h11 cannot send a response before it has received a request.
TIMEOUT_RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Connection: close\r\n"
    b"Content-Length: " + str(len(_TIMEOUT_BODY)).encode() + b"\r\n\r\n" + _TIMEOUT_BODY
)


class HeadDeadlineProtocol(H11Protocol):
    """:class:`H11Protocol` that closes a connection whose request head is not complete
    :attr:`head_seconds` after the connection opened or its previous response ended."""

    head_seconds: float = HEAD_SECONDS

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_timer: asyncio.TimerHandle | None = None
        self._waiting_after: Any = None
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        # uvicorn starts a new request cycle once h11 has parsed a complete head.
        if self._head_timer is not None and self.cycle is not self._waiting_after:
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # Waiting for the next head on a kept-alive connection (unless a pipelined request
        # was already parsed, which starts its own cycle).
        if not self.transport.is_closing() and (self.cycle is None or self.cycle.response_complete):
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._waiting_after = self.cycle
        self._head_timer = self.loop.call_later(self.head_seconds, self._too_slow)

    def _disarm(self) -> None:
        timer = getattr(self, "_head_timer", None)
        if timer is not None:
            timer.cancel()
        self._head_timer = None

    def _too_slow(self) -> None:
        self._head_timer = None
        if self.cycle is not self._waiting_after or self.transport.is_closing():
            return  # a head arrived meanwhile: its request is being served
        self.transport.write(TIMEOUT_RESPONSE)
        self.transport.close()
