"""The public subscription form for friends, with double opt-in (audiences/signup.py).

- ``GET /subscribe`` shows the form in the visitor's language (``?lang=``, else their browser's).
  ``POST /subscribe`` checks a double-submit CSRF token (a random value in an HttpOnly cookie
  scoped to ``/subscribe`` and in the form; OWASP CSRF cheat sheet), then answers "check your
  inbox" - the same page whether or not an email went out.
- ``GET /subscribe/confirm/{token}`` shows a button and changes nothing (link scanners follow
  GETs); ``POST`` to the same URL confirms. As on the preference centre, the signed token in
  the URL is the credential and works as that form's CSRF token: a third party cannot forge
  the POST without it. Any bad or expired token gets the one 404 page.

A hidden "website" field catches form-filling robots: a filled one is answered like a success
and does nothing (no CSS-less visitor sees it: its label says to leave it empty).
"""

from __future__ import annotations

import secrets
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from newsletter.audiences import signup
from newsletter.audiences.domain.signup import RequestState
from newsletter.audiences.ports.signup_store import Confirmed, PendingSignup
from newsletter.audiences.preferences import offered_topics
from newsletter.bootstrap import App
from newsletter.errors import DeliveryError, RateLimitError, TokenError
from newsletter.web.auth import client_ip, same_token
from newsletter.web.deps import deps
from newsletter.web.preference_strings import LANGUAGE_NAMES
from newsletter.web.strings import page_strings, topic_name
from newsletter.web.subscribe_strings import WORDING_VERSION, negotiate, subscribe_strings

COOKIE = "nl_subscribe"
PATH = "/subscribe"
CSRF_FIELD = "csrf"
HONEYPOT = "website"
NO_STORE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
_FIELDS = ("email", "first_name", "last_name", "organization", "language")
_ERRORS = {
    "email": "err_email",
    "topics": "err_topics",
    "language": "err_language",
    "first_name": "err_name",
    "last_name": "err_name",
    "organization": "err_name",
}


def _text(form: FormData, name: str, limit: int = 400) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


def render(
    request: Request, name: str, lang: str, status: int = 200, **values: Any
) -> HTMLResponse:
    d = deps(request)
    app = d.app
    body = d.env.get_template(name).render(
        lang=lang,
        s=subscribe_strings(lang),
        organisation=app.content.organisation.in_language(lang).name,
        **values,
    )
    return HTMLResponse(body, status, headers=NO_STORE)


def lists(app: App, lang: str, topics: tuple[str, ...] | list[str]) -> list[str]:
    ui = app.content.catalog.ui_strings()
    return [topic_name(ui, lang, t) for t in topics]


def form_page(
    request: Request,
    lang: str,
    status: int = 200,
    *,
    values: dict[str, str] | None = None,
    chosen: set[str] | None = None,
    errors: dict[str, str] | None = None,
    note: str = "",
) -> Response:
    """The form with a fresh double-submit token, in its cookie and in the form."""
    app = deps(request).app
    token = secrets.token_urlsafe(32)
    ui = app.content.catalog.ui_strings()
    s = subscribe_strings(lang)
    response = render(
        request,
        "subscribe.html",
        lang,
        status,
        csrf=token,
        csrf_field=CSRF_FIELD,
        honeypot=HONEYPOT,
        consent=s["consent"].format(org=app.content.organisation.name),
        topics=[(t, topic_name(ui, lang, t)) for t in offered_topics(app.audiences)],
        languages=list(LANGUAGE_NAMES.items()),
        values={"language": lang, **(values or {})},
        chosen=chosen or set(),
        errors=errors or {},
        note=note,
    )
    secure = app.staff.links.base_url.startswith("https://")
    response.set_cookie(COOKIE, token, path=PATH, httponly=True, samesite="lax", secure=secure)
    return response


def not_found(request: Request) -> HTMLResponse:
    lang = negotiate(None, request.headers.get("accept-language", ""))
    return HTMLResponse(
        deps(request).env.get_template("not_found.html").render(t=page_strings(lang), lang=lang),
        404,
        headers=NO_STORE,
    )


async def show(request: Request) -> Response:
    lang = negotiate(request.query_params.get("lang"), request.headers.get("accept-language", ""))
    return form_page(request, lang)


def _token_matches(request: Request, form: FormData) -> bool:
    cookie = request.cookies.get(COOKIE, "")
    return bool(cookie) and same_token(form.get(CSRF_FIELD), cookie)


async def submit(request: Request) -> Response:
    app = deps(request).app
    try:
        form = await request.form(max_files=0, max_fields=30)
    except (HTTPException, MultiPartException):
        return Response("bad request", 400, headers=NO_STORE)
    lang = negotiate(_text(form, "page_lang", 16), "")
    values = {name: _text(form, name) for name in _FIELDS}
    chosen = {t for t in form.getlist("topic") if isinstance(t, str)}
    if not _token_matches(request, form):
        s = subscribe_strings(lang)
        return form_page(request, lang, 403, values=values, chosen=chosen, note=s["expired"])
    if _text(form, HONEYPOT):
        return render(request, "subscribe_check.html", lang)
    try:
        result = await run_in_threadpool(
            lambda: signup.request_signup(
                app.audiences,
                values,
                chosen,
                client=client_ip(request),
                wording_version=WORDING_VERSION,
            )
        )
    except RateLimitError:
        return render(request, "subscribe_check.html", lang, 429, problem="too_many")
    except DeliveryError:
        return render(request, "subscribe_check.html", lang, 503, problem="failed")
    if isinstance(result, list):
        s = subscribe_strings(lang)
        errors = {p.field: s[_ERRORS.get(p.field, "err_name")] for p in result}
        return form_page(
            request, lang, 400, values=values, chosen=chosen, errors=errors, note=s["invalid"]
        )
    response = render(request, "subscribe_check.html", lang)
    response.delete_cookie(COOKIE, path=PATH)
    return response


def confirm_page(request: Request, found: PendingSignup | Confirmed, *, done: bool) -> Response:
    app = deps(request).app
    already = isinstance(found, PendingSignup) and found.state is RequestState.CONFIRMED
    return render(
        request,
        "subscribe_confirm.html",
        found.language,
        lists=lists(app, found.language, found.topics),
        done=done,
        already=already,
    )


async def confirm_show(request: Request) -> Response:
    app = deps(request).app
    try:
        found = await run_in_threadpool(signup.look_up, app.audiences, request.path_params["token"])
    except TokenError:
        return not_found(request)
    return confirm_page(request, found, done=False)


async def confirm(request: Request) -> Response:
    app = deps(request).app
    try:
        done = await run_in_threadpool(signup.confirm, app.audiences, request.path_params["token"])
    except TokenError:
        return not_found(request)
    return confirm_page(request, done, done=isinstance(done, Confirmed))


ROUTES = [
    Route(PATH, show, methods=["GET", "HEAD"]),
    Route(PATH, submit, methods=["POST"]),
    Route(f"{PATH}/confirm/{{token}}", confirm_show, methods=["GET", "HEAD"]),
    Route(f"{PATH}/confirm/{{token}}", confirm, methods=["POST"]),
]
