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

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from newsletter.audiences import unsubscribe
from newsletter.bootstrap import App
from newsletter.core.links import PREFERENCES, UNSUBSCRIBE
from newsletter.errors import TokenError
from newsletter.web.deps import deps
from newsletter.web.member_links import NO_STORE, not_found, read_link, render
from newsletter.web.strings import page_strings, topic_name

ONE_CLICK_FIELD = "List-Unsubscribe"
ONE_CLICK_VALUE = "One-Click"


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


async def show(request: Request) -> Response:
    result = await read_link(request, unsubscribe.look_up, UNSUBSCRIBE)
    if isinstance(result, Response):
        return result
    return page(request, result, done=False)


async def one_click(request: Request) -> Response:
    app = deps(request).app
    token = request.path_params["token"]
    # A mailbox provider's one-click POST on a test message: 200, nothing changed.
    answer = await read_link(request, unsubscribe.look_up, UNSUBSCRIBE)
    if isinstance(answer, Response):
        return answer
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
