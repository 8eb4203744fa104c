"""The approver's forms on a campaign's page: approve the version shown, schedule the
approved campaign, cancel every step still waiting.

Each follows POST/redirect/GET (:mod:`newsletter.web.flash`) back to the campaign's page,
except where the page itself must say more: an approval of a page that is out of date shows
the page again with what changed since it was shown, and a schedule whose milestones have
passed shows the warning beside the form with the box to tick.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from newsletter.authoring import approvals
from newsletter.authoring.overview import cancel_scheduled, schedule_approved
from newsletter.bootstrap import App
from newsletter.errors import InputError, NewsletterError, StateError
from newsletter.scheduling.actions import MilestonePassedError, Planned
from newsletter.scheduling.domain.rules import PENDING
from newsletter.scheduling.ports import Scheduling
from newsletter.web.auth import PRIVATE, guard, session_of
from newsletter.web.deps import deps
from newsletter.web.staff.campaigns import back, detail_page


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


def no_scheduling() -> Response:
    return PlainTextResponse("scheduling is not available here", 404, headers=PRIVATE)


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
    Route("/staff/campaigns/{slug}/approve", approve, methods=["POST"]),
    Route("/staff/campaigns/{slug}/schedule", schedule, methods=["POST"]),
    Route("/staff/campaigns/{slug}/cancel", cancel, methods=["POST"]),
]
