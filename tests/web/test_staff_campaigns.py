"""Staff campaign pages through the real app: list, detail with previews, the preview document
(exactly what composing.preview gives), test send to the outbox and approval by role."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from newsletter.authoring import approvals
from newsletter.config import Settings
from newsletter.content import composing
from newsletter.web.app import create_app
from tests.services import Services
from tests.web.staff_helpers import (
    APPROVER,
    EDITOR,
    add_accounts,
    approve_in_browser,
    sign_in,
)

SLUG = "days-of-clusters-2015"


@pytest.fixture
def client(ctx: Services) -> Iterator[TestClient]:
    add_accounts(ctx)
    with TestClient(create_app(ctx.app), follow_redirects=False) as c:
        yield c


def test_campaign_list_shows_every_campaign_with_its_state(client: TestClient) -> None:
    sign_in(client, EDITOR)
    page = client.get("/staff/campaigns")
    assert page.status_code == 200
    for slug in (SLUG, "chairmans-letter", "interreg-ipa-bg-rs-first-call"):
        assert f'href="/staff/campaigns/{slug}"' in page.text
    assert "state-draft" in page.text


def test_preview_route_returns_exactly_what_a_member_would_get(
    client: TestClient, ctx: Services
) -> None:
    sign_in(client, EDITOR)
    response = client.get(f"/staff/campaigns/{SLUG}/preview/sr-Cyrl")
    assert response.status_code == 200
    assert response.text == composing.preview(ctx, SLUG, language="sr-Cyrl").html
    # Framed only by our own pages; the email can never run script.
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'self'" in csp and "script-src" not in csp and "sandbox" in csp
    assert response.headers["x-frame-options"] == "SAMEORIGIN"


def test_detail_page_frames_phone_and_desktop_previews_with_plain_text(
    client: TestClient, ctx: Services
) -> None:
    sign_in(client, EDITOR)
    page = client.get(f"/staff/campaigns/{SLUG}?lang=sr-Cyrl")
    assert page.status_code == 200
    src = f'src="/staff/campaigns/{SLUG}/preview/sr-Cyrl"'
    assert page.text.count(src) == 2
    assert 'width="375"' in page.text and 'width="640"' in page.text
    text = composing.preview(ctx, SLUG, language="sr-Cyrl").text
    first_line = next(line for line in text.splitlines() if line.strip())
    assert first_line.strip() in page.text.replace("&#39;", "'").replace("&#34;", '"')
    assert "frame-src 'self'" in page.headers["content-security-policy"]
    assert "<script" not in page.text and " style=" not in page.text


def test_explain_form_says_why_a_person_is_out(client: TestClient) -> None:
    sign_in(client, EDITOR)
    page = client.get(f"/staff/campaigns/{SLUG}", params={"explain": "nobody@x.example"})
    assert page.status_code == 200
    assert "no member with address nobody@x.example" in page.text


def test_unknown_campaign_is_404(client: TestClient) -> None:
    sign_in(client, EDITOR)
    assert client.get("/staff/campaigns/no-such-thing").status_code == 404


def test_test_send_goes_to_staff_addresses_only(client: TestClient, settings: Settings) -> None:
    csrf = sign_in(client, EDITOR)
    response = client.post(
        f"/staff/campaigns/{SLUG}/test-send?lang=en",
        data={"csrf": csrf, "lang": "en", "to": ["stranger@x.example", APPROVER]},
    )
    # POST/redirect/GET: the result is shown once on the page, and a reload repeats nothing.
    assert response.status_code == 303, response.text
    page = client.get(response.headers["location"])
    assert f"Test sent to {APPROVER}" in page.text
    assert f"Test sent to {APPROVER}" not in client.get(response.headers["location"]).text
    outbox = Path(settings.path(settings.delivery.outbox_dir))
    sent = "\n".join(p.read_text(errors="replace") for p in outbox.rglob("*.eml"))
    assert APPROVER in sent and "stranger@x.example" not in sent


def test_only_an_approver_can_approve_and_an_edit_needs_a_new_approval(
    client: TestClient, ctx: Services
) -> None:
    csrf = sign_in(client, EDITOR)
    refused = client.post(f"/staff/campaigns/{SLUG}/approve", data={"csrf": csrf})
    assert refused.status_code == 403
    assert approvals.approval_of(ctx, SLUG) is None

    client.cookies.clear()
    csrf = sign_in(client, APPROVER)
    done = approve_in_browser(client, csrf, SLUG)
    assert done.status_code == 303
    approval = approvals.approval_of(ctx, SLUG)
    assert approval is not None and approval.approved_by == APPROVER
    assert "approved by" in client.get(f"/staff/campaigns/{SLUG}").text
    assert approvals.require_approval(ctx, SLUG) == approval


def test_duplicating_a_campaign_makes_an_unapproved_draft(
    client: TestClient, ctx: Services
) -> None:
    csrf = sign_in(client, EDITOR)
    copied = client.post(f"/staff/campaigns/{SLUG}/duplicate", data={"csrf": csrf})
    assert copied.status_code == 303
    page = client.get(copied.headers["location"])
    assert f"Copied to {SLUG}-copy: a new draft" in page.text
    copy, where = ctx.catalog.campaign(f"{SLUG}-copy")
    original, _ = ctx.catalog.campaign(SLUG)
    assert str(where) == f"database:{SLUG}-copy"
    assert copy.title == f"{original.title} (copy)" and copy.subject == original.subject
    assert approvals.standing(ctx, copy.slug).hold_reason is not None  # needs approving
    again = client.post(f"/staff/campaigns/{SLUG}/duplicate", data={"csrf": csrf})
    assert again.headers["location"] == f"/staff/campaigns/{SLUG}-copy-2"


def test_detail_page_names_every_outside_host_for_the_approver(
    client: TestClient, ctx: Services
) -> None:
    """The approver sees which hosts the email loads from and links to."""
    from newsletter.content.rendering.linkcheck import external_hosts

    sign_in(client, EDITOR)
    page = client.get(f"/staff/campaigns/{SLUG}")
    assert 'data-testid="loads-from"' in page.text
    html = composing.preview(ctx, SLUG).html
    loads, links = external_hosts(html, ctx.links.base_url)
    for host in (*loads, *links):
        assert host in page.text
    assert links  # the campaign's registration or programme links


def test_external_hosts_splits_loaded_from_linked() -> None:
    from newsletter.content.rendering.linkcheck import external_hosts

    html = (
        '<img src="https://tracker.example/p.gif?e=1"><a href="https://clusters.example/x">x</a>'
        '<td background="https://cdn.example/bg.png"></td><a href="[[nl:unsubscribe_url:h]]">u</a>'
        '<a href="https://news.example.org/archive">a</a><a href="mailto:office@x.example">m</a>'
    )
    assert external_hosts(html, "https://news.example.org") == (
        ["cdn.example", "tracker.example"],
        ["clusters.example"],
    )
