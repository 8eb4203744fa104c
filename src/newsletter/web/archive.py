"""The public archive (content/archive.py): ``/archive`` lists the announcements that opted in
and went out; ``/archive/{slug}?lang=`` shows one in a frame, and ``/archive/{slug}/email/{lang}``
is that email's document.

The email document keeps its own inline styles, so it gets the staff preview's policy (styles
and remote images allowed, never a script, ``sandbox``, framed only by our pages); the pages
around it keep the strict app-wide one, plus ``frame-src 'self'``. Nothing here is personal,
so pages may be cached for a few minutes.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from newsletter.content.archive import archived, archived_campaign, archived_email
from newsletter.context import Context
from newsletter.errors import NewsletterError
from newsletter.web.preference_strings import LANGUAGE_NAMES
from newsletter.web.strings import page_strings
from newsletter.web.subscribe_strings import negotiate, subscribe_strings

PUBLIC = {"Cache-Control": "public, max-age=300"}
PAGE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-src 'self'; frame-ancestors 'none'; base-uri 'none'"
)
#: As the staff preview (web/staff/campaigns.py): an email has inline styles and remote images
#: and must never run script.
EMAIL_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; "
    "font-src https: data:; frame-ancestors 'self'; base-uri 'none'; form-action 'none'; "
    "sandbox allow-popups allow-popups-to-escape-sandbox"
)


def routes(ctx: Context, env: Environment) -> list[Route]:
    def render(name: str, lang: str, status: int = 200, **values: Any) -> HTMLResponse:
        body = env.get_template(name).render(
            lang=lang,
            s=subscribe_strings(lang),
            organisation=ctx.organisation.name,
            names=LANGUAGE_NAMES,
            **values,
        )
        return HTMLResponse(body, status, headers={**PUBLIC, "Content-Security-Policy": PAGE_CSP})

    def not_found() -> HTMLResponse:
        return HTMLResponse(
            env.get_template("not_found.html").render(t=page_strings("en"), lang="en"), 404
        )

    def language(request: Request) -> str:
        return negotiate(
            request.query_params.get("lang"), request.headers.get("accept-language", "")
        )

    async def index(request: Request) -> Response:
        lang = language(request)
        found = await run_in_threadpool(archived, ctx)
        return render("archive.html", lang, campaigns=found)

    async def one(request: Request) -> Response:
        lang = language(request)
        try:
            campaign, entry = await run_in_threadpool(
                archived_campaign, ctx, request.path_params["slug"]
            )
        except NewsletterError:
            return not_found()
        variant = campaign.variant_for(lang)
        return render("archive_campaign.html", variant, c=entry, variant=variant)

    async def email(request: Request) -> Response:
        slug, lang = request.path_params["slug"], request.path_params["lang"]
        if lang not in LANGUAGE_NAMES:
            return not_found()
        try:
            found = await run_in_threadpool(archived_email, ctx, slug, lang)
        except NewsletterError:
            return not_found()
        headers = {**PUBLIC, "Content-Security-Policy": EMAIL_CSP, "X-Frame-Options": "SAMEORIGIN"}
        return HTMLResponse(found.html, headers=headers)

    return [
        Route("/archive", index, methods=["GET", "HEAD"]),
        Route("/archive/{slug}", one, methods=["GET", "HEAD"]),
        Route("/archive/{slug}/email/{lang}", email, methods=["GET", "HEAD"]),
    ]
