"""Public member routes: one-click unsubscribe (RFC 8058).

``POST /u/{token}`` with ``List-Unsubscribe=One-Click`` (urlencoded or multipart, no cookies)
ends the topic subscription and answers 200 - never a redirect (RFC 8058 §3.1). ``GET`` (and
``HEAD``) show a page whose button posts the same, and change nothing: mail gateways and link
scanners follow GETs (RFC 8058 §1). A bad token of any kind gets the same 404; a genuine one
past its 90 days gets the page that offers a fresh link (web/renewal.py).
The link in the body of the email is the same URL, so people reach the page and press the
button; mailbox providers POST to it directly.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from newsletter.audiences import test_links, unsubscribe
from newsletter.bootstrap import App
from newsletter.core.links import PREFERENCES, UNSUBSCRIBE
from newsletter.errors import TokenError, TokenExpired
from newsletter.web.deps import deps
from newsletter.web.renewal import expired_page
from newsletter.web.strings import page_strings, topic_name
from newsletter.web.subscribe_strings import negotiate
from newsletter.web.test_pages import test_link_page

ONE_CLICK_FIELD = "List-Unsubscribe"
ONE_CLICK_VALUE = "One-Click"
#: Nothing about a token page may be stored by a cache between us and the member.
NO_STORE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}


def render(env: Environment, name: str, status: int = 200, **values: Any) -> HTMLResponse:
    return HTMLResponse(env.get_template(name).render(**values), status, headers=NO_STORE)


def not_found(env: Environment, request: Request) -> HTMLResponse:
    lang = negotiate(None, request.headers.get("accept-language", ""))
    return render(env, "not_found.html", 404, t=page_strings(lang), lang=lang)


def preferences_url(app: App, result: unsubscribe.Unsubscription) -> str:
    """A fresh preference link for the same member ("changed your mind?"): whoever holds
    the unsubscribe link holds the email, which carries the preference link too."""
    if app.audiences.preferences is None:
        return ""
    issued = int(app.staff.clock.now().timestamp())
    return "/p/" + app.staff.links.token(PREFERENCES, result.member_id, result.topic, issued)


def page(request: Request, result: unsubscribe.Unsubscription, *, done: bool) -> HTMLResponse:
    d = deps(request)
    app = d.app
    t = page_strings(result.language)
    topic = topic_name(app.content.catalog.ui_strings(), result.language, result.topic)
    return render(
        d.env,
        "unsubscribe.html",
        t=t,
        lang=result.language,
        topic=topic,
        organisation=app.content.organisation.in_language(result.language).name,
        done=done,
        preferences_url=preferences_url(app, result),
        subscribed=result.subscribed,
        field=ONE_CLICK_FIELD,
        value=ONE_CLICK_VALUE,
    )


def invalid(request: Request) -> HTMLResponse:
    """A test send's or a preview's link gets a page saying so; anything else 404."""
    d = deps(request)
    app = d.app
    found = test_links.look_up(app.audiences, request.path_params["token"], UNSUBSCRIBE)
    if found is None:
        return not_found(d.env, request)
    return HTMLResponse(test_link_page(app, d.env, request, found), headers=NO_STORE)


async def show(request: Request) -> Response:
    app = deps(request).app
    token = request.path_params["token"]
    try:
        result = await run_in_threadpool(unsubscribe.look_up, app.audiences, token)
    except TokenExpired:
        return expired_page(deps(request).env, request, "u", token)
    except TokenError:
        return invalid(request)
    return page(request, result, done=False)


async def one_click(request: Request) -> Response:
    app = deps(request).app
    token = request.path_params["token"]
    try:
        await run_in_threadpool(unsubscribe.look_up, app.audiences, token)
    except TokenExpired:
        return expired_page(deps(request).env, request, "u", token)
    except TokenError:
        # A mailbox provider's one-click POST on a test message: 200, nothing changed.
        return invalid(request)
    try:
        form = await request.form(max_files=0, max_fields=10)
    except (HTTPException, MultiPartException):  # a malformed body
        return Response("bad request", 400, headers=NO_STORE)
    if form.get(ONE_CLICK_FIELD) != ONE_CLICK_VALUE:
        return Response(f"expected {ONE_CLICK_FIELD}={ONE_CLICK_VALUE}", 400, headers=NO_STORE)
    try:
        result = await run_in_threadpool(unsubscribe.one_click, app.audiences, token)
    except TokenError:
        return not_found(deps(request).env, request)
    return page(request, result, done=True)


ROUTES = [
    Route("/u/{token}", show, methods=["GET", "HEAD"]),
    Route("/u/{token}", one_click, methods=["POST"]),
]
