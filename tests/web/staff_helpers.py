"""Shared bits of the staff web tests: accounts, a signed-in client, approving."""

from __future__ import annotations

import re
from typing import Any

from httpx import Response
from starlette.testclient import TestClient

from newsletter.staff import accounts as staff
from newsletter.staff.domain.users import Role
from tests.services import Services

EDITOR = "editor@cluster-house.example"
APPROVER = "approver@cluster-house.example"
PASSWORD = "correct horse battery"


def add_accounts(ctx: Services) -> None:
    staff.add_user(ctx, EDITOR, PASSWORD, Role.EDITOR)
    staff.add_user(ctx, APPROVER, PASSWORD, Role.APPROVER)


def form_token(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field in the page"
    return found.group(1)


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> str:
    """Sign in; return the CSRF token of the session (from the first staff page)."""
    page = client.get("/staff/login")
    response = client.post(
        "/staff/login",
        data={"email": email, "password": password, "csrf": form_token(page.text)},
    )
    assert response.status_code == 303, response.text
    home = client.get("/staff/campaigns")
    assert home.status_code == 200
    return form_token(home.text)


def shown_version(html: str) -> str:
    """The fingerprint the page's Approve button posts: the version the approver was shown."""
    found = re.search(
        r'action="/staff/campaigns/[^"]+/approve[^"]*">.*?name="version" value="([^"]+)"',
        html,
        re.S,
    )
    assert found, "no Approve form with a version in the page"
    return found.group(1)


def approve_in_browser(client: TestClient, csrf: str, slug: str) -> Response:
    """Open the campaign page as the approver would and press Approve on what it shows."""
    page = client.get(f"/staff/campaigns/{slug}")
    return client.post(
        f"/staff/campaigns/{slug}/approve",
        data={"csrf": csrf, "version": shown_version(page.text)},
    )


def fill_field(page: Any, name: str, value: str) -> None:
    """Type ``value`` into the campaign form's field ``name`` as a person would: a choice
    (milestone, zone, segment) is picked from its list, and a language the switcher hides is
    switched to first. ``page``: a Playwright page."""
    field = page.locator(f'[name="{name}"]')
    translating = page.locator('[data-testid="translating"]')
    lang = name.rsplit(".", 1)[-1]
    if not field.is_visible() and translating.is_visible():
        translating.select_option(lang)
    if field.evaluate("el => el.tagName") == "SELECT":
        field.select_option(value)
    else:
        field.fill(value)


def milestones_first(fields: dict[str, str]) -> list[tuple[str, str]]:
    """The form's fields with the milestones first: a field that names a milestone offers
    the keys typed so far."""
    return sorted(fields.items(), key=lambda item: not item[0].startswith("milestones."))
