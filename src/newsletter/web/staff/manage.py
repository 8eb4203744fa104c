"""Managing campaigns from their pages: delete a draft (after a confirmation page), pause,
resume or cancel one scheduled step, and the send progress a campaign page polls.

The step actions are the scheduling use cases the CLI runs (``campaigns pause|resume|cancel
--step``), through :func:`newsletter.authoring.overview.act_on_step`; like every form here they
follow POST/redirect/GET (:mod:`newsletter.web.flash`).
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from newsletter.authoring import documents
from newsletter.authoring.domain.campaign_list import CampaignRow
from newsletter.authoring.overview import act_on_step, campaign_row
from newsletter.bootstrap import App
from newsletter.errors import NewsletterError
from newsletter.scheduling.domain.rules import ScheduleEntry
from newsletter.scheduling.ports import Scheduling
from newsletter.web import flash
from newsletter.web.auth import PRIVATE, guard, render, secure_cookies
from newsletter.web.deps import deps

#: What an action did, for the notice after the redirect.
DONE = {"pause": "Paused", "resume": "Resumed", "cancel": "Cancelled"}


def row_of(app: App, scheduling: Callable[[], Scheduling] | None, slug: str) -> CampaignRow:
    planned: dict[str, list[ScheduleEntry]] = {}
    zone = "UTC"
    if scheduling is not None:
        sched = scheduling()
        real = app.content.catalog.campaign(slug)[0].slug
        planned[real] = sched.store.entries(campaign=real)
        zone = sched.default_zone
    return campaign_row(app.authoring, slug, planned, zone)


@guard()
async def delete(request: Request) -> Response:
    d = deps(request)
    app = d.app
    secure = secure_cookies(app)
    slug = request.path_params["slug"]
    try:
        row = await run_in_threadpool(row_of, app, d.scheduling, slug)
    except NewsletterError:
        return PlainTextResponse("no such campaign", 404, headers=PRIVATE)
    if request.method in ("GET", "HEAD"):
        return render(d.env, "staff/delete_campaign.html", request, row=row)
    back = f"/staff/campaigns/{row.slug}"
    form = await request.form()
    if form.get("confirm") != "yes":
        return flash.redirect(back, error="Tick the box to confirm the deletion.", secure=secure)
    if not row.deletable:
        return flash.redirect(
            back,
            error=f"{row.slug} is {row.state}: only a draft never scheduled or sent can be deleted",
            secure=secure,
        )
    try:
        await run_in_threadpool(documents.delete_draft, app.authoring, row.slug)
    except NewsletterError as exc:
        return flash.redirect(back, error=str(exc), secure=secure)
    return flash.redirect(
        "/staff/campaigns", message=f"Deleted the draft {row.slug}.", secure=secure
    )


@guard(approver=True)
async def step_action(request: Request) -> Response:
    d = deps(request)
    app = d.app
    secure = secure_cookies(app)
    slug, step = request.path_params["slug"], request.path_params["step"]
    action = request.path_params["action"]
    back = f"/staff/campaigns/{slug}"
    if d.scheduling is None:
        return PlainTextResponse("scheduling is not available here", 404, headers=PRIVATE)
    form = await request.form()
    if action == "cancel" and form.get("confirm") != "yes":
        return flash.redirect(
            back, error=f"Tick the box to confirm cancelling {step}.", secure=secure
        )
    sched = d.scheduling()
    try:
        n = await run_in_threadpool(act_on_step, sched, slug, step, action)
    except NewsletterError as exc:
        return flash.redirect(back, error=str(exc), secure=secure)
    return flash.redirect(back, message=f"{DONE[action]} {step} ({n} row(s)).", secure=secure)


@guard()
async def progress(request: Request) -> Response:
    d = deps(request)
    app = d.app
    try:
        row = await run_in_threadpool(row_of, app, d.scheduling, request.path_params["slug"])
    except NewsletterError:
        return JSONResponse({"error": "no such campaign"}, 404, headers=PRIVATE)
    counts = row.counts.as_dict() if row.counts else {"total": 0}
    done = counts["total"] - counts.get("pending", 0) - counts.get("sending", 0)
    return JSONResponse(
        {
            "campaign": row.slug,
            "state": row.state,
            "counts": counts,
            # Rows that reached an outcome (sent, failed, suppressed or unknown).
            "settled": done,
            "sending": row.state == "sending",
        },
        headers=PRIVATE,
    )


ROUTES = [
    Route("/staff/campaigns/{slug}/delete", delete, methods=["GET", "HEAD", "POST"]),
    Route("/staff/campaigns/{slug}/steps/{step}/{action:str}", step_action, methods=["POST"]),
    Route("/staff/campaigns/{slug}/progress", progress, methods=["GET", "HEAD"]),
]
