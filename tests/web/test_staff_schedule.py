"""Scheduling from the staff app: approvers only, and never an unapproved campaign."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from newsletter.bootstrap import build_scheduling
from newsletter.config import Settings
from newsletter.web.app import create_app
from tests.services import Services
from tests.web.staff_helpers import (
    APPROVER,
    EDITOR,
    add_accounts,
    approve_in_browser,
    shown_version,
    sign_in,
)

SLUG = "chairmans-letter"


@pytest.fixture
def client(ctx: Services, settings: Settings) -> Iterator[TestClient]:
    add_accounts(ctx)
    app = create_app(ctx.app, scheduling=lambda: build_scheduling(settings, ctx))
    with TestClient(app, follow_redirects=False) as c:
        yield c


def test_unapproved_campaign_is_not_scheduled(client: TestClient) -> None:
    csrf = sign_in(client, APPROVER)
    response = client.post(
        f"/staff/campaigns/{SLUG}/schedule",
        data={"csrf": csrf, "at": "2015-09-10T09:00", "zone": "Europe/Belgrade"},
    )
    assert response.status_code == 303
    assert "is not approved" in client.get(response.headers["location"]).text


def test_approved_campaign_is_scheduled_and_cancelled(client: TestClient) -> None:
    csrf = sign_in(client, APPROVER)
    assert approve_in_browser(client, csrf, SLUG).status_code == 303
    response = client.post(
        f"/staff/campaigns/{SLUG}/schedule",
        data={"csrf": csrf, "at": "2015-09-10T09:00", "zone": "Europe/Belgrade"},
    )
    assert response.status_code == 303  # POST/redirect/GET: a reload schedules nothing again
    page = client.get(response.headers["location"]).text
    assert f"Schedule for {SLUG}:" in page
    assert "<li>main at 2015-09-10 09:00 Europe/Belgrade - scheduled</li>" in page
    assert 'data-testid="steps"' in page and "state-scheduled" in page
    # In the zone it was scheduled in (Belgrade keeps summer time in September), not UTC.
    assert "2015-09-10 09:00 CEST" in page and "07:00 UTC" not in page
    assert "Schedule for" not in client.get(response.headers["location"]).text
    # Cancelling says which steps it stops and asks to confirm.
    assert "Yes, cancel these 1 step(s)" in page
    unconfirmed = client.post(f"/staff/campaigns/{SLUG}/cancel", data={"csrf": csrf})
    assert "Tick the box to confirm" in client.get(unconfirmed.headers["location"]).text
    assert "state-scheduled" in client.get(f"/staff/campaigns/{SLUG}").text
    cancelled = client.post(
        f"/staff/campaigns/{SLUG}/cancel", data={"csrf": csrf, "confirm": "yes"}
    )
    assert "Cancelled 1 step(s): main." in client.get(cancelled.headers["location"]).text


def test_the_list_tells_scheduled_from_approved(client: TestClient) -> None:
    csrf = sign_in(client, APPROVER)
    approve_in_browser(client, csrf, SLUG)
    row = _row(client.get("/staff/campaigns").text, SLUG)
    assert 'class="state state-approved"' in row
    client.post(
        f"/staff/campaigns/{SLUG}/schedule",
        data={"csrf": csrf, "at": "2015-09-10T09:00", "zone": "Europe/Belgrade"},
    )
    row = _row(client.get("/staff/campaigns").text, SLUG)
    assert 'class="state state-scheduled"' in row and "next: main 2015-09-10 09:00 CEST" in row


def test_a_stale_page_cannot_approve(client: TestClient, settings: Settings) -> None:
    csrf = sign_in(client, APPROVER)
    before = client.get(f"/staff/campaigns/{SLUG}").text
    shown = shown_version(before)
    found = re.search(r'name="shown" value="([^"]+)"', before)
    assert found
    copy = html.unescape(found.group(1))
    path = settings.path(settings.paths.campaigns) / f"{SLUG}.yaml"
    path.write_text(path.read_text().replace("title: ", "title: Edited ", 1))
    refused = client.post(
        f"/staff/campaigns/{SLUG}/approve",
        data={"csrf": csrf, "version": shown, "shown": copy},
    )
    page = refused.text
    assert "changed since this page was shown" in page
    assert 'data-testid="approval-state">Not' in page  # still not approved
    assert shown_version(page) != shown  # the page now offers the version as it is
    # ...and says what changed since the page the approver pressed the button on.
    table = page[page.index('data-testid="changed-since-shown"') :]
    row = table.split("</tr>")[1]
    assert "<td>title</td>" in row and "<td>Edited Dear Cluster House" in row


def test_an_announcement_after_its_milestone_needs_confirming(client: TestClient) -> None:
    slug = "interreg-ipa-bg-rs-first-call"  # submission deadline 2015-11-17 16:00 Sofia
    csrf = sign_in(client, APPROVER)
    approve_in_browser(client, csrf, slug)
    late = {"csrf": csrf, "at": "2015-11-20T10:00", "zone": "Europe/Belgrade"}
    warned = client.post(f"/staff/campaigns/{slug}/schedule", data=late)
    assert warned.status_code == 200  # shown beside the form, with the box to tick
    warning = warned.text[warned.text.index('data-testid="milestone-warning"') :]
    assert warning.startswith(
        'data-testid="milestone-warning">the announcement would go out after Submission of '
        "project proposals [submission_deadline] (2015-11-17 16:00 Europe/Sofia) has passed"
    )
    assert "--after-milestones" not in warning  # the web's own words: a box to tick
    assert 'name="after_milestones" value="yes" required' in warned.text
    # What was typed is still there: only the box needs ticking.
    assert 'name="at" value="2015-11-20T10:00"' in warned.text
    assert '<option value="Europe/Belgrade" selected>' in warned.text
    assert "state-scheduled" not in warned.text
    confirmed = client.post(
        f"/staff/campaigns/{slug}/schedule", data={**late, "after_milestones": "yes"}
    )
    assert (
        "main at 2015-11-20 10:00 Europe/Belgrade - scheduled"
        in client.get(confirmed.headers["location"]).text
    )


def _row(html: str, slug: str) -> str:
    start = html.index(f'href="/staff/campaigns/{slug}"')
    return html[start : html.index("</tr>", start)]


def test_an_editor_cannot_schedule(client: TestClient) -> None:
    csrf = sign_in(client, EDITOR)
    response = client.post(
        f"/staff/campaigns/{SLUG}/schedule", data={"csrf": csrf, "at": "2015-09-10T09:00"}
    )
    assert response.status_code == 403
