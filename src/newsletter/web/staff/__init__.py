"""The staff side of the web app: sign-in (web/auth.py) and the campaign pages."""

from __future__ import annotations

from starlette.routing import Route

from newsletter.web import auth
from newsletter.web.staff import (
    accounts,
    approver_forms,
    authoring,
    autosave,
    calendar,
    campaigns,
    manage,
    member_profile,
    members,
    reports,
    test_sends,
)

#: Every staff route; all but the sign-in and password-reset pages go through
#: :func:`newsletter.web.auth.guard`.
ROUTES: list[Route] = [
    *auth.ROUTES,
    # Before the campaign pages: /staff/campaigns/new is not a campaign called "new".
    *authoring.ROUTES,
    *autosave.ROUTES,
    *campaigns.ROUTES,
    *approver_forms.ROUTES,
    *manage.ROUTES,
    *test_sends.ROUTES,
    # Calendar, reports and members.
    *calendar.ROUTES,
    *reports.ROUTES,
    *members.ROUTES,
    *accounts.ROUTES,
    *member_profile.ROUTES,
]
