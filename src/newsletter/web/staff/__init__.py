"""The staff side of the web app: sign-in (web/auth.py) and the campaign pages."""

from __future__ import annotations

from collections.abc import Callable

from jinja2 import Environment
from starlette.routing import Route

from newsletter.context import Context
from newsletter.scheduling.ports import Scheduling
from newsletter.web import auth
from newsletter.web.staff import (
    authoring,
    calendar,
    campaigns,
    member_profile,
    members,
    reports,
)


def routes(
    ctx: Context, env: Environment, scheduling: Callable[[], Scheduling] | None = None
) -> list[Route]:
    """Every staff route; all but the sign-in page go through :func:`auth.guard`.
    ``scheduling`` builds the scheduling use cases (None: campaigns cannot be scheduled here)."""
    return [
        *auth.routes(ctx, env),
        # Before the campaign pages: /staff/campaigns/new is not a campaign called "new".
        *authoring.routes(ctx, env),
        *campaigns.routes(ctx, env, scheduling),
        # Calendar, reports and members.
        *calendar.routes(ctx, env, scheduling),
        *reports.routes(ctx, env),
        *members.routes(ctx, env),
        *member_profile.routes(ctx, env),
    ]
