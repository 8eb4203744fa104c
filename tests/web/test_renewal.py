"""Expired member links: a page that offers a fresh link, the email with it (read from the
outbox's raw bytes), and the limits. SQLite and PostgreSQL alike."""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import update
from starlette.testclient import TestClient

from newsletter.config import Settings
from newsletter.core import tokens
from newsletter.core.links import PREFERENCES, UNSUBSCRIBE
from newsletter.db.tables import members
from newsletter.delivery.renewals import MAX_PER_CLIENT, MAX_PER_MEMBER
from tests.conftest import FrozenClock
from tests.services import Services
from tests.synthetic import add_members
from tests.web.member_helpers import engine_of

DAYS = 24 * 3600


def old_token(ctx: Services, member_id: int, purpose: str = UNSUBSCRIBE) -> str:
    """A link from an email sent 91 days ago."""
    issued = int(ctx.clock.now().timestamp()) - 91 * DAYS
    return ctx.links.token(purpose, member_id, "events", issued)


def renewals(settings: Settings) -> list[EmailMessage]:
    folder = Path(settings.path(settings.delivery.outbox_dir)) / "renewal"
    found = []
    for path in sorted(folder.rglob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        found.append(msg)
    return found


def test_an_expired_link_offers_a_fresh_one_by_email(
    client: TestClient, ctx: Services, settings: Settings, member: int
) -> None:
    token = old_token(ctx, member)
    page = client.get(f"/u/{token}", headers={"Accept-Language": "sr"})
    assert page.status_code == 410
    assert "Ова веза је истекла" in page.text and "90 дана" in page.text
    assert f'action="/renew/u/{token}"' in page.text
    assert "member0@synthetic.example" not in page.text  # no address shown
    # A one-click POST to the expired link changes nothing and gets the same page.
    assert client.post(f"/u/{token}", data={"List-Unsubscribe": "One-Click"}).status_code == 410

    done = client.post(f"/renew/u/{token}", headers={"Accept-Language": "sr"})
    assert done.status_code == 200 and "нова веза је на путу" in done.text
    (sent,) = renewals(settings)
    assert sent["To"].addresses[0].addr_spec == "member0@synthetic.example"
    assert sent["Auto-Submitted"] == "auto-generated"
    text = sent.get_body(("plain",))
    assert text is not None
    body = text.get_content()
    assert "Ваша нова веза" in str(sent["Subject"])  # the member's language
    fresh_u = re.search(r"https?://\S+/u/(\S+)", body)
    fresh_p = re.search(r"https?://\S+/p/(\S+)", body)
    assert fresh_u and fresh_p
    # The fresh links work: the unsubscribe page and the preference centre, not "expired".
    assert client.get(f"/u/{fresh_u.group(1)}").status_code == 200
    assert client.get(f"/p/{fresh_p.group(1)}").status_code == 200
    now = int(ctx.clock.now().timestamp())
    claims = ctx.links.verify(fresh_u.group(1), purpose=UNSUBSCRIBE, now=now)
    assert (claims.member_id, claims.topic, claims.issued_at) == (member, "events", now)


def test_expired_preference_links_too(client: TestClient, ctx: Services, member: int) -> None:
    token = old_token(ctx, member, PREFERENCES)
    page = client.get(f"/p/{token}")
    assert page.status_code == 410 and f'action="/renew/p/{token}"' in page.text
    assert client.post(f"/p/{token}", data={"topic": "news"}).status_code == 410
    # A token of one purpose is not renewed under the other.
    assert client.post(f"/renew/u/{token}").status_code == 404


def test_forged_live_and_foreign_tokens_are_not_renewed(
    client: TestClient, ctx: Services, settings: Settings, member: int
) -> None:
    issued = int(ctx.clock.now().timestamp()) - 91 * DAYS
    forged = tokens.sign(b"x" * 43, tokens.TokenClaims(UNSUBSCRIBE, member, "events", issued))
    assert client.get(f"/u/{forged}").status_code == 404
    assert client.post(f"/renew/u/{forged}").status_code == 404
    live = ctx.links.token(UNSUBSCRIBE, member, "events", int(ctx.clock.now().timestamp()))
    assert client.post(f"/renew/u/{live}").status_code == 404
    assert client.post(f"/renew/x/{old_token(ctx, member)}").status_code == 404
    assert renewals(settings) == []


def test_limits_per_member_and_per_client_say_nothing_about_membership(
    client: TestClient, ctx: Services, settings: Settings, member: int, clock: FrozenClock
) -> None:
    token = old_token(ctx, member)
    answers = {client.post(f"/renew/u/{token}").text for _ in range(MAX_PER_MEMBER + 2)}
    assert len(answers) == 1  # the same page whether mail went out or not
    assert len(renewals(settings)) == MAX_PER_MEMBER
    # A member who bounced gets nothing, and the page reads the same.
    (other,) = [m for m in add_members(engine_of(ctx), 1, prefix="gone") if m != member]
    with engine_of(ctx).begin() as conn:
        conn.execute(update(members).where(members.c.id == other).values(status="bounced"))
    gone = client.post(f"/renew/u/{old_token(ctx, other)}")
    assert gone.status_code == 200 and gone.text in answers
    assert len(renewals(settings)) == MAX_PER_MEMBER
    for _ in range(MAX_PER_CLIENT - MAX_PER_MEMBER - 3):
        assert client.post(f"/renew/u/{token}").status_code == 200
    refused = client.post(f"/renew/u/{token}")
    assert refused.status_code == 429
    # A day later the windows are open again.
    clock.advance(days=1, seconds=1)
    assert client.post(f"/renew/u/{old_token(ctx, member)}").status_code == 200
    assert len(renewals(settings)) == MAX_PER_MEMBER + 1
