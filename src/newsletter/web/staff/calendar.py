"""``/staff/calendar``: everything scheduled, month by month, across campaigns
(scheduling/calendar_view.py). ``?month=2015-10&tz=Europe/Sofia`` picks the month and the zone
the days are read in (the scheduling default zone otherwise)."""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from newsletter.bootstrap import App
from newsletter.errors import InputError
from newsletter.scheduling.calendar_view import MonthView, check_zone, month_view, parse_month
from newsletter.scheduling.ports import Scheduling
from newsletter.web.auth import guard, render
from newsletter.web.deps import deps
from newsletter.web.staff.zones import zone_choices


def build(app: App, scheduling: Callable[[], Scheduling], month: str, zone: str) -> MonthView:
    sched = scheduling()
    zone = check_zone(zone or sched.default_zone)
    today = app.staff.clock.now().astimezone(ZoneInfo(zone)).date()
    year, number = parse_month(month, today)
    return month_view(sched, year, number, zone)


@guard()
async def page(request: Request) -> Response:
    d = deps(request)
    app, env = d.app, d.env
    if d.scheduling is None:
        return render(
            env, "staff/calendar.html", request, view=None, zones=zone_choices(), error=""
        )
    month = request.query_params.get("month", "").strip()[:7]
    zone = request.query_params.get("tz", "").strip()[:64]
    try:
        view = await run_in_threadpool(build, app, d.scheduling, month, zone)
    except InputError as exc:
        response = render(
            env, "staff/calendar.html", request, view=None, zones=zone_choices(), error=str(exc)
        )
        response.status_code = 400
        return response
    return render(env, "staff/calendar.html", request, view=view, zones=zone_choices(), error="")


ROUTES = [Route("/staff/calendar", page, methods=["GET", "HEAD"])]
