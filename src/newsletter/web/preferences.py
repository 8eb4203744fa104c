"""The member preference centre: ``GET /p/{token}`` shows, ``POST /p/{token}`` saves.

The signed token in the URL is the credential (no login, no cookie), so the form carries no
CSRF token: another site cannot forge a post without knowing the token. A GET never changes
anything (link scanners follow GETs). A bad token of any kind gets the same 404. The page
speaks the member's language - after a change, the newly chosen one.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from newsletter.audiences import preferences
from newsletter.audiences.ports.preference_store import Preferences
from newsletter.core.links import PREFERENCES
from newsletter.errors import InputError, TokenError
from newsletter.web.deps import deps
from newsletter.web.member_links import NO_STORE, not_found, read_link, render
from newsletter.web.preference_strings import LANGUAGE_NAMES, preference_strings
from newsletter.web.strings import topic_name


def page(
    request: Request, found: Preferences, *, note: str = "", status: int = 200
) -> HTMLResponse:
    d = deps(request)
    app = d.app
    ui = app.content.catalog.ui_strings()
    lang = found.language
    return render(
        d.env,
        "preferences.html",
        status,
        t=preference_strings(lang),
        lang=lang,
        organisation=app.content.organisation.in_language(lang).name,
        topics=[(t, topic_name(ui, lang, t), on) for t, on in sorted(found.topics.items())],
        languages=list(LANGUAGE_NAMES.items()),
        note=note,
    )


async def show(request: Request) -> Response:
    found = await read_link(request, preferences.look_up, PREFERENCES)
    if isinstance(found, Response):
        return found
    return page(request, found)


async def submit(request: Request) -> Response:
    app = deps(request).app
    token = request.path_params["token"]
    current = await read_link(request, preferences.look_up, PREFERENCES)
    if isinstance(current, Response):
        return current
    try:
        form = await request.form(max_files=0, max_fields=50)
    except (HTTPException, MultiPartException):
        return Response("bad request", 400, headers=NO_STORE)
    language = form.get("language")
    chosen = {t for t in form.getlist("topic") if isinstance(t, str)}
    leave = form.get("action") == "leave"
    try:
        saved = await run_in_threadpool(
            lambda: preferences.save(
                app.audiences,
                token,
                language=language if isinstance(language, str) else "",
                subscribed=chosen,
                leave_all=leave,
            )
        )
    except TokenError:
        return not_found(deps(request).env, request)
    except InputError:
        note = preference_strings(current.language)["invalid"]
        return page(request, current, note=note, status=400)
    t = preference_strings(saved.language)
    return page(request, saved, note=t["left"] if leave else t["saved"])


ROUTES = [
    Route("/p/{token}", show, methods=["GET", "HEAD"]),
    Route("/p/{token}", submit, methods=["POST"]),
]
