"""What the web app's own pure ASGI middleware share (:mod:`newsletter.web.limits`,
:mod:`newsletter.web.faults`): they act on HTTP requests only, and they must know whether the
app has begun its response, because a request gets one ``http.response.start`` and no more
(the ASGI HTTP connection scope: https://asgi.readthedocs.io/en/latest/specs/www.html).
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HttpMiddleware(ABC):
    """Pure ASGI middleware for HTTP requests; anything else (lifespan, websockets) goes
    straight to the app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.http(scope, receive, send)

    @abstractmethod
    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one HTTP request."""


class WatchedSend:
    """``send``, passed through, noting when the response starts: after its status line a
    middleware can no longer answer in the app's place (the client sees it cut off)."""

    def __init__(self, send: Send) -> None:
        self.send = send
        self.started = False

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
        await self.send(message)
