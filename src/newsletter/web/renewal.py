"""Expired member links: the page that offers a fresh one, and ``POST /renew/{u|p}/{token}``.

An unsubscribe or preference link older than 90 days whose signature still holds gets this
page (410 Gone, RFC 9110 §15.5.11) instead of the "not valid" one: a button emails the member
fresh links (delivery/renewals.py). The answer to the button is the same whether mail went
out or not; no address is shown or asked for. The token in the URL is the credential, as on
the preference page, so the form carries no CSRF token.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from newsletter.core.links import PREFERENCES, UNSUBSCRIBE
from newsletter.delivery.renewals import LIFETIME_DAYS, renew
from newsletter.errors import DeliveryError, RateLimitError
from newsletter.web.deps import deps
from newsletter.web.strings import page_strings
from newsletter.web.subscribe_strings import negotiate

NO_STORE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
PURPOSES = {"u": UNSUBSCRIBE, "p": PREFERENCES}


def expired_page(
    env: Environment, request: Request, kind: str, token: str, *, state: str = "offer"
) -> HTMLResponse:
    """The page of an expired link (``state``: offer, renewed, too_many, failed)."""
    lang = negotiate(None, request.headers.get("accept-language", ""))
    t = page_strings(lang)
    status = {"offer": 410, "renewed": 200, "too_many": 429, "failed": 503}[state]
    values: dict[str, Any] = {
        "t": t,
        "lang": lang,
        "state": state,
        "action": f"/renew/{kind}/{token}",
        "expired_text": t["expired_text"].format(days=LIFETIME_DAYS),
        "renewed_text": t["renewed_text"].format(days=LIFETIME_DAYS),
    }
    return HTMLResponse(env.get_template("expired.html").render(**values), status, NO_STORE)


async def request_fresh(request: Request) -> Response:
    d = deps(request)
    app, env = d.app, d.env
    kind, token = request.path_params["kind"], request.path_params["token"]
    purpose = PURPOSES.get(kind)
    if purpose is None or app.delivery.renewals is None:
        return _not_found(env, request)
    client = request.client.host if request.client else "unknown"
    try:
        known = await run_in_threadpool(renew, app.delivery, token, purpose, client)
    except RateLimitError:
        return expired_page(env, request, kind, token, state="too_many")
    except DeliveryError:
        return expired_page(env, request, kind, token, state="failed")
    if not known:
        return _not_found(env, request)
    return expired_page(env, request, kind, token, state="renewed")


ROUTES = [Route("/renew/{kind}/{token}", request_fresh, methods=["POST"])]


def _not_found(env: Environment, request: Request) -> HTMLResponse:
    lang = negotiate(None, request.headers.get("accept-language", ""))
    page = env.get_template("not_found.html").render(t=page_strings(lang), lang=lang)
    return HTMLResponse(page, 404, NO_STORE)
