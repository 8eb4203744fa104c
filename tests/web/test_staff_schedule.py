"""Scheduling from the staff app: approvers only, and never an unapproved campaign."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from newsletter.bootstrap import build_scheduling
from newsletter.config import Settings
from newsletter.services.context import Context
from newsletter.web.app import create_app
from tests.web.staff_helpers import APPROVER, EDITOR, add_accounts, sign_in

SLUG = "chairmans-letter"


@pytest.fixture
def client(ctx: Context, settings: Settings) -> Iterator[TestClient]:
    add_accounts(ctx)
    app = create_app(ctx, scheduling=lambda: build_scheduling(settings, ctx))
    with TestClient(app, follow_redirects=False) as c:
        yield c


def test_unapproved_campaign_is_not_scheduled(client: TestClient) -> None:
    csrf = sign_in(client, APPROVER)
    response = client.post(
        f"/staff/campaigns/{SLUG}/schedule",
        data={"csrf": csrf, "at": "2015-09-10T09:00", "zone": "Europe/Belgrade"},
    )
    assert response.status_code == 200
    assert "is not approved" in response.text


def test_approved_campaign_is_scheduled_and_cancelled(client: TestClient) -> None:
    csrf = sign_in(client, APPROVER)
    assert client.post(f"/staff/campaigns/{SLUG}/approve", data={"csrf": csrf}).status_code == 303
    response = client.post(
        f"/staff/campaigns/{SLUG}/schedule",
        data={"csrf": csrf, "at": "2015-09-10T09:00", "zone": "Europe/Belgrade"},
    )
    assert response.status_code == 200
    assert "Scheduled: main at 2015-09-10 07:00 UTC" in response.text
    assert '<ol class="timeline">' in response.text and "state-scheduled" in response.text
    cancelled = client.post(f"/staff/campaigns/{SLUG}/cancel", data={"csrf": csrf})
    assert "Cancelled 1 step(s)." in cancelled.text


def test_an_editor_cannot_schedule(client: TestClient) -> None:
    csrf = sign_in(client, EDITOR)
    response = client.post(
        f"/staff/campaigns/{SLUG}/schedule", data={"csrf": csrf, "at": "2015-09-10T09:00"}
    )
    assert response.status_code == 403
