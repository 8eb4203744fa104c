"""Assemble the Starlette app: routes from :mod:`public` and :mod:`webhooks`, static files,
templates, and the security headers every response carries."""

from __future__ import annotations

import contextlib
import logging
import re
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from newsletter.audiences.files.uploads import UploadShelf
from newsletter.bootstrap import App
from newsletter.scheduling.ports import Scheduling
from newsletter.web import archive, preferences, public, renewal, staff, subscribe, webhooks
from newsletter.web.deps import Verifier, WebDeps, deps
from newsletter.web.faults import FaultBoundary
from newsletter.web.limits import BodyLimit
from newsletter.web.staff import times
from newsletter.web.staff.form_view import PreviewStore
from newsletter.web.strings import page_strings
from newsletter.web.subscribe_strings import negotiate

HERE = Path(__file__).resolve().parent
FAVICON = HERE / "static" / "favicon.svg"
CACHED = {"Cache-Control": "public, max-age=86400"}

#: No inline script or style anywhere (scripts only as our own files under /static: the staff
#: campaign form's live preview), no framing (clickjacking a one-click button), forms post
#: only to us, and URLs with tokens in them never leak through Referer.
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (
        b"content-security-policy",
        b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        b"form-action 'self'; "
        b"frame-ancestors 'none'; base-uri 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
)


#: RFC 6797 HSTS on an https installation: browsers never try plain http for a year.
HSTS = (b"strict-transport-security", b"max-age=31536000")


class SecurityHeaders:
    """Pure ASGI middleware: add :data:`SECURITY_HEADERS` to every HTTP response; with
    ``base_url`` https, HSTS too; and an absolute redirect ``Location`` (Starlette's
    trailing-slash redirect builds one from the request's Host header) always points at
    ``base_url``'s own origin, so a forged Host header is never sent back."""

    def __init__(self, app: ASGIApp, base_url: str = "") -> None:
        self.app = app
        parts = urlsplit(base_url)
        self.origin = f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""
        self.headers = (*SECURITY_HEADERS, HSTS) if parts.scheme == "https" else SECURITY_HEADERS

    def _location(self, value: bytes) -> bytes:
        target = urlsplit(value.decode("latin-1"))
        if not self.origin or not target.netloc:
            return value
        path = target.path or "/"
        return (self.origin + path + (f"?{target.query}" if target.query else "")).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (n, self._location(v) if n.lower() == b"location" else v)
                    for n, v in message.get("headers", [])
                ]
                present = {name.lower() for name, _ in headers}
                extra = [(n, v) for n, v in self.headers if n not in present]
                message["headers"] = [*headers, *extra]
            await send(message)

        await self.app(scope, receive, with_headers)


#: Paths whose last segment is a bearer token: one-click unsubscribe, preference centre and
#: sign-up confirmation links stay valid for long, so they never go into an access log.
_TOKEN_PATH = re.compile(r"(/(?:u|p|subscribe/confirm|staff/reset)/)[^/?#\s\"]+")


def redact_tokens(text: str) -> str:
    return _TOKEN_PATH.sub(r"\1[token]", text)


class RedactTokens(logging.Filter):
    """On ``uvicorn.access``: the request path with its token replaced."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact_tokens(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.msg, str):
            record.msg = redact_tokens(record.msg)
        return True


def redact_access_log(logger: logging.Logger | None = None) -> None:
    """Install :class:`RedactTokens` on uvicorn's access logger, once."""
    target = logger or logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactTokens) for f in target.filters):
        target.addFilter(RedactTokens())


def templates() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    times.install(env)
    return env


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


async def favicon(request: Request) -> Response:
    return FileResponse(FAVICON, headers=CACHED)


async def not_found(request: Request, _exc: Exception) -> Response:
    """Any unknown address: the one "not valid" page, in the visitor's language."""
    wanted = request.headers.get("accept-language", "")
    lang = negotiate(request.query_params.get("lang"), wanted)
    template = deps(request).env.get_template("not_found.html")
    return HTMLResponse(template.render(t=page_strings(lang), lang=lang), 404)


ROUTES: list[BaseRoute] = [
    Route("/healthz", healthz, methods=["GET"]),
    # Browsers ask for it on every page (the archived email has no <link rel=icon>).
    Route("/favicon.ico", favicon, methods=["GET", "HEAD"]),
    *public.ROUTES,
    *renewal.ROUTES,
    *webhooks.ROUTES,
    # Sign-in and the staff pages (all behind login), the preference centre.
    *staff.ROUTES,
    *preferences.ROUTES,
    # The public subscription form (double opt-in) and the campaign archive.
    *subscribe.ROUTES,
    *archive.ROUTES,
]


def create_app(
    app: App,
    *,
    webhook: Verifier | None = None,
    now: Callable[[], float] = time.time,
    extra_routes: list[BaseRoute] | None = None,
    close: Callable[[], None] | None = None,
    scheduling: Callable[[], Scheduling] | None = None,
) -> ASGIApp:
    """The app for one installation. ``webhook`` checks SendGrid's signatures (None: the
    endpoint refuses everything); ``now`` is the clock for signature freshness; ``close`` runs
    at shutdown; ``scheduling`` builds the scheduling use cases for the staff pages (None:
    staff cannot schedule from the browser). Every endpoint reads these through
    :func:`newsletter.web.deps.deps`."""
    env = templates()
    redact_access_log()

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        if close is not None:
            close()

    # Bodies are capped per route before any handler parses one.
    web = Starlette(
        routes=[
            *ROUTES,
            *(extra_routes or []),
            Mount("/static", app=StaticFiles(directory=HERE / "static"), name="static"),
        ],
        lifespan=lifespan,
        exception_handlers={404: not_found},
        # Database and file-system faults: a 503 and one log line (web/faults.py).
        middleware=[
            Middleware(FaultBoundary, env=env, redact=redact_tokens),
            Middleware(BodyLimit),
        ],
    )
    web.state.deps = WebDeps(
        app,
        env,
        uploads=UploadShelf(),
        previews=PreviewStore(),
        scheduling=scheduling,
        webhook=webhook,
        now=now,
    )
    return SecurityHeaders(web, app.staff.links.base_url)


def from_environment() -> ASGIApp:
    """Factory for uvicorn (``newsletter serve``, or ``uvicorn --factory
    newsletter.web.app:from_environment``): settings from ``NEWSLETTER_CONFIG`` / config.yaml
    and the environment, adapters from the composition root."""
    from newsletter.bootstrap import build_app, build_scheduling, webhook_verifier
    from newsletter.config import load_settings

    settings = load_settings()
    app = build_app(settings)
    return create_app(
        app,
        webhook=webhook_verifier(settings),
        close=app.close,
        scheduling=lambda: build_scheduling(settings, app.delivery),
    )
