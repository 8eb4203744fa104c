"""What the member-link pages (one-click unsubscribe ``/u/<token>``, preferences
``/p/<token>``) share: reading the signed token, and the pages for a link that is expired, a
test send's or a preview's, or not ours at all. Nothing here may be stored by a cache between us
and the member (``NO_STORE``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from jinja2 import Environment
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from newsletter.audiences import test_links
from newsletter.audiences.ports.services import AudienceServices
from newsletter.core.links import PREFERENCES, UNSUBSCRIBE
from newsletter.errors import TokenError, TokenExpired
from newsletter.web.deps import deps
from newsletter.web.renewal import NO_STORE, expired_page
from newsletter.web.strings import page_strings
from newsletter.web.subscribe_strings import negotiate
from newsletter.web.test_pages import test_link_page

__all__ = ["NO_STORE", "invalid_link", "not_found", "read_link", "render"]

#: The path letter of each link purpose (``/u/...``, ``/p/...``), for the fresh-link page.
PATHS = {UNSUBSCRIBE: "u", PREFERENCES: "p"}

Found = TypeVar("Found")


def render(env: Environment, name: str, status: int = 200, **values: Any) -> HTMLResponse:
    return HTMLResponse(env.get_template(name).render(**values), status, headers=NO_STORE)


def not_found(env: Environment, request: Request) -> HTMLResponse:
    lang = negotiate(None, request.headers.get("accept-language", ""))
    return render(env, "not_found.html", 404, t=page_strings(lang), lang=lang)


def invalid_link(request: Request, purpose: str) -> HTMLResponse:
    """A test send's or a preview's link gets a page saying so; anything else 404."""
    d = deps(request)
    found = test_links.look_up(d.app.audiences, request.path_params["token"], purpose)
    if found is None:
        return not_found(d.env, request)
    return HTMLResponse(test_link_page(d.app, d.env, request, found), headers=NO_STORE)


async def read_link(
    request: Request, look_up: Callable[[AudienceServices, str], Found], purpose: str
) -> Found | Response:
    """What ``look_up`` finds for the request's token, or the page to answer with instead: the
    "email me a fresh link" page for an expired link, :func:`invalid_link` for any other."""
    d = deps(request)
    token = request.path_params["token"]
    try:
        return await run_in_threadpool(look_up, d.app.audiences, token)
    except TokenExpired:
        return expired_page(d.env, request, PATHS[purpose], token)
    except TokenError:
        return invalid_link(request, purpose)
