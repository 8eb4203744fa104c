"""``/staff/calendar``: everything scheduled, month by month, across campaigns
(scheduling/calendar_view.py). ``?month=2015-10&tz=Europe/Sofia`` picks the month and the zone
the days are read in (the scheduling default zone otherwise)."""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

from jinja2 import Environment
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from newsletter.context import Context
from newsletter.errors import InputError
from newsletter.scheduling.calendar_view import MonthView, check_zone, month_view, parse_month
from newsletter.scheduling.ports import Scheduling
from newsletter.web.auth import guard, render
from newsletter.web.staff.zones import zone_choices


def routes(
    ctx: Context, env: Environment, scheduling: Callable[[], Scheduling] | None = None
) -> list[Route]:
    def build(month: str, zone: str) -> MonthView:
        assert scheduling is not None
        sched = scheduling()
        zone = check_zone(zone or sched.default_zone)
        today = ctx.clock.now().astimezone(ZoneInfo(zone)).date()
        year, number = parse_month(month, today)
        return month_view(sched, year, number, zone)

    async def page(request: Request) -> Response:
        if scheduling is None:
            return render(
                env, "staff/calendar.html", request, view=None, zones=zone_choices(), error=""
            )
        month = request.query_params.get("month", "").strip()[:7]
        zone = request.query_params.get("tz", "").strip()[:64]
        try:
            view = await run_in_threadpool(build, month, zone)
        except InputError as exc:
            response = render(
                env, "staff/calendar.html", request, view=None, zones=zone_choices(), error=str(exc)
            )
            response.status_code = 400
            return response
        return render(
            env, "staff/calendar.html", request, view=view, zones=zone_choices(), error=""
        )

    return [Route("/staff/calendar", guard(ctx)(page), methods=["GET", "HEAD"])]
