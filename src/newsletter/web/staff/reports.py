"""Reports: ``/staff/reports`` (every campaign that went out, with its rates) and
``/staff/campaigns/{slug}/report`` (counts, rates, the complaint warning or block, a chart of
the outcomes per day drawn as inline SVG, clicks per link and a split by language).
Approvers lift a complaint block there, as ``newsletter campaigns acknowledge-complaints``
does."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from newsletter.authoring.domain.campaign_list import CampaignRow
from newsletter.authoring.overview import list_campaigns
from newsletter.bootstrap import App
from newsletter.delivery.domain.events import COMPLAINT_BLOCK, COMPLAINT_WARN
from newsletter.delivery.report_series import SERIES, daily_series
from newsletter.delivery.reporting import (
    CampaignReport,
    acknowledge_complaints,
    campaign_breakdown,
    campaign_report,
)
from newsletter.errors import NewsletterError
from newsletter.web.auth import PRIVATE, guard, render
from newsletter.web.deps import deps
from newsletter.web.staff.charts import daily_lines

#: The rows of the counts table: (label, count key, rate key or None).
ROWS = (
    ("Handed over", "sent", None),
    ("Delivered", "delivered", "delivered"),
    ("Bounced (hard)", "bounced", None),
    ("Blocked (soft bounce)", "blocked", None),
    ("Bounced or blocked", "bounced_or_blocked", "bounced"),
    ("Dropped by the provider", "dropped", None),
    ("Opened", "opened", "opened"),
    ("Clicked", "clicked", "clicked"),
    ("Complained (spam reports)", "complained", "complained"),
    ("Unsubscribed", "unsubscribed", "unsubscribed"),
)


@dataclass(frozen=True)
class IndexRow:
    row: CampaignRow
    report: CampaignReport | None


def _index(app: App) -> list[IndexRow]:
    found = []
    for row in list_campaigns(app.authoring):
        sent = row.counts is not None and row.counts.total > 0
        found.append(IndexRow(row, campaign_report(app.delivery, row.slug) if sent else None))
    return found


@guard()
async def index(request: Request) -> Response:
    d = deps(request)
    app = d.app
    rows = await run_in_threadpool(_index, app)
    return render(d.env, "staff/reports.html", request, rows=rows, warn=COMPLAINT_WARN)


@guard()
async def report(request: Request) -> Response:
    d = deps(request)
    app = d.app
    slug = request.path_params["slug"]
    try:
        found = await run_in_threadpool(campaign_report, app.delivery, slug)
        series = await run_in_threadpool(daily_series, app.delivery, found.campaign)
        breakdown = await run_in_threadpool(campaign_breakdown, app.delivery, found.campaign)
    except NewsletterError:
        return PlainTextResponse("no such campaign", 404, headers=PRIVATE)
    chart = None
    if not series.empty:
        chart = daily_lines(
            series.days, series.values, title=f"{found.campaign}: outcomes per day (UTC)"
        )
    return render(
        d.env,
        "staff/report.html",
        request,
        r=found,
        counts={
            **found.counts,
            "bounced_or_blocked": found.stats.bounced + found.stats.blocked,
        },
        rows=ROWS,
        series=series,
        series_names=list(SERIES),
        chart=chart,
        breakdown=breakdown,
        warn=COMPLAINT_WARN,
        block=COMPLAINT_BLOCK,
    )


@guard(approver=True)
async def acknowledge(request: Request) -> Response:
    app = deps(request).app
    slug = request.path_params["slug"]
    try:
        done = await run_in_threadpool(acknowledge_complaints, app.delivery, slug)
    except NewsletterError as exc:
        return PlainTextResponse(str(exc), 409, headers=PRIVATE)
    return RedirectResponse(f"/staff/campaigns/{done.campaign}/report", 303, headers=PRIVATE)


ROUTES = [
    Route("/staff/reports", index, methods=["GET", "HEAD"]),
    Route("/staff/campaigns/{slug}/report", report, methods=["GET", "HEAD"]),
    Route("/staff/campaigns/{slug}/acknowledge-complaints", acknowledge, methods=["POST"]),
]
