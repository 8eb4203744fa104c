"""The public subscription form through the real app, on SQLite and PostgreSQL: double opt-in
(the email carries nothing typed, the link's GET changes nothing, only the POST subscribes),
consent recorded with source, wording version and time, limits that survive a restart, and the
pages in the network's languages."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import re
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, select
from starlette.testclient import TestClient

from newsletter.audiences.directory import search_members
from newsletter.audiences.domain.privacy import suppression_hash
from newsletter.audiences.domain.signup import MAX_PER_ADDRESS, MAX_PER_CLIENT
from newsletter.config import Settings
from newsletter.core.addresses import email_key
from newsletter.db.tables import (
    consent_events,
    members,
    signup_requests,
    subscriptions,
    suppressions,
)
from newsletter.web.app import create_app
from newsletter.web.subscribe_strings import WORDING_VERSION
from tests.conftest import FrozenClock, make_settings
from tests.fakes.sendgrid_server import FakeSendGrid
from tests.services import Services, services

ADDRESS = "Friend.Zz@Clusters.example"
TYPED = {"first_name": "Quixotic", "last_name": "Zebrafinch", "organization": "Snarkhunt Ltd"}


def engine_of(ctx: Services) -> Engine:
    return ctx.ledger.engine  # type: ignore[attr-defined,no-any-return]


@pytest.fixture
def client(ctx: Services) -> Iterator[TestClient]:
    with TestClient(create_app(ctx.app), follow_redirects=False) as c:
        yield c


def outbox(settings: Settings) -> list[EmailMessage]:
    folder = Path(settings.path(settings.delivery.outbox_dir)) / "signup"
    return [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
        for p in sorted(folder.rglob("*.eml"))
    ]


def form_token(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found
    return found.group(1)


def submit(
    client: TestClient,
    address: str = ADDRESS,
    *,
    topics: tuple[str, ...] = ("events", "news"),
    language: str = "sr-Cyrl",
    **extra: str,
) -> tuple[int, str]:
    page = client.get("/subscribe?lang=en")
    data = {
        "csrf": form_token(page.text),
        "page_lang": "en",
        "email": address,
        "language": language,
        "topic": list(topics),
        **TYPED,
        **extra,
    }
    response = client.post("/subscribe", data=data)
    return response.status_code, response.text


def confirm_link(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    found = re.search(
        r"http://localhost:8000(/subscribe/confirm/[A-Za-z0-9_.-]+)", body.get_content()
    )
    assert found, body.get_content()
    return found.group(1)


def member_state(ctx: Services) -> tuple[dict[str, str], list[tuple[str, str, str, str, object]]]:
    with engine_of(ctx).connect() as conn:
        mid = conn.execute(
            select(members.c.id).where(members.c.email_key == email_key(ADDRESS))
        ).scalar()
        if mid is None:
            return {}, []
        subs = conn.execute(
            select(subscriptions.c.topic, subscriptions.c.status).where(
                subscriptions.c.member_id == mid
            )
        ).all()
        consent = conn.execute(
            select(
                consent_events.c.topic,
                consent_events.c.action,
                consent_events.c.source,
                consent_events.c.wording_version,
                consent_events.c.at,
            ).where(consent_events.c.member_id == mid)
        ).all()
    return {str(t): str(s) for t, s in subs}, [tuple(c) for c in consent]  # type: ignore[misc]


def test_double_opt_in_from_form_to_member(
    client: TestClient, ctx: Services, settings: Settings, clock: FrozenClock
) -> None:
    status, text = submit(client)
    assert status == 200 and "Check your inbox" in text
    [message] = outbox(settings)
    # Nothing the subscriber typed, not even the name next to the address.
    raw = message.as_string()
    for typed in TYPED.values():
        assert typed not in raw
    assert message["To"] == ADDRESS.rsplit("@", 1)[0] + "@clusters.example"
    assert message["Auto-Submitted"] == "auto-generated"
    assert "Потврдите претплату" in message["Subject"]  # the language chosen for the emails
    link = confirm_link(message)
    assert member_state(ctx) == ({}, [])

    # A link scanner's GET (and HEAD) shows the button and changes nothing.
    page = client.get(link)
    assert page.status_code == 200 and 'lang="sr-Cyrl"' in page.text
    assert "Потврђујем претплату" in page.text and '<form method="post">' in page.text
    assert client.head(link).status_code == 200
    assert member_state(ctx) == ({}, [])

    clock.advance(hours=2)
    done = client.post(link)
    assert done.status_code == 200 and "Претплатили сте се" in done.text
    subs, consent = member_state(ctx)
    assert subs == {"events": "subscribed", "news": "subscribed"}
    at = clock.now()
    assert sorted((t, a, s, w) for t, a, s, w, _ in consent) == [
        ("events", "subscribed", "web form", WORDING_VERSION),
        ("news", "subscribed", "web form", WORDING_VERSION),
    ]
    assert all(_utc(c[4]) == at for c in consent)
    with engine_of(ctx).connect() as conn:
        row = conn.execute(
            select(
                members.c.first_name,
                members.c.organization,
                members.c.tier,
                members.c.language,
                members.c.consent_source,
                members.c.consent_wording,
            ).where(members.c.email_key == email_key(ADDRESS))
        ).one()
        # The request keeps no personal data once it is a member.
        kept = conn.execute(select(signup_requests.c.email, signup_requests.c.first_name)).all()
    assert tuple(row) == (
        "Quixotic", "Snarkhunt Ltd", "friend", "sr-Cyrl", "web form", WORDING_VERSION,
    )  # fmt: skip
    assert kept == [("", "")]
    # Staff find the new friend by name at once (search terms written with the member).
    found = search_members(ctx, "quixotic snarkhunt").rows
    assert [m.email.casefold() for m in found] == [ADDRESS.casefold()]
    # Pressing again (or a second tab) is harmless.
    again = client.post(link)
    assert again.status_code == 200 and "већ потврђена" in again.text
    assert len(member_state(ctx)[1]) == 2


def _utc(value: object) -> dt.datetime:
    assert isinstance(value, dt.datetime)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def test_bad_expired_and_foreign_tokens_get_the_same_404(
    client: TestClient, ctx: Services, settings: Settings, clock: FrozenClock
) -> None:
    submit(client)
    link = confirm_link(outbox(settings)[0])
    token = link.rsplit("/", 1)[1]
    foreign = ctx.links.token("preferences", 1, "", int(clock.now().timestamp()))
    for bad in (link + "x", f"/subscribe/confirm/{foreign}", "/subscribe/confirm/nope"):
        assert client.get(bad).status_code == 404
        assert client.post(bad).status_code == 404
    clock.advance(days=8)
    assert client.get(f"/subscribe/confirm/{token}").status_code == 404
    assert client.post(link).status_code == 404
    assert member_state(ctx) == ({}, [])


def test_form_without_its_cookie_token_is_refused(client: TestClient, settings: Settings) -> None:
    response = client.post(
        "/subscribe",
        data={"csrf": "forged", "email": ADDRESS, "topic": "news", "language": "en"},
    )
    assert response.status_code == 403 and "The form expired" in response.text
    assert outbox(settings) == []


def test_invalid_fields_are_named_and_the_typed_values_kept(
    client: TestClient, settings: Settings
) -> None:
    status, text = submit(client, "not an address", topics=(), language="xx")
    assert status == 400
    assert "Enter a valid email address." in text and "Choose at least one list." in text
    assert "Choose one of the offered languages." in text
    assert 'value="Quixotic"' in text and 'aria-invalid="true"' in text
    status, _ = submit(client, topics=("no-such-list",))
    assert status == 400
    assert outbox(settings) == []


def test_list_bombing_is_limited_per_address_silently(
    client: TestClient, ctx: Services, settings: Settings
) -> None:
    answers = [submit(client) for _ in range(MAX_PER_ADDRESS + 2)]
    # Every answer is the same page: whoever fills in the form learns nothing about the address.
    assert {status for status, _ in answers} == {200}
    assert len({text for _, text in answers}) == 1
    assert len(outbox(settings)) == MAX_PER_ADDRESS


def test_per_client_limit_holds_across_a_restart(
    ctx: Services, settings: Settings, clock: FrozenClock
) -> None:
    with TestClient(create_app(ctx.app), follow_redirects=False) as first:
        for n in range(MAX_PER_CLIENT):
            assert submit(first, f"friend{n}@clusters.example")[0] == 200
    # A new app (a restart, or another worker) reads the same window from the database.
    with TestClient(create_app(ctx.app), follow_redirects=False) as second:
        status, text = submit(second, "one-more@clusters.example")
        assert status == 429 and "Too many subscription requests" in text
        clock.advance(minutes=61)
        assert submit(second, "one-more@clusters.example")[0] == 200
    assert len(outbox(settings)) == MAX_PER_CLIENT + 1


def test_bounced_addresses_get_nothing_and_left_ones_may_come_back(
    client: TestClient, ctx: Services, settings: Settings
) -> None:
    secret = ctx.links.hashing
    with engine_of(ctx).begin() as conn:
        for address, reason in (("gone@x.example", "bounced"), (ADDRESS, "unsubscribed")):
            conn.execute(
                insert(suppressions).values(
                    email_hash=suppression_hash(secret, email_key(address)),
                    reason=reason,
                    created_at=ctx.clock.now(),
                )
            )
    assert submit(client, "gone@x.example")[0] == 200
    assert outbox(settings) == []
    assert submit(client)[0] == 200
    assert client.post(confirm_link(outbox(settings)[0])).status_code == 200
    assert member_state(ctx)[0] == {"events": "subscribed", "news": "subscribed"}
    with engine_of(ctx).connect() as conn:
        left = conn.execute(select(suppressions.c.reason)).scalars().all()
    assert left == ["bounced"]  # the owner asked again and proved it: that suppression is lifted


def test_the_robot_trap_sends_nothing(client: TestClient, settings: Settings) -> None:
    status, text = submit(client, website="https://spam.example")
    assert status == 200 and "Check your inbox" in text
    assert outbox(settings) == []


@pytest.mark.parametrize(
    ("query", "header", "expected"),
    [
        ("?lang=bg", "", "Абонамент"),
        ("", "sr-Latn-RS,sr;q=0.8", "Pretplata"),
        ("", "ro-RO,en;q=0.5", "Abonare"),
        ("", "de-DE,mk;q=0.7", "Претплатете ме на:"),
        ("", "tr;q=0.9,en;q=0.8", "Beni şunlara abone edin:"),
        ("?lang=xx", "", "Subscribe me to:"),
    ],
)
def test_the_form_speaks_the_visitors_language(
    client: TestClient, query: str, header: str, expected: str
) -> None:
    page = client.get(f"/subscribe{query}", headers={"Accept-Language": header})
    assert page.status_code == 200 and expected in page.text
    assert "<script" not in page.text and " style=" not in page.text
    assert page.headers["cache-control"] == "no-store"
    cookie = page.headers["set-cookie"]
    assert "HttpOnly" in cookie and "Path=/subscribe" in cookie and "SameSite=lax" in cookie


def test_the_confirmation_goes_through_sendgrid_when_configured(
    project: Path,
    clock: FrozenClock,
    fake_sendgrid: FakeSendGrid,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("SENDGRID_API_KEY", "SG.test")
    monkeypatch.setenv("NEWSLETTER_SECRET_KEY", "Jm3x8Qv2-Lr9TzW4pYc7Nd1Hb6Gf0Ks5Ua_Xe2Vo8Ri")
    settings = make_settings(
        project,
        database={"url": f"sqlite:///{tmp_path / 'sg.db'}"},
        delivery={"transport": "sendgrid"},
        sendgrid={"api_host": fake_sendgrid.url, "timeout": 1.0},
        web={"base_url": "https://news.clusterhouse.example"},
    )
    ctx = services(settings, clock=clock)
    try:
        # https: the form's cookie is Secure, as on a real deployment.
        app = create_app(ctx.app)
        with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
            assert submit(client)[0] == 200
            [request] = fake_sendgrid.requests
            assert request.recipients() == ["Friend.Zz@clusters.example"]
            body = json.dumps(request.body, ensure_ascii=False)
            assert "https://news.clusterhouse.example/subscribe/confirm/" in body
            for typed in TYPED.values():
                assert typed not in body
            assert "name" not in request.body["personalizations"][0]["to"][0]
            # The provider refuses: the visitor is told to try later, and the typed data goes.
            fake_sendgrid.fail_next(500)
            status, text = submit(client, "second@clusters.example")
            assert status == 503 and "could not send the confirmation" in text
        with ctx.ledger.engine.connect() as conn:  # type: ignore[attr-defined]
            kept = conn.execute(
                select(signup_requests.c.state, signup_requests.c.email).order_by(
                    signup_requests.c.id
                )
            ).all()
        assert [tuple(r) for r in kept] == [
            ("mailed", "Friend.Zz@clusters.example"), ("dropped", ""),
        ]  # fmt: skip
    finally:
        ctx.close()


def test_parallel_sign_ups_for_one_address_mail_at_most_the_limit(
    ctx: Services, settings: Settings
) -> None:
    """20 sign-ups at once for one address, each from its own client address."""
    from concurrent.futures import ThreadPoolExecutor

    from newsletter.audiences import signup

    fields = {"email": ADDRESS, "language": "en", "page_lang": "en", **TYPED}

    def sign_up(n: int) -> object:
        return signup.request_signup(
            ctx,
            fields,
            ("events",),
            client=f"198.51.100.{n}",
            wording_version=WORDING_VERSION,
            sleep=lambda _s: None,
        )

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(sign_up, range(20), timeout=120))
    assert sum(1 for a in answers if getattr(a, "mailed", False)) <= MAX_PER_ADDRESS
    assert len(outbox(settings)) <= MAX_PER_ADDRESS
