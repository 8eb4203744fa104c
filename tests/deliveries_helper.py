"""Sent deliveries written straight into the tables, so audience tests do not depend on the
campaign files or the send path (they have tests of their own)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable

import pytest
from sqlalchemy import Engine, insert, select

from newsletter.db.tables import campaigns, deliveries, members

AT = dt.datetime(2015, 9, 1, 9, 0, tzinfo=dt.UTC)


def record_sent(engine: Engine, slug: str, emails: Iterable[str], message_id: str = "msg-1") -> int:
    """A campaign ``slug`` whose step ``main`` was sent to ``emails``; returns how many."""
    with engine.begin() as conn:
        cid = conn.execute(
            insert(campaigns)
            .values(
                slug=slug,
                kind="letter",
                title=slug,
                topic="events",
                state="sent",
                definition={},
                created_at=AT,
                updated_at=AT,
            )
            .returning(campaigns.c.id)
        ).scalar_one()
        ids = conn.execute(select(members.c.id).where(members.c.email.in_(list(emails)))).scalars()
        rows = [
            {
                "campaign_id": cid,
                "step": "main",
                "member_id": mid,
                "language": "en",
                "status": "sent",
                "attempts": 1,
                "provider_message_id": message_id,
                "created_at": AT,
                "updated_at": AT,
                "sent_at": AT,
            }
            for mid in ids
        ]
        if rows:
            conn.execute(insert(deliveries), rows)
        return len(rows)


#: A signing key that passes the real transports' strength check (32 random bytes).
STRONG_KEY = "Jm3x8Qv2-Lr9TzW4pYc7Nd1Hb6Gf0Ks5Ua_Xe2Vo8Ri"


def sender_environment(
    monkeypatch: pytest.MonkeyPatch,
    *,
    url: str,
    api_host: str,
    batch: int,
    in_flight: int,
    lease: float,
) -> dict[str, str]:
    """The environment of a real ``newsletter campaigns send`` process against the SendGrid
    double, set in this process too (so its settings are the ones the child reads)."""
    env = {
        **os.environ,
        "SENDGRID_API_KEY": "SG.test",
        "NEWSLETTER_SECRET_KEY": STRONG_KEY,
        "NEWSLETTER_DATABASE__URL": url,
        "NEWSLETTER_DELIVERY__TRANSPORT": "sendgrid",
        "NEWSLETTER_DELIVERY__BATCH_SIZE": str(batch),
        "NEWSLETTER_DELIVERY__MAX_IN_FLIGHT": str(in_flight),
        "NEWSLETTER_DELIVERY__LEASE_SECONDS": str(lease),
        "NEWSLETTER_SENDGRID__API_HOST": api_host,
        "NEWSLETTER_SENDGRID__TIMEOUT": "10",
        "NEWSLETTER_WEB__BASE_URL": "https://news.clusterhouse.example",
    }
    for key, value in env.items():
        if key.startswith(("SENDGRID", "NEWSLETTER")):
            monkeypatch.setenv(key, value)
    return env
