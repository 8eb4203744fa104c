"""One person in SQL: everything held about them, erasure, suppression, and exports.

Erasure deletes the member row; subscriptions, consent history, tags and deliveries go with it
(``ON DELETE CASCADE``). Only the keyed hash stays, in ``suppressions``. On SQLite,
``secure_delete`` overwrites the freed pages and a WAL checkpoint folds the log back, so the
address is not left readable in the database file (GDPR Art. 17).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, delete, insert, select, update

from newsletter.audiences.domain.members import COLUMNS
from newsletter.audiences.domain.privacy import (
    ConsentFact,
    DeliveryFact,
    PersonData,
    SubscriptionFact,
    SuppressionReason,
)
from newsletter.audiences.domain.segments import Segment
from newsletter.audiences.sql.segment_compiler import segment_clause
from newsletter.db.tables import (
    campaigns,
    consent_events,
    deliveries,
    member_tags,
    members,
    subscriptions,
    suppressions,
)

_EXPORT_CHUNK = 2000
_PROFILE = [c for c in members.c if c.name not in ("email_key",)]


class SqlPeople:
    engine: Engine

    def suppression(self, suppression_hash: str) -> str | None:
        query = select(suppressions.c.reason).where(suppressions.c.email_hash == suppression_hash)
        with self.engine.connect() as conn:
            found = conn.execute(query).scalar()
        return None if found is None else str(found)

    def person(self, key: str, suppression_hash: str) -> PersonData | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(*_PROFILE).where(members.c.email_key == key)).first()
            if row is None:
                return None
            mid = row.id
            subs = conn.execute(
                select(subscriptions.c.topic, subscriptions.c.status, subscriptions.c.updated_at)
                .where(subscriptions.c.member_id == mid)
                .order_by(subscriptions.c.topic)
            ).all()
            consent = conn.execute(
                select(
                    consent_events.c.topic,
                    consent_events.c.action,
                    consent_events.c.source,
                    consent_events.c.wording_version,
                    consent_events.c.at,
                )
                .where(consent_events.c.member_id == mid)
                .order_by(consent_events.c.at, consent_events.c.id)
            ).all()
            tags = conn.execute(
                select(member_tags.c.tag)
                .where(member_tags.c.member_id == mid)
                .order_by(member_tags.c.tag)
            ).scalars()
            sent = conn.execute(
                select(
                    campaigns.c.slug,
                    campaigns.c.title,
                    deliveries.c.step,
                    deliveries.c.status,
                    deliveries.c.language,
                    deliveries.c.sent_at,
                    deliveries.c.provider_message_id,
                )
                .join(campaigns, campaigns.c.id == deliveries.c.campaign_id)
                .where(deliveries.c.member_id == mid)
                .order_by(deliveries.c.created_at, deliveries.c.id)
            ).all()
            return PersonData(
                profile=dict(row._mapping),
                subscriptions=tuple(SubscriptionFact(*s) for s in subs),
                consent=tuple(ConsentFact(*c) for c in consent),
                tags=tuple(tags),
                deliveries=tuple(DeliveryFact(*d) for d in sent),
                suppression=self.suppression(suppression_hash),
            )

    def erase(self, key: str, suppression_hash: str, *, now: dt.datetime) -> bool:
        with self.engine.begin() as conn:
            sqlite = conn.dialect.name == "sqlite"
            if sqlite:
                conn.exec_driver_sql("PRAGMA secure_delete=ON")
            deleted = conn.execute(delete(members).where(members.c.email_key == key)).rowcount
            held = conn.execute(
                select(suppressions.c.reason).where(suppressions.c.email_hash == suppression_hash)
            ).first()
            values = {"reason": SuppressionReason.ERASED.value, "created_at": now}
            if held is None:
                conn.execute(insert(suppressions).values(email_hash=suppression_hash, **values))
            else:
                conn.execute(
                    update(suppressions)
                    .where(suppressions.c.email_hash == suppression_hash)
                    .values(**values)
                )
        if sqlite:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        return bool(deleted)

    def export_rows(self, segment: Segment | None) -> Iterator[dict[str, str]]:
        """Keyset pages by id, so a million members stream in constant memory."""
        columns = [members.c[c] for c in COLUMNS if c != "topics"]
        last = 0
        while True:
            query = select(members.c.id, members.c.status, *columns).where(members.c.id > last)
            if segment is not None:
                query = query.where(segment_clause(segment, None))
            with self.engine.connect() as conn:
                page = conn.execute(query.order_by(members.c.id).limit(_EXPORT_CHUNK)).all()
                if not page:
                    return
                topics: dict[int, list[str]] = {}
                for mid, topic in conn.execute(
                    select(subscriptions.c.member_id, subscriptions.c.topic)
                    .where(
                        subscriptions.c.member_id.in_([r.id for r in page]),
                        subscriptions.c.status == "subscribed",
                    )
                    .order_by(subscriptions.c.member_id, subscriptions.c.topic)
                ).all():
                    topics.setdefault(mid, []).append(topic)
            for row in page:
                out = {c: _text(getattr(row, c)) for c in COLUMNS if c != "topics"}
                out["topics"] = ";".join(topics.get(row.id, []))
                yield {c: out[c] for c in COLUMNS} | {"status": str(row.status)}
            last = page[-1].id


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
