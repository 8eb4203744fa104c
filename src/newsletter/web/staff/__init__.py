"""The staff side of the web app: sign-in (web/auth.py) and the campaign pages."""

from __future__ import annotations

from collections.abc import Callable

from jinja2 import Environment
from starlette.routing import Route

from newsletter.context import Context
from newsletter.scheduling.ports import Scheduling
from newsletter.web import auth
from newsletter.web.staff import (
    accounts,
    authoring,
    autosave,
    calendar,
    campaigns,
    manage,
    member_profile,
    members,
    reports,
    test_sends,
    times,
)


def routes(
    ctx: Context, env: Environment, scheduling: Callable[[], Scheduling] | None = None
) -> list[Route]:
    """Every staff route; all but the sign-in page go through :func:`auth.guard`.
    ``scheduling`` builds the scheduling use cases (None: campaigns cannot be scheduled here)."""
    times.install(env)
    return [
        *auth.routes(ctx, env),
        # Before the campaign pages: /staff/campaigns/new is not a campaign called "new".
        *authoring.routes(ctx, env),
        *autosave.routes(ctx, scheduling),
        *campaigns.routes(ctx, env, scheduling),
        *manage.routes(ctx, env, scheduling),
        *test_sends.routes(ctx),
        # Calendar, reports and members.
        *calendar.routes(ctx, env, scheduling),
        *reports.routes(ctx, env),
        *members.routes(ctx, env),
        *accounts.routes(ctx, env),
        *member_profile.routes(ctx, env),
    ]
