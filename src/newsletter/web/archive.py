"""The landing page and the public archive (content/archive.py): ``/`` says what the network
sends and links to the form and the archive; ``/archive`` lists the announcements that opted in
and went out; ``/archive/{slug}?lang=`` shows one; ``/archive/{slug}/email/{lang}`` is that
email's bare document.

An archived announcement is shown as the email document itself, with our header and footer
put inside its ``<body>``: a frame cannot grow to its content without script, and the CSP
forbids script, so a frame would be either fixed-height (hiding the call to action on a phone)
or scroll inside the page. The email keeps its own inline styles, so these documents get the
staff preview's policy (styles and remote images allowed, never a script, ``sandbox``) plus our
own stylesheet; the other pages keep the strict app-wide one. The chrome speaks the visitor's
language even when the email falls back to another (each string falls back on its own), and
dates are CLDR's for that language (content/rendering/dates.py). Nothing here is personal, so
pages may be cached for a few minutes.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from newsletter.content.archive import archived, archived_campaign, archived_email
from newsletter.content.rendering.dates import date
from newsletter.errors import NewsletterError
from newsletter.web.deps import deps
from newsletter.web.preference_strings import LANGUAGE_NAMES
from newsletter.web.strings import page_strings
from newsletter.web.subscribe_strings import negotiate, subscribe_strings

PUBLIC = {"Cache-Control": "public, max-age=300"}
PAGE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
#: As the staff preview (web/staff/campaigns.py): an email has inline styles and remote images
#: and must never run script.
EMAIL_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; "
    "font-src https: data:; frame-ancestors 'self'; base-uri 'none'; form-action 'none'; "
    "sandbox allow-popups allow-popups-to-escape-sandbox"
)
#: The email as a page of its own: the same, plus our stylesheet, and never framed.
SHOWN_CSP = EMAIL_CSP.replace("style-src", "style-src 'self'").replace(
    "frame-ancestors 'self'", "frame-ancestors 'none'"
)
STYLESHEET = '<link rel="stylesheet" href="/static/archive.css">'
_BODY = re.compile(r"<body\b[^>]*>", re.IGNORECASE)


def with_chrome(html: str, top: str, bottom: str) -> str:
    """The email document with our stylesheet in its head, ``top`` first in its body and
    ``bottom`` last."""
    head = html.lower().find("</head>")
    if head >= 0:
        html = html[:head] + STYLESHEET + html[head:]
    body = _BODY.search(html)
    if body is None:
        return STYLESHEET + top + html + bottom
    html = html[: body.end()] + top + html[body.end() :]
    end = html.lower().rfind("</body>")
    return html[:end] + bottom + html[end:] if end >= 0 else html + bottom


def render(request: Request, name: str, lang: str, **values: Any) -> HTMLResponse:
    d = deps(request)
    app = d.app
    body = d.env.get_template(name).render(
        lang=lang,
        s=subscribe_strings(lang),
        organisation=app.content.organisation.in_language(lang).name,
        names=LANGUAGE_NAMES,
        day=lambda value: date(value, lang),
        **values,
    )
    return HTMLResponse(body, headers={**PUBLIC, "Content-Security-Policy": PAGE_CSP})


def not_found(request: Request) -> HTMLResponse:
    lang = language(request)
    page = deps(request).env.get_template("not_found.html").render(t=page_strings(lang), lang=lang)
    return HTMLResponse(page, 404)


def language(request: Request) -> str:
    return negotiate(request.query_params.get("lang"), request.headers.get("accept-language", ""))


async def home(request: Request) -> Response:
    app = deps(request).app
    lang = language(request)
    found = await run_in_threadpool(archived, app.content)
    return render(request, "home.html", lang, campaigns=found[:3])


async def index(request: Request) -> Response:
    app = deps(request).app
    lang = language(request)
    found = await run_in_threadpool(archived, app.content)
    return render(request, "archive.html", lang, campaigns=found)


async def one(request: Request) -> Response:
    d = deps(request)
    app = d.app
    lang = language(request)
    try:
        campaign, entry = await run_in_threadpool(
            archived_campaign, app.content, request.path_params["slug"]
        )
    except NewsletterError:
        return not_found(request)
    variant = campaign.variant_for(lang)
    try:
        found = await run_in_threadpool(archived_email, app.content, entry.slug, variant)
    except NewsletterError:
        return not_found(request)
    chrome = d.env.get_template("archive_campaign.html").render(
        lang=lang,
        s=subscribe_strings(lang),
        organisation=app.content.organisation.in_language(lang).name,
        names=LANGUAGE_NAMES,
        sent=date(entry.sent_at, lang),
        c=entry,
        variant=variant,
    )
    top, _, bottom = chrome.partition("<!--email-->")
    headers = {**PUBLIC, "Content-Security-Policy": SHOWN_CSP}
    return HTMLResponse(with_chrome(found.html, top, bottom), headers=headers)


async def email(request: Request) -> Response:
    app = deps(request).app
    slug, lang = request.path_params["slug"], request.path_params["lang"]
    if lang not in LANGUAGE_NAMES:
        return not_found(request)
    try:
        found = await run_in_threadpool(archived_email, app.content, slug, lang)
    except NewsletterError:
        return not_found(request)
    headers = {**PUBLIC, "Content-Security-Policy": EMAIL_CSP, "X-Frame-Options": "SAMEORIGIN"}
    return HTMLResponse(found.html, headers=headers)


ROUTES = [
    Route("/", home, methods=["GET", "HEAD"]),
    Route("/archive", index, methods=["GET", "HEAD"]),
    Route("/archive/{slug}", one, methods=["GET", "HEAD"]),
    Route("/archive/{slug}/email/{lang}", email, methods=["GET", "HEAD"]),
]
