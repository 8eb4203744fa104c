"""Staff campaign pages: list, detail (previews, plain text, validation, audience), the
preview document itself, test send, approval, schedule and cancel.

Every form here follows POST/redirect/GET (:mod:`newsletter.web.flash`): reloading the page
after a test send, an approval, a schedule or a cancel repeats nothing.

The preview route returns exactly ``services.composing.preview(...).html`` - the bytes a
member's mail client gets - framed only by our own pages (``frame-ancestors 'self'``) and
sandboxed so nothing in an email can run script or navigate the staff page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from newsletter.audiences.imports import explain_membership
from newsletter.authoring import approvals, documents
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
    cancel_scheduled,
    list_campaigns,
    schedule_approved,
)
from newsletter.bootstrap import App
from newsletter.content import composing
from newsletter.content.rendering.linkcheck import external_hosts
from newsletter.errors import InputError, NewsletterError, StateError
from newsletter.scheduling.actions import MilestonePassedError, Planned
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


def planned_steps(planned: Planned) -> str:
    """What scheduling will do, step by step, skipped and held ones with their reason: the
    confirmation never lists a step as scheduled that will not go out."""
    lines = [f"Schedule for {planned.campaign}:"]
    for e in sorted(planned.entries, key=lambda e: e.due_at):
        where = f" [{e.zone_group}]" if e.zone_group else ""
        when = e.local_due.strftime("%Y-%m-%d %H:%M")
        zone = e.zone_group or e.zone
        why = f": {e.reason}" if e.reason else ""
        lines.append(f"{e.step}{where} at {when} {zone} - {e.state.value}{why}")
    if len(lines) == 1:
        lines.append("nothing new to plan")
    return "\n".join([*lines, *planned.notes])


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


def no_scheduling() -> Response:
    return PlainTextResponse("scheduling is not available here", 404, headers=PRIVATE)


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


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


@guard(approver=True)
async def approve(request: Request) -> Response:
    d = deps(request)
    app = d.app
    user = session_of(request).user
    slug = request.path_params["slug"]
    form = await request.form()
    shown = form.get("version")
    store = d.scheduling().store if d.scheduling else None
    try:
        await run_in_threadpool(
            lambda: approvals.approve(
                app.authoring,
                slug,
                user,
                shown=shown if isinstance(shown, str) else None,
                schedule=store,
            )
        )
    except StateError as exc:
        # A stale page: shown again (not redirected) with what changed since it was shown.
        changed = await run_in_threadpool(
            approvals.changed_since_shown,
            app.authoring,
            slug,
            _text(form, "version"),
            _text(form, "shown"),
        )
        return await run_in_threadpool(
            detail_page, request, error=str(exc), changed_since_shown=changed
        )
    except NewsletterError as exc:
        return back(request, error=str(exc))
    return back(request, message="Approved this version.")


def schedule_now(
    scheduling: Callable[[], Scheduling], slug: str, when: str, zone: str, confirmed: bool
) -> str:
    sched = scheduling()
    try:
        at = dt.datetime.fromisoformat(when)
    except ValueError as exc:
        raise InputError(f"not a date and time: {when!r}") from exc
    planned = schedule_approved(
        sched, slug, at, zone or sched.default_zone, after_milestones=confirmed
    )
    return planned_steps(planned)


@guard(approver=True)
async def schedule(request: Request) -> Response:
    scheduling = deps(request).scheduling
    if scheduling is None:
        return no_scheduling()
    form = await request.form()
    when, zone = _text(form, "at"), _text(form, "zone")
    confirmed = form.get("after_milestones") == "yes"
    slug = request.path_params["slug"]
    try:
        note = await run_in_threadpool(schedule_now, scheduling, slug, when, zone, confirmed)
    except MilestonePassedError as exc:
        # Not a redirect: the page shows the warning beside the form, with the box to tick.
        warning = str(exc)
        return await run_in_threadpool(
            lambda: detail_page(
                request,
                error=warning,
                confirm_milestones=True,
                schedule_at=when,
                schedule_zone=zone,
            )
        )
    except NewsletterError as exc:
        return back(request, error=str(exc))
    return back(request, message=note)


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


def cancel_waiting(app: App, scheduling: Callable[[], Scheduling], slug: str) -> str:
    """Cancel every step still waiting; the notice names them."""
    sched = scheduling()
    real = app.content.catalog.campaign(slug)[0].slug
    rows = sorted(sched.store.entries(campaign=real), key=lambda e: e.due_at)
    steps = list(dict.fromkeys(e.step for e in rows if e.state in PENDING))
    n = cancel_scheduled(sched, slug)
    return f"Cancelled {n} step(s): {', '.join(steps) or 'none was waiting'}."


@guard(approver=True)
async def cancel(request: Request) -> Response:
    d = deps(request)
    app = d.app
    if d.scheduling is None:
        return no_scheduling()
    form = await request.form()
    if form.get("confirm") != "yes":
        return back(request, error="Tick the box to confirm which steps to cancel.")
    slug = request.path_params["slug"]
    try:
        note = await run_in_threadpool(cancel_waiting, app, d.scheduling, slug)
    except NewsletterError as exc:
        return back(request, error=str(exc))
    return back(request, message=note)


ROUTES = [
    Route("/staff", home, methods=["GET", "HEAD"]),
    Route("/staff/campaigns", index, methods=["GET", "HEAD"]),
    Route("/staff/campaigns/{slug}", detail, methods=["GET", "HEAD"]),
    Route("/staff/campaigns/{slug}/preview/{lang}", preview, methods=["GET", "HEAD"]),
    Route("/staff/campaigns/{slug}/duplicate", duplicate, methods=["POST"]),
    Route("/staff/campaigns/{slug}/approve", approve, methods=["POST"]),
    Route("/staff/campaigns/{slug}/schedule", schedule, methods=["POST"]),
    Route("/staff/campaigns/{slug}/cancel", cancel, methods=["POST"]),
]
