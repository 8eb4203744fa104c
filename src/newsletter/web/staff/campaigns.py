"""Staff campaign pages: list, detail (previews, plain text, validation, audience), the
preview document itself and duplicate. The approver's forms on the detail page (approve,
schedule, cancel) are in :mod:`newsletter.web.staff.approver_forms`, the test send in
:mod:`newsletter.web.staff.test_sends`.

Every form here follows POST/redirect/GET (:mod:`newsletter.web.flash`): reloading the page
after a test send, an approval, a schedule or a cancel repeats nothing.

The preview route returns exactly ``services.composing.preview(...).html`` - the bytes a
member's mail client gets - framed only by our own pages (``frame-ancestors 'self'``) and
sandboxed so nothing in an email can run script or navigate the staff page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from newsletter.audiences.imports import explain_membership
from newsletter.authoring import documents
from newsletter.authoring.domain.approvals import Change, canonical
from newsletter.authoring.domain.campaign_list import (
    DELETABLE,
    SORTS,
    STATES,
    ListQuery,
    select_rows,
)
from newsletter.authoring.form.fields import KIND_LABELS
from newsletter.authoring.overview import (
    STEP_ACTION_STATES,
    campaign_detail,
    list_campaigns,
)
from newsletter.bootstrap import App
from newsletter.content import composing
from newsletter.content.rendering.linkcheck import external_hosts
from newsletter.errors import NewsletterError
from newsletter.scheduling.domain.rules import PENDING, ScheduleEntry
from newsletter.scheduling.ports import Scheduling
from newsletter.staff import accounts as staff
from newsletter.web import flash
from newsletter.web.auth import PRIVATE, guard, render, secure_cookies, session_of
from newsletter.web.deps import deps
from newsletter.web.staff.zones import zone_choices

#: The detail page frames its own previews and runs one served script (static/progress.js,
#: which polls the send progress from us); everything else as the app-wide policy.
DETAIL_CSP = (
    "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; "
    "img-src 'self'; form-action 'self'; frame-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
#: An email has inline styles and remote images, and must never run script.
PREVIEW_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; "
    "font-src https: data:; frame-ancestors 'self'; base-uri 'none'; form-action 'none'; "
    "sandbox allow-popups allow-popups-to-escape-sandbox"
)
#: Phone (the narrowest common iPhone) and desktop widths of the preview frames.
WIDTHS = (("phone", 375), ("desktop", 640))


def step_rows(planned: list[ScheduleEntry]) -> list[tuple[str, list[ScheduleEntry], set[str]]]:
    """The timeline by step: (step, its rows, the actions that apply to one of them now)."""
    steps: dict[str, list[ScheduleEntry]] = {}
    for e in planned:
        steps.setdefault(e.step, []).append(e)
    return [
        (
            step,
            rows,
            {a for a, states in STEP_ACTION_STATES.items() if any(e.state in states for e in rows)},
        )
        for step, rows in steps.items()
    ]


def back(request: Request, *, message: str = "", error: str = "") -> Response:
    """To the campaign's page (in the language shown), with the notice."""
    app = deps(request).app
    slug = request.path_params["slug"]
    lang = request.query_params.get("lang", "")
    url = f"/staff/campaigns/{slug}" + (f"?lang={lang}" if lang.isascii() and lang else "")
    return flash.redirect(url, message=message, error=error, secure=secure_cookies(app))


@guard()
async def home(request: Request) -> Response:
    return RedirectResponse("/staff/campaigns", 303, headers=PRIVATE)


@guard()
async def index(request: Request) -> Response:
    d = deps(request)
    app = d.app
    sched = d.scheduling() if d.scheduling else None
    store, zone = (sched.store, sched.default_zone) if sched else (None, "UTC")
    rows = await run_in_threadpool(list_campaigns, app.authoring, store, zone)
    query = ListQuery.of(request.query_params)
    message, error = flash.take(request)
    response = render(
        d.env,
        "staff/campaigns.html",
        request,
        rows=select_rows(rows, query),
        total=len(rows),
        query=query,
        states=STATES,
        kinds=list(KIND_LABELS.items()),
        sorts=SORTS,
        message=message,
        error=error,
    )
    return flash.clear(request, response)


def timeline(
    app: App, scheduling: Callable[[], Scheduling] | None, slug: str
) -> tuple[list[ScheduleEntry], str]:
    """The reminder chain as the schedule holds it (step, when, state), oldest first, and
    the zone its times show in: the announcement's, else the installation's."""
    if scheduling is None:
        return [], "UTC"
    sched = scheduling()
    slug_of = app.content.catalog.campaign(slug)[0].slug
    planned = sorted(sched.store.entries(campaign=slug_of), key=lambda e: e.due_at)
    main = [e for e in planned if e.step == "main"]
    return planned, (main or planned)[0].zone if planned else sched.default_zone


@dataclass
class Shown:
    """The composed email as the detail page shows it beside the frames."""

    text: str = ""
    #: What the inbox shows first: staff check it beside the frames.
    subject: str = ""
    #: Every outside host the email loads from or links to, for the approver.
    loads_from: list[str] = field(default_factory=list)
    links_to: list[str] = field(default_factory=list)
    problem: str = ""


def shown_email(app: App, slug: str, lang: str) -> Shown:
    try:
        composed = composing.preview(app.content, slug, language=lang)
        loads_from, links_to = external_hosts(composed.html, app.staff.links.base_url)
    except NewsletterError as exc:
        return Shown(problem=str(exc))
    return Shown(composed.text, composed.subject, loads_from, links_to)


def detail_page(
    request: Request,
    *,
    message: str = "",
    error: str = "",
    confirm_milestones: bool = False,
    changed_since_shown: list[Change] | None = None,
    schedule_at: str = "",
    schedule_zone: str = "",
) -> Response:
    d = deps(request)
    app = d.app
    slug = request.path_params["slug"]
    planned, zone = timeline(app, d.scheduling, slug)
    detail = campaign_detail(app.authoring, slug, planned)
    lang = request.query_params.get("lang", "")
    lang = lang if lang in detail.languages else detail.languages[0]
    shown = shown_email(app, slug, lang)
    explained = None
    email = request.query_params.get("explain", "").strip()
    if email:
        try:
            explained = explain_membership(app.audiences, detail.audience, email, detail.topic)
        except NewsletterError as exc:
            explained = (False, [str(exc)])
    in_database = str(detail.where).startswith("database:")
    response = render(
        d.env,
        "staff/campaign.html",
        request,
        c=detail,
        st=detail.standing,
        variant=lang,
        widths=WIDTHS,
        text=shown.text,
        subject=shown.subject,
        loads_from=shown.loads_from,
        links_to=shown.links_to,
        explain=email,
        explained=explained,
        staff_users=staff.store(app.staff).users(),
        message=message,
        error=error or shown.problem,
        can_schedule=d.scheduling is not None,
        planned=planned,
        zone=zone,
        zones=zone_choices(),
        steps=step_rows(planned),
        cancellable=[e for e in planned if e.state in PENDING],
        confirm_milestones=confirm_milestones,
        changed_since_shown=changed_since_shown or [],
        schedule_at=schedule_at,
        schedule_zone=schedule_zone,
        is_file=not in_database,
        deletable=in_database and detail.state in DELETABLE,
        shown_copy=canonical(detail.standing.version),
    )
    response.headers["Content-Security-Policy"] = DETAIL_CSP
    return response


@guard()
async def detail(request: Request) -> Response:
    message, error = flash.take(request)
    try:
        response = await run_in_threadpool(detail_page, request, message=message, error=error)
    except NewsletterError:
        return PlainTextResponse("no such campaign", 404, headers=PRIVATE)
    return flash.clear(request, response)


@guard()
async def preview(request: Request) -> Response:
    app = deps(request).app
    slug, lang = request.path_params["slug"], request.path_params["lang"]
    try:
        message = await run_in_threadpool(composing.preview, app.content, slug, language=lang)
    except NewsletterError as exc:
        return PlainTextResponse(str(exc), 404, headers=PRIVATE)
    headers = {
        **PRIVATE,
        "Content-Security-Policy": PREVIEW_CSP,
        "X-Frame-Options": "SAMEORIGIN",
    }
    return HTMLResponse(message.html, headers=headers)


@guard()
async def duplicate(request: Request) -> Response:
    app = deps(request).app
    who = session_of(request).user.email
    try:
        copy = await run_in_threadpool(
            lambda: documents.duplicate(app.authoring, request.path_params["slug"], by=who)
        )
    except NewsletterError as exc:
        return back(request, error=str(exc))
    return flash.redirect(
        f"/staff/campaigns/{copy.slug}",
        message=f"Copied to {copy.slug}: a new draft, not approved or scheduled; "
        "use Edit to change it.",
        secure=secure_cookies(app),
    )


ROUTES = [
    Route("/staff", home, methods=["GET", "HEAD"]),
    Route("/staff/campaigns", index, methods=["GET", "HEAD"]),
    Route("/staff/campaigns/{slug}", detail, methods=["GET", "HEAD"]),
    Route("/staff/campaigns/{slug}/preview/{lang}", preview, methods=["GET", "HEAD"]),
    Route("/staff/campaigns/{slug}/duplicate", duplicate, methods=["POST"]),
]
