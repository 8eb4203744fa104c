"""Campaign management over HTTP: autosave (CSRF, validation, someone saving meanwhile, the
approval withdrawn), the send progress answer, deleting and step actions refused where they
must be."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from newsletter.authoring import approvals
from newsletter.authoring import documents as authoring
from newsletter.bootstrap import build_scheduling
from newsletter.config import Settings
from newsletter.scheduling.actions import schedule_campaign
from newsletter.staff.domain.users import Role, StaffUser
from newsletter.web.app import create_app
from tests.approving import approve_now
from tests.deliveries_helper import record_sent
from tests.services import Services
from tests.synthetic import add_members
from tests.web.forms import form_fields
from tests.web.staff_helpers import APPROVER, EDITOR, add_accounts, sign_in

FILE = "chairmans-letter"


@pytest.fixture
def client(ctx: Services, settings: Settings) -> Iterator[TestClient]:
    add_accounts(ctx)
    app = create_app(ctx.app, scheduling=lambda: build_scheduling(settings, ctx))
    with TestClient(app, follow_redirects=False) as c:
        yield c


def edit_form(client: TestClient, slug: str) -> dict[str, list[str]]:
    page = client.get(f"/staff/campaigns/{slug}/edit")
    assert page.status_code == 200
    assert f'data-autosave="/staff/campaigns/{slug}/autosave"' in page.text
    fields: dict[str, list[str]] = {}
    for name, value in form_fields(page.text, f"/staff/campaigns/{slug}/edit"):
        fields.setdefault(name, []).append(value)
    return fields


def test_autosave_saves_like_any_edit(client: TestClient, ctx: Services) -> None:
    copy = authoring.duplicate(ctx, FILE, by="ana@x.example")
    approver = StaffUser(2, APPROVER, Role.APPROVER)
    approve_now(ctx, copy.slug, approver)
    sign_in(client, EDITOR)
    url = f"/staff/campaigns/{copy.slug}/autosave"
    fields = edit_form(client, copy.slug)
    # Without the session's form token nothing is stored.
    forged = {**fields, "csrf": ["forged"], "title": ["Forged"]}
    assert client.post(url, data=forged).status_code == 403
    # A form that does not validate is not stored, and the answer says why.
    broken = client.post(url, data={**fields, "subject.en": [""], "subject.sr-Cyrl": [""]})
    assert broken.status_code == 200 and broken.json()["saved"] is False
    assert "Not saved yet" in broken.json()["message"]
    assert authoring.stored(ctx, copy.slug).document["title"] == copy.title  # type: ignore[union-attr]
    # A valid one is stored: the approval is withdrawn, as by Save.
    answer = client.post(url, data={**fields, "title": ["Autosaved title"]})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["saved"] and body["changed"] and body["approval_dropped"]
    assert body["message"].startswith("Saved at 10:00:00")  # 08:00 UTC in Belgrade
    stored = authoring.stored(ctx, copy.slug)
    assert stored is not None and stored.document["title"] == "Autosaved title"
    assert body["version"] == stored.version
    assert not approvals.standing(ctx, copy.slug).approved
    # The page still carries the version it was opened with: someone else's save (this
    # autosave) is not overwritten by it.
    stale = client.post(url, data={**fields, "title": ["Stale"]})
    assert stale.status_code == 409 and "after you opened it" in stale.json()["error"]
    # With the version the autosave answered, the next one goes through.
    newer = {**fields, "title": ["Again"], "version": [body["version"]]}
    assert client.post(url, data=newer).json()["saved"] is True


def test_a_file_campaign_does_not_autosave(client: TestClient) -> None:
    csrf = sign_in(client, EDITOR)
    page = client.get(f"/staff/campaigns/{FILE}/edit").text
    assert "data-autosave=" not in page  # imported to edit first, under its own slug
    answer = client.post(f"/staff/campaigns/{FILE}/autosave", data={"csrf": csrf})
    assert answer.status_code == 404 and answer.json()["saved"] is False


def test_progress_answers_the_ledgers_counts(client: TestClient, ctx: Services) -> None:
    sign_in(client, EDITOR)
    engine = ctx.ledger.engine  # type: ignore[attr-defined]
    add_members(engine, 3)
    record_sent(engine, FILE, [f"member{i}@synthetic.example" for i in range(3)])
    answer = client.get(f"/staff/campaigns/{FILE}/progress")
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    body = answer.json()
    assert body["counts"]["sent"] == 3 and body["counts"]["total"] == 3
    assert body["settled"] == 3 and body["state"] == "sent" and body["sending"] is False
    page = client.get(f"/staff/campaigns/{FILE}").text
    assert 'data-testid="progress"' in page
    assert "progress.js" not in page  # sent: nothing left to poll for
    assert client.get("/staff/campaigns/nope/progress").status_code == 404


def test_scheduled_campaigns_are_not_deleted_and_editors_do_not_pause(
    client: TestClient, ctx: Services, settings: Settings
) -> None:
    copy = authoring.duplicate(ctx, FILE, by="ana@x.example")
    sched = build_scheduling(settings, ctx)
    approve_now(ctx, copy.slug, StaffUser(2, APPROVER, Role.APPROVER), schedule=sched.store)
    schedule_campaign(
        sched,
        copy.slug,
        at=dt.datetime(2015, 9, 10, 9, 0),
        zone="Europe/Belgrade",
        local_time=None,
        now=ctx.clock.now(),
    )
    csrf = sign_in(client, EDITOR)
    confirm = client.get(f"/staff/campaigns/{copy.slug}/delete").text
    assert "Only a draft written in the browser" in confirm and "delete-draft" not in confirm
    refused = client.post(
        f"/staff/campaigns/{copy.slug}/delete", data={"csrf": csrf, "confirm": "yes"}
    )
    assert "is scheduled: only a draft" in client.get(refused.headers["location"]).text
    assert authoring.stored(ctx, copy.slug) is not None
    paused = client.post(f"/staff/campaigns/{copy.slug}/steps/main/pause", data={"csrf": csrf})
    assert paused.status_code == 403  # an approver's action
    assert {e.state.value for e in sched.store.entries(campaign=copy.slug)} == {"scheduled"}
