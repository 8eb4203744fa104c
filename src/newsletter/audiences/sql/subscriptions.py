"""The preference centre's reads and writes: a member's language and topic subscriptions,
with one append-only consent event per change (GDPR Art. 7(1))."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from sqlalchemy import Engine, insert, select, update

from newsletter.audiences.ports.preference_store import Preferences
from newsletter.db.tables import consent_events, members, subscriptions

SUB = subscriptions


class SqlPreferenceStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def preferences(self, member_id: int) -> Preferences | None:
        with self.engine.connect() as conn:
            language = conn.execute(
                select(members.c.language).where(members.c.id == member_id)
            ).scalar()
            if language is None:
                return None
            rows = conn.execute(
                select(SUB.c.topic, SUB.c.status).where(SUB.c.member_id == member_id)
            ).all()
        topics = {str(r.topic): r.status == "subscribed" for r in rows}
        return Preferences(member_id, str(language), topics)

    def save(
        self,
        member_id: int,
        language: str,
        topics: Mapping[str, bool],
        *,
        source: str,
        now: dt.datetime,
    ) -> int:
        changed = 0
        with self.engine.begin() as conn:
            conn.execute(
                update(members)
                .where(members.c.id == member_id, members.c.language != language)
                .values(language=language, updated_at=now)
            )
            current = {
                str(r.topic): str(r.status)
                for r in conn.execute(
                    select(SUB.c.topic, SUB.c.status).where(SUB.c.member_id == member_id)
                )
            }
            for topic, on in sorted(topics.items()):
                target = "subscribed" if on else "unsubscribed"
                if current.get(topic, "unsubscribed") == target:
                    continue
                if topic in current:
                    conn.execute(
                        update(SUB)
                        .where(SUB.c.member_id == member_id, SUB.c.topic == topic)
                        .values(status=target, updated_at=now)
                    )
                else:
                    conn.execute(
                        insert(SUB).values(
                            member_id=member_id, topic=topic, status=target, updated_at=now
                        )
                    )
                conn.execute(
                    insert(consent_events).values(
                        member_id=member_id, topic=topic, action=target, source=source, at=now
                    )
                )
                changed += 1
        return changed
