"""Synthetic members and ledger rows written straight into the tables, fast (bulk inserts).

Used by the delivery tests that need many members or rows in a given state without going
through imports (the send benchmarks write theirs in SQL: ``benchmarks/send_setup.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import Engine, func, insert, select

from newsletter.db.tables import (
    campaigns,
    consent_events,
    deliveries,
    members,
    subscriptions,
)

AT = dt.datetime(2015, 9, 1, 7, 0, tzinfo=dt.UTC)
LANGS = ("en", "sr-Cyrl", "sr-Latn", "bg", "ro", "mk", "tr")
_CHUNK = 5000


def add_members(
    engine: Engine,
    count: int,
    *,
    topics: Sequence[str] = ("events",),
    prefix: str = "member",
    domain: str = "synthetic.example",
    languages: Sequence[str] = ("en",),
    consent: bool = False,
) -> list[int]:
    """Insert ``count`` active members subscribed to ``topics``; return their ids in order."""
    with engine.begin() as conn:
        start = int(conn.execute(select(func.count()).select_from(members)).scalar_one())
        for first in range(0, count, _CHUNK):
            rows = [
                {
                    "email": f"{prefix}{i}@{domain}",
                    "email_key": f"{prefix}{i}@{domain}",
                    "first_name": f"Ana{i}",
                    "last_name": "Primer",
                    "organization": "Synthetic Cluster",
                    "role": "",
                    "country": "RS",
                    "language": languages[i % len(languages)],
                    "tier": "member",
                    "timezone": "Europe/Belgrade",
                    "consent_source": "synthetic",
                    "consent_date": None,
                    "status": "active",
                    "created_at": AT,
                    "updated_at": AT,
                }
                for i in range(start + first, start + min(count, first + _CHUNK))
            ]
            conn.execute(insert(members), rows)
        ids = list(
            conn.execute(
                select(members.c.id)
                .where(members.c.email.like(f"{prefix}%@{domain}"))
                .order_by(members.c.id)
            ).scalars()
        )[-count:]
        for first in range(0, len(ids), _CHUNK):
            chunk = ids[first : first + _CHUNK]
            conn.execute(
                insert(subscriptions),
                [
                    {"member_id": mid, "topic": t, "status": "subscribed", "updated_at": AT}
                    for mid in chunk
                    for t in topics
                ],
            )
            if consent:
                conn.execute(
                    insert(consent_events),
                    [
                        {
                            "member_id": mid,
                            "topic": t,
                            "action": "subscribed",
                            "source": "synthetic",
                            "wording_version": "",
                            "at": AT,
                        }
                        for mid in chunk
                        for t in topics
                    ],
                )
    return ids


def add_deliveries(
    engine: Engine,
    member_ids: Sequence[int],
    *,
    slug: str = "synthetic",
    topic: str = "events",
    step: str = "main",
    status: str = "sent",
    at: dt.datetime = AT,
    language: str = "en",
) -> tuple[int, list[int]]:
    """A campaign row (created if missing) and one delivery per member in ``status``; returns
    the campaign id and the delivery ids in member order."""
    with engine.begin() as conn:
        cid = conn.execute(select(campaigns.c.id).where(campaigns.c.slug == slug)).scalar()
        if cid is None:
            cid = conn.execute(
                insert(campaigns)
                .values(
                    slug=slug,
                    kind="letter",
                    title=slug,
                    topic=topic,
                    state="sending",
                    definition={},
                    created_at=at,
                    updated_at=at,
                )
                .returning(campaigns.c.id)
            ).scalar_one()
        sent_at = at if status == "sent" else None
        conn.execute(
            insert(deliveries),
            [
                {
                    "campaign_id": cid,
                    "step": step,
                    "member_id": mid,
                    "language": language,
                    "status": status,
                    "attempts": 1,
                    "created_at": at,
                    "updated_at": at,
                    "sent_at": sent_at,
                }
                for mid in member_ids
            ],
        )
        ids = list(
            conn.execute(
                select(deliveries.c.id)
                .where(deliveries.c.campaign_id == cid, deliveries.c.step == step)
                .order_by(deliveries.c.member_id)
            ).scalars()
        )
    return int(cid), ids
