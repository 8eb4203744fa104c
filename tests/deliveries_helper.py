"""Sent deliveries written straight into the tables, so audience tests do not depend on the
campaign files or the send path (they have tests of their own)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

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
