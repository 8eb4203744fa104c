"""Members in SQL: idempotent upserts that never overwrite an unsubscribe, segment counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.engine import Connection

from newsletter.adapters.db.segments import segment_clause
from newsletter.adapters.db.tables import consent_events, member_tags, members, subscriptions
from newsletter.domain.members import MemberRecord, email_key
from newsletter.domain.segments import FIELDS, MemberFacts, Segment
from newsletter.services.ports import UpsertOutcome

# Fields an import may change on an existing member. ``status`` is deliberately absent: an
# import never resurrects an unsubscribed, bounced or complaining address.
_UPDATABLE = (
    "first_name",
    "last_name",
    "organization",
    "role",
    "country",
    "language",
    "tier",
    "timezone",
)
_CHUNK = 500


class SqlMemberStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def upsert(
        self, records: Sequence[MemberRecord], *, tag: str | None, now: dt.datetime, dry_run: bool
    ) -> UpsertOutcome:
        outcome = UpsertOutcome()
        with self.engine.begin() as conn:
            for start in range(0, len(records), _CHUNK):
                self._chunk(conn, records, start, tag, now, outcome)
            if dry_run:
                conn.rollback()
        return outcome

    def _chunk(
        self,
        conn: Connection,
        records: Sequence[MemberRecord],
        start: int,
        tag: str | None,
        now: dt.datetime,
        outcome: UpsertOutcome,
    ) -> None:
        chunk = records[start : start + _CHUNK]
        keys = [r.email_key for r in chunk]
        existing = {
            row.email_key: row
            for row in conn.execute(select(members).where(members.c.email_key.in_(keys)))
        }
        member_ids = [row.id for row in existing.values()]
        subs: dict[int, set[str]] = {}
        if member_ids:
            for mid, topic in conn.execute(
                select(subscriptions.c.member_id, subscriptions.c.topic).where(
                    subscriptions.c.member_id.in_(member_ids)
                )
            ):
                subs.setdefault(mid, set()).add(topic)

        new_rows = []
        for offset, rec in enumerate(chunk):
            index = start + offset
            row = existing.get(rec.email_key)
            if row is None:
                new_rows.append(_row(rec, now))
                outcome.imported.append(index)
                continue
            changes = {f: getattr(rec, f) for f in _UPDATABLE if getattr(rec, f) != getattr(row, f)}
            new_topics = rec.topics - subs.get(row.id, set())
            if changes:
                conn.execute(
                    update(members).where(members.c.id == row.id).values(**changes, updated_at=now)
                )
            # Only topics never seen before are added; an existing unsubscribed row stays so.
            self._subscribe(conn, row.id, new_topics, rec, now)
            tagged = self._tag(conn, row.id, tag)
            (outcome.updated if changes or new_topics or tagged else outcome.unchanged).append(
                index
            )

        if new_rows:
            conn.execute(insert(members), new_rows)
            ids = dict(
                conn.execute(
                    select(members.c.email_key, members.c.id).where(
                        members.c.email_key.in_([r["email_key"] for r in new_rows])
                    )
                ).all()
            )
            sub_rows: list[dict[str, Any]] = []
            consent_rows: list[dict[str, Any]] = []
            tag_rows: list[dict[str, Any]] = []
            for rec in chunk:
                mid = ids.get(rec.email_key)
                if mid is None or rec.email_key in existing:
                    continue
                for topic in sorted(rec.topics):
                    sub_rows.append(_sub(mid, topic, now))
                    consent_rows.append(_consent(mid, topic, rec, now))
                if tag:
                    tag_rows.append({"member_id": mid, "tag": tag})
            for table, rows in (
                (subscriptions, sub_rows),
                (consent_events, consent_rows),
                (member_tags, tag_rows),
            ):
                if rows:
                    conn.execute(insert(table), rows)

    def _subscribe(
        self,
        conn: Connection,
        mid: int,
        topics: set[str] | frozenset[str],
        rec: MemberRecord,
        now: dt.datetime,
    ) -> None:
        if topics:
            conn.execute(insert(subscriptions), [_sub(mid, t, now) for t in sorted(topics)])
            conn.execute(
                insert(consent_events), [_consent(mid, t, rec, now) for t in sorted(topics)]
            )

    def _tag(self, conn: Connection, mid: int, tag: str | None) -> bool:
        if not tag:
            return False
        found = conn.execute(
            select(member_tags.c.tag).where(
                member_tags.c.member_id == mid, member_tags.c.tag == tag
            )
        ).first()
        if found:
            return False
        conn.execute(insert(member_tags).values(member_id=mid, tag=tag))
        return True

    def count(self, segment: Segment, topic: str | None) -> int:
        query = select(func.count()).select_from(members).where(segment_clause(segment, topic))
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def sample(self, segment: Segment, topic: str | None, limit: int) -> list[dict[str, str]]:
        cols = [
            members.c.email,
            members.c.first_name,
            members.c.last_name,
            members.c.organization,
            members.c.country,
            members.c.language,
            members.c.tier,
        ]
        query = (
            select(*cols).where(segment_clause(segment, topic)).order_by(members.c.id).limit(limit)
        )
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    def facts(self, email: str) -> tuple[MemberFacts, str] | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(members).where(members.c.email_key == email_key(email))
            ).first()
            if row is None:
                return None
            topics = conn.execute(
                select(subscriptions.c.topic).where(
                    subscriptions.c.member_id == row.id, subscriptions.c.status == "subscribed"
                )
            ).scalars()
            tags = conn.execute(
                select(member_tags.c.tag).where(member_tags.c.member_id == row.id)
            ).scalars()
            fields = {f: str(getattr(row, f)) for f in FIELDS} | {"id": str(row.id)}
            return MemberFacts(fields, frozenset(topics), frozenset(tags)), str(row.status)

    def unsubscribe(self, member_id: int, topic: str, *, source: str, now: dt.datetime) -> bool:
        with self.engine.begin() as conn:
            changed = conn.execute(
                update(subscriptions)
                .where(
                    subscriptions.c.member_id == member_id,
                    subscriptions.c.topic == topic,
                    subscriptions.c.status == "subscribed",
                )
                .values(status="unsubscribed", updated_at=now)
            ).rowcount
            if changed:
                conn.execute(
                    insert(consent_events).values(
                        member_id=member_id,
                        topic=topic,
                        action="unsubscribed",
                        source=source,
                        wording_version="",
                        at=now,
                    )
                )
            return bool(changed)


def _row(rec: MemberRecord, now: dt.datetime) -> dict[str, Any]:
    return {
        "email": rec.email,
        "email_key": rec.email_key,
        "first_name": rec.first_name,
        "last_name": rec.last_name,
        "organization": rec.organization,
        "role": rec.role,
        "country": rec.country,
        "language": rec.language,
        "tier": rec.tier,
        "timezone": rec.timezone,
        "consent_source": rec.consent_source,
        "consent_date": rec.consent_date,
        "status": "active",
        "created_at": now,
        "updated_at": now,
    }


def _sub(mid: int, topic: str, now: dt.datetime) -> dict[str, Any]:
    return {"member_id": mid, "topic": topic, "status": "subscribed", "updated_at": now}


def _consent(mid: int, topic: str, rec: MemberRecord, now: dt.datetime) -> dict[str, Any]:
    # The consent is dated when the source says it was given, not when we imported it.
    when = (
        dt.datetime.combine(rec.consent_date, dt.time(), tzinfo=dt.UTC) if rec.consent_date else now
    )
    return {
        "member_id": mid,
        "topic": topic,
        "action": "subscribed",
        "source": rec.consent_source,
        "wording_version": "",
        "at": when,
    }
