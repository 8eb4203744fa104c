"""POST /webhooks/sendgrid: signed with a generated P-256 key, refused when forged or stale,
applied exactly once when delivered twice."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, func, select
from starlette.testclient import TestClient

from newsletter.db.tables import deliveries, events, members
from newsletter.delivery.transports.sendgrid.signature import SignedEventWebhook
from newsletter.web.app import create_app
from tests.services import Services
from tests.synthetic import add_deliveries, add_members
from tests.webhook_keys import Signer

NOW = 1_443_657_600  # what the app believes the time is


def engine_of(ctx: Services) -> Engine:
    return ctx.ledger.engine  # type: ignore[attr-defined,no-any-return]


@pytest.fixture
def signer() -> Signer:
    return Signer.generate()


@pytest.fixture
def client(ctx: Services, signer: Signer) -> Iterator[TestClient]:
    app = create_app(ctx.app, webhook=SignedEventWebhook(signer.public_key), now=lambda: NOW)
    with TestClient(app) as c:
        yield c


@pytest.fixture
def batch(ctx: Services) -> bytes:
    engine = engine_of(ctx)
    mids = add_members(engine, 3)
    _, dids = add_deliveries(engine, mids, status="unknown")
    items = [
        {
            "email": f"member{i}@synthetic.example",
            "timestamp": NOW - 30,
            "event": event,
            "sg_event_id": f"e{i}",
            "sg_message_id": f"m{i}.filter",
            "nl_delivery_id": str(did),
            **extra,
        }
        for i, (did, event, extra) in enumerate(
            zip(
                dids,
                ["delivered", "bounce", "spamreport"],
                [{}, {"type": "bounce", "reason": "550 no such user"}, {}],
                strict=True,
            )
        )
    ]
    # SendGrid's own formatting; the signature covers these exact bytes.
    return json.dumps(items, separators=(",", ":")).encode()


def counts(ctx: Services) -> tuple[int, dict[str, int], dict[str, int]]:
    with engine_of(ctx).connect() as conn:
        n = int(conn.execute(select(func.count()).select_from(events)).scalar_one())
        rows = {
            str(s): int(c)
            for s, c in conn.execute(
                select(deliveries.c.status, func.count()).group_by(deliveries.c.status)
            ).all()
        }
        people = {
            str(s): int(c)
            for s, c in conn.execute(
                select(members.c.status, func.count()).group_by(members.c.status)
            ).all()
        }
    return n, rows, people


def test_a_valid_batch_is_applied_once_even_when_delivered_twice(
    ctx: Services, client: TestClient, signer: Signer, batch: bytes
) -> None:
    headers = signer.headers(batch, NOW - 20)
    first = client.post("/webhooks/sendgrid", content=batch, headers=headers)
    assert first.status_code == 200
    assert first.json() == {"received": 3, "new": 3, "duplicates": 0}
    after = counts(ctx)
    assert after == (3, {"sent": 3}, {"active": 1, "bounced": 1, "complained": 1})
    # SendGrid retries (a timeout on its side): same bytes, same signature.
    again = client.post("/webhooks/sendgrid", content=batch, headers=headers)
    assert again.status_code == 200
    assert again.json() == {"received": 3, "new": 0, "duplicates": 3}
    assert counts(ctx) == after
    # A fresh signature over the same events (a later retry) changes nothing either.
    later = client.post("/webhooks/sendgrid", content=batch, headers=signer.headers(batch, NOW))
    assert later.json()["new"] == 0 and counts(ctx) == after


@pytest.mark.parametrize(
    "forgery", ["other key", "body changed", "stale", "future", "no signature", "no timestamp"]
)
def test_forged_or_stale_requests_get_a_vague_403(
    ctx: Services, client: TestClient, signer: Signer, batch: bytes, forgery: str
) -> None:
    body, headers = batch, signer.headers(batch, NOW)
    if forgery == "other key":
        headers = Signer.generate().headers(batch, NOW)
    elif forgery == "body changed":
        body = batch.replace(b"spamreport", b"delivered!")
    elif forgery == "stale":
        headers = signer.headers(batch, NOW - 11 * 60)
    elif forgery == "future":
        headers = signer.headers(batch, NOW + 6 * 60)
    elif forgery == "no signature":
        del headers["X-Twilio-Email-Event-Webhook-Signature"]
    else:
        del headers["X-Twilio-Email-Event-Webhook-Timestamp"]
    response = client.post("/webhooks/sendgrid", content=body, headers=headers)
    assert response.status_code == 403
    assert response.text == "forbidden"
    assert counts(ctx)[0] == 0


def test_no_key_configured_refuses_everything(ctx: Services, signer: Signer, batch: bytes) -> None:
    with TestClient(create_app(ctx.app, webhook=None, now=lambda: NOW)) as client:
        response = client.post(
            "/webhooks/sendgrid", content=batch, headers=signer.headers(batch, NOW)
        )
    assert response.status_code == 403
    assert counts(ctx)[0] == 0


def test_wrong_type_size_and_shape(
    ctx: Services, client: TestClient, signer: Signer, batch: bytes
) -> None:
    headers = {**signer.headers(batch, NOW), "Content-Type": "text/plain"}
    assert client.post("/webhooks/sendgrid", content=batch, headers=headers).status_code == 415
    huge = b"[" + b" " * (5 * 1024 * 1024) + b"]"
    assert (
        client.post("/webhooks/sendgrid", content=huge, headers=signer.headers(huge, NOW))
    ).status_code == 413
    thing = b'{"event": "delivered"}'
    response = client.post("/webhooks/sendgrid", content=thing, headers=signer.headers(thing, NOW))
    assert response.status_code == 400
    assert client.get("/webhooks/sendgrid").status_code == 405


def test_signed_but_deeply_nested_json_is_a_400(client: TestClient, signer: Signer) -> None:
    """Json.loads raises RecursionError on deep nesting; that is the sender's fault."""
    nested = b"[" * 200_000 + b"]" * 200_000
    headers = signer.headers(nested, NOW)
    response = client.post("/webhooks/sendgrid", content=nested, headers=headers)
    assert response.status_code == 400
