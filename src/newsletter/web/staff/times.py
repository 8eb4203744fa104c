"""Times on the staff pages, in the zone they belong to (a campaign's schedule zone, a step's
zone group), never bare UTC: the calendar is local, so the banners are too."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import Environment


def in_zone(instant: dt.datetime | None, zone: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """``instant`` (aware, or naive UTC as SQLite returns it) as wall-clock time in ``zone``,
    with the zone's abbreviation (CET, EEST) or offset after it; "" for None."""
    if instant is None:
        return ""
    aware = instant if instant.tzinfo else instant.replace(tzinfo=dt.UTC)
    try:
        local = aware.astimezone(ZoneInfo(zone))
    except (ZoneInfoNotFoundError, ValueError):
        local, zone = aware.astimezone(dt.UTC), "UTC"
    return f"{local.strftime(fmt)} {local.tzname() or zone}"


def install(env: Environment) -> None:
    env.filters["in_zone"] = in_zone
