"""Members in SQL: imports (one transaction each), segment counts and samples, facts for
``segments explain``, unsubscribes. Person-level reads, erasure and exports: ``people.py``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from newsletter.audiences.domain.deliveries import DeliveryStatus
from newsletter.audiences.domain.segments import FIELDS, MemberFacts, Segment
from newsletter.audiences.domain.sources import UpdatePolicy
from newsletter.audiences.sql.import_presets import SqlImportPresets
from newsletter.audiences.sql.import_session import SqlImport
from newsletter.audiences.sql.person_data import SqlPeople
from newsletter.audiences.sql.segment_compiler import segment_clause
from newsletter.core.addresses import AddressError, email_key, normalize_address
from newsletter.db.tables import (
    campaigns,
    consent_events,
    deliveries,
    member_tags,
    members,
    subscriptions,
)
from newsletter.errors import StateError


class SqlMemberStore(SqlPeople, SqlImportPresets):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextmanager
    def importing(
        self,
        *,
        tag: str | None,
        now: dt.datetime,
        dry_run: bool,
        policy: UpdatePolicy = "overwrite",
        topics: frozenset[str] = frozenset(),
    ) -> Iterator[SqlImport]:
        """One transaction for the whole import: all of it or nothing; rolled back when dry."""
        with self.engine.connect() as conn:
            transaction = conn.begin()
            if conn.dialect.name == "postgresql":
                # The tables grow inside this one transaction, where autovacuum cannot analyse
                # them: the planner keeps thinking they are empty and scans 100k rows for each
                # 1000-key lookup (measured: minutes). Every statement here is a keyed lookup.
                conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            try:
                yield SqlImport(conn, tag, now, policy=policy, topics=topics)
            except IntegrityError as exc:
                transaction.rollback()
                raise StateError(
                    "another import added some of the same members meanwhile; "
                    "nothing was imported, run the import again"
                ) from exc
            except BaseException:
                transaction.rollback()
                raise
            if dry_run:
                transaction.rollback()
                return
            transaction.commit()
            analyse_after_import(conn)

    def count(self, segment: Segment, topic: str | None) -> int:
        query = select(func.count()).select_from(members).where(segment_clause(segment, topic))
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def language_counts(self, segment: Segment, topic: str | None) -> dict[str, int]:
        query = (
            select(members.c.language, func.count())
            .where(segment_clause(segment, topic))
            .group_by(members.c.language)
        )
        with self.engine.connect() as conn:
            return {str(lang or ""): int(n) for lang, n in conn.execute(query)}

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
            query = select(members).where(members.c.email_key == lookup_key(email))
            row = conn.execute(query).first()
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
            received = conn.execute(
                select(campaigns.c.slug)
                .join(deliveries, deliveries.c.campaign_id == campaigns.c.id)
                .where(
                    deliveries.c.member_id == row.id,
                    deliveries.c.status == DeliveryStatus.SENT.value,
                )
            ).scalars()
            fields = {f: str(getattr(row, f)) for f in FIELDS} | {"id": str(row.id)}
            facts = MemberFacts(fields, frozenset(topics), frozenset(tags), frozenset(received))
            return facts, str(row.status)

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


def lookup_key(email: str) -> str:
    """The dedupe key of an address as typed by staff (IDN domains in either form)."""
    try:
        return normalize_address(email)[1]
    except AddressError:
        return email_key(email)


#: What an import changes: the tables the audience queries of the next send read.
IMPORTED_TABLES = ("members", "subscriptions", "member_tags", "consent_events")


def analyse_after_import(conn: Connection) -> None:
    """Give the planner fresh statistics for what an import just changed. Right after a large
    import autovacuum has not analysed the tables yet, and PostgreSQL planned the first send's
    audience count as if they were empty (seen: over 30 s of server CPU on 100,000 members
    before anything was sent). SQLite's ``PRAGMA optimize`` is the counterpart there
    (https://sqlite.org/lang_analyze.html)."""
    with conn.begin():
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"ANALYZE {', '.join(IMPORTED_TABLES)}")
        else:
            conn.exec_driver_sql("PRAGMA optimize")
