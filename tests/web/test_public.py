"""One-click unsubscribe (RFC 8058) through the real app with Starlette's TestClient."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from newsletter.core.links import PREFERENCES, UNSUBSCRIBE
from newsletter.db.tables import consent_events, events, subscriptions
from tests.conftest import FrozenClock
from tests.services import Services
from tests.web.member_helpers import engine_of

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


def token(ctx: Services, member_id: int, topic: str = "events", purpose: str = UNSUBSCRIBE) -> str:
    return ctx.links.token(purpose, member_id, topic, int(ctx.clock.now().timestamp()))


def subscription(ctx: Services, member_id: int, topic: str = "events") -> str:
    with engine_of(ctx).connect() as conn:
        return str(
            conn.execute(
                select(subscriptions.c.status).where(
                    subscriptions.c.member_id == member_id, subscriptions.c.topic == topic
                )
            ).scalar()
        )


def consent_count(ctx: Services, member_id: int) -> int:
    with engine_of(ctx).connect() as conn:
        return int(
            conn.execute(
                select(func.count()).where(
                    consent_events.c.member_id == member_id,
                    consent_events.c.action == "unsubscribed",
                )
            ).scalar_one()
        )


def test_get_shows_a_button_and_changes_nothing(
    ctx: Services, client: TestClient, member: int
) -> None:
    url = f"/u/{token(ctx, member)}"
    page = client.get(url)
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    html = page.text
    assert '<html lang="sr-Cyrl">' in html
    assert "Одјавите се" in html  # the button, in the member's language
    assert '<form method="post">' in html
    assert 'name="List-Unsubscribe" value="One-Click"' in html
    assert "<script" not in html
    assert client.head(url).status_code == 200
    assert subscription(ctx, member) == "subscribed"
    assert consent_count(ctx, member) == 0


@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
def test_one_click_post_unsubscribes_that_topic_with_200(
    ctx: Services, client: TestClient, member: int, encoding: str
) -> None:
    url = f"/u/{token(ctx, member)}"
    if encoding == "urlencoded":
        response = client.post(url, data=ONE_CLICK)
        assert response.request.headers["content-type"] == "application/x-www-form-urlencoded"
    else:
        response = client.post(url, files={"List-Unsubscribe": (None, "One-Click")})
        assert response.request.headers["content-type"].startswith("multipart/form-data")
    assert "cookie" not in response.request.headers
    assert response.status_code == 200
    assert "location" not in response.headers
    assert "Одјављени сте" in response.text
    assert subscription(ctx, member, "events") == "unsubscribed"
    assert subscription(ctx, member, "news") == "subscribed"  # only the list of the link
    # Attributed to the delivery that carried the link, for the campaign report.
    with engine_of(ctx).connect() as conn:
        row = conn.execute(select(events.c.event, events.c.delivery_id)).one()
    assert row.event == "unsubscribed" and row.delivery_id is not None


def test_repeated_and_concurrent_posts_are_harmless(
    ctx: Services, client: TestClient, member: int
) -> None:
    url = f"/u/{token(ctx, member)}"
    codes: list[int] = []

    def post() -> None:
        codes.append(client.post(url, data=ONE_CLICK).status_code)

    threads = [threading.Thread(target=post) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes.append(client.post(url, data=ONE_CLICK).status_code)
    assert codes == [200] * 7
    assert subscription(ctx, member) == "unsubscribed"
    assert consent_count(ctx, member) == 1
    with engine_of(ctx).connect() as conn:
        assert conn.execute(select(func.count()).select_from(events)).scalar_one() == 1


def test_every_bad_token_gets_the_same_404(ctx: Services, client: TestClient, member: int) -> None:
    good = token(ctx, member)
    body, mac = good.split(".")
    flipped = body[:-1] + ("A" if body[-1] != "A" else "B") + "." + mac
    bad = [
        flipped,
        good[:-1] + ("A" if good[-1] != "A" else "B"),
        token(ctx, member, purpose=PREFERENCES),  # another purpose
        token(ctx, 999_999),  # nobody
        "not-a-token",
        f"{good}.extra",
    ]
    answers = set()
    for t in bad:
        for response in (client.get(f"/u/{t}"), client.post(f"/u/{t}", data=ONE_CLICK)):
            assert response.status_code == 404
            answers.add(response.text)
    assert len(answers) == 1
    assert subscription(ctx, member) == "subscribed"


def test_links_keep_working_for_months_but_not_after_a_resubscribe(
    ctx: Services, client: TestClient, member: int
) -> None:
    clock = ctx.clock
    assert isinstance(clock, FrozenClock)
    old = token(ctx, member)
    clock.advance(days=80)
    assert client.get(f"/u/{old}").status_code == 200
    clock.advance(days=20)  # past the token's 90-day lifetime: the page offers a fresh link
    assert client.get(f"/u/{old}").status_code == 410
    # A member who subscribes again after a link was issued is not undone by that old link.
    fresh = token(ctx, member)
    client.post(f"/u/{fresh}", data=ONE_CLICK)
    clock.advance(days=1)
    with engine_of(ctx).begin() as conn:
        conn.execute(
            subscriptions.update()
            .where(subscriptions.c.member_id == member, subscriptions.c.topic == "events")
            .values(status="subscribed", updated_at=clock.now())
        )
        conn.execute(
            consent_events.insert().values(
                member_id=member,
                topic="events",
                action="subscribed",
                source="preferences",
                wording_version="",
                at=clock.now(),
            )
        )
    assert client.post(f"/u/{fresh}", data=ONE_CLICK).status_code == 404
    assert subscription(ctx, member) == "subscribed"


def test_a_post_without_the_one_click_body_changes_nothing(
    ctx: Services, client: TestClient, member: int
) -> None:
    url = f"/u/{token(ctx, member)}"
    assert client.post(url, data={"List-Unsubscribe": "Yes"}).status_code == 400
    assert client.post(url, content=b"--x\r\nbroken", headers={
        "content-type": "multipart/form-data; boundary=x"
    }).status_code == 400  # fmt: skip
    assert subscription(ctx, member) == "subscribed"


def test_security_headers_everywhere(ctx: Services, client: TestClient, member: int) -> None:
    for response in (
        client.get(f"/u/{token(ctx, member)}"),
        client.get("/u/nope"),
        client.get("/static/public.css"),
        client.get("/healthz"),
    ):
        csp = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp
        # Scripts only as our own files (the staff form's), never inline.
        assert "unsafe-inline" not in csp and "script-src 'self';" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert "set-cookie" not in response.headers


def test_links_in_a_preview_as_a_member_are_inert(
    ctx: Services, client: TestClient, member: int
) -> None:
    """An editor previewing "as member" must not get that member's working links."""
    import re

    from newsletter.content import composing

    message = composing.preview(ctx, "days-of-clusters-2015", email="member0@synthetic.example")
    found = dict(re.findall(r"https?://[^/\s\"<>]+/([up])/([A-Za-z0-9_.-]+)", message.text))
    assert set(found) == {"u", "p"}
    # They open a page saying it was a test (not "not valid"), and change nothing.
    for response in (
        client.post(f"/u/{found['u']}", data=ONE_CLICK),
        client.get(f"/u/{found['u']}"),
        client.get(f"/p/{found['p']}"),
        client.post(f"/p/{found['p']}", data={"action": "leave"}),
    ):
        assert response.status_code == 200
        assert "This was a test email" in response.text and "Nothing was changed" in response.text
        assert "This link is not valid" not in response.text
    assert subscription(ctx, member) == "subscribed"
    # The same links signed for members work: only the preview purpose is refused.
    assert client.get(f"/u/{token(ctx, member)}").status_code == 200
