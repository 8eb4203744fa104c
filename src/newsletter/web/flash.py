"""One-time messages across a POST/redirect/GET: a form's result survives the redirect in a
short-lived cookie and is shown once, so reloading the page never repeats the action (a test
send, a schedule, a cancel) nor its message.

The cookie is HttpOnly, scoped to ``/staff`` and lives a minute; it carries only the text shown
to the person who caused it (escaped when rendered), never anything the server trusts.
"""

from __future__ import annotations

from urllib.parse import quote, unquote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from newsletter.web.auth import PRIVATE

FLASH_COOKIE = "nl_flash"
#: Browsers keep cookies up to about 4 KB; a longer message is cut, never dropped.
LIMIT = 3000


def redirect(url: str, *, message: str = "", error: str = "", secure: bool) -> Response:
    """303 to ``url`` carrying ``message`` (or ``error``) to be shown there once."""
    response = RedirectResponse(url, 303, headers=PRIVATE)
    kind, text = ("e", error) if error else ("n", message)
    if text:
        value = quote(f"{kind}:{text}"[:LIMIT], safe="")
        response.set_cookie(
            FLASH_COOKIE,
            value,
            max_age=60,
            path="/staff",
            httponly=True,
            samesite="strict",
            secure=secure,
        )
    return response


def take(request: Request) -> tuple[str, str]:
    """(message, error) left by the redirect, if any."""
    raw = unquote(request.cookies.get(FLASH_COOKIE, ""))
    kind, _, text = raw.partition(":")
    if kind == "e":
        return "", text
    return (text, "") if kind == "n" else ("", "")


def clear(request: Request, response: Response) -> Response:
    if FLASH_COOKIE in request.cookies:
        response.delete_cookie(FLASH_COOKIE, path="/staff")
    return response
