"""One member import in SQL: a transaction, a few set-based statements per chunk of rows.

Per chunk (the service sends about a thousand rows) there is one SELECT for the members already
held, one for their subscriptions, one for their tags and one for the ids of the new members;
then ``executemany`` INSERTs and UPDATEs. No statement runs per row, so 100 000 rows are a few
hundred round trips, not 300 000.

The INSERTs go to the driver as plain tuples (:func:`_bulk_insert`): SQLAlchemy's per-row
parameter handling alone cost ~6 µs a row, more than the rest of the insert. Values that need
conversion for the backend (timestamps on SQLite) are converted once, not per row.

Never changed by an import: a member's ``status`` (unsubscribed, bounced, complained), an
existing subscription's status (an unsubscribe stays), and any field the row left empty.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Sequence
from operator import attrgetter
from typing import Any

from sqlalchemy import ARRAY, Column, ColumnElement, Table, any_, bindparam, select, update
from sqlalchemy.engine import Connection, Row

from newsletter.adapters.db.tables import (
    consent_events,
    member_tags,
    members,
    subscriptions,
    suppressions,
)
from newsletter.domain.members import MemberRecord, MemberStatus
from newsletter.services.ports import Incoming, UpsertOutcome

# Fields an import may change on an existing member. ``status`` is deliberately absent, and so
# are the consent columns: the member row keeps how we first got consent; later consents are
# rows of ``consent_events``.
UPDATABLE = (
    "first_name",
    "last_name",
    "organization",
    "role",
    "country",
    "language",
    "tier",
    "timezone",
)
_updatable = attrgetter(*UPDATABLE)
_UPDATE = (
    update(members)
    .where(members.c.id == bindparam("b_id"))
    .values({f: bindparam(f"b_{f}") for f in (*UPDATABLE, "updated_at")})
)
# What an update compares: no timestamps, whose parsing (text on SQLite) would cost per row.
_HELD = select(
    members.c.id, members.c.email_key, members.c.status, *(members.c[f] for f in UPDATABLE)
)
_MEMBER_COLUMNS = (
    "email",
    "email_key",
    "first_name",
    "last_name",
    "organization",
    "role",
    "country",
    "language",
    "tier",
    "timezone",
    "consent_source",
    "consent_date",
    "consent_wording",
    "status",
    "created_at",
    "updated_at",
)
_SUB_COLUMNS = ("member_id", "topic", "status", "updated_at")
_CONSENT_COLUMNS = ("member_id", "topic", "action", "source", "wording_version", "at")
_TAG_COLUMNS = ("member_id", "tag")


class SqlImport:
    """The :class:`~newsletter.services.ports.ImportSession` of one transaction."""

    def __init__(self, conn: Connection, tag: str | None, now: dt.datetime) -> None:
        self.conn, self.tag = conn, tag
        self._ts = _converter(conn, members.c.created_at.type)
        self._date = _converter(conn, members.c.consent_date.type)
        self.at = now
        self.now = self._ts(now)  # as the driver wants it, converted once
        self._consented: dict[dt.date, Any] = {}

    def suppressed(self, hashes: Collection[str]) -> dict[str, str]:
        if not hashes:
            return {}
        query = select(suppressions.c.email_hash, suppressions.c.reason).where(
            self._in(suppressions.c.email_hash, hashes)
        )
        return {h: r for h, r in self.conn.execute(query).all()}

    def upsert(self, rows: Sequence[Incoming]) -> UpsertOutcome:
        outcome = UpsertOutcome()
        if not rows:
            return outcome
        conn = self.conn
        keys = [r.record.email_key for r in rows]
        held = {
            row.email_key: row
            for row in conn.execute(_HELD.where(self._in(members.c.email_key, keys)))
        }
        subs, tagged = self._existing([row.id for row in held.values()])

        new = [(i, r.record) for i, r in enumerate(rows) if r.record.email_key not in held]
        ids = self._insert_members([rec for _, rec in new])
        sub_rows: list[tuple[Any, ...]] = []
        consent_rows: list[tuple[Any, ...]] = []
        tag_rows: list[tuple[Any, ...]] = []
        for index, rec in new:
            mid = ids[rec.email_key]
            outcome.imported.append(index)
            for topic in sorted(rec.topics):
                sub_rows.append((mid, topic, "subscribed", self.now))
                consent_rows.append(self._consent(mid, topic, rec))
            if self.tag:
                tag_rows.append((mid, self.tag))

        updates: list[dict[str, Any]] = []
        for index, incoming in enumerate(rows):
            row = held.get(incoming.record.email_key)
            if row is None:
                continue
            rec, given = incoming.record, incoming.given
            wanted, stored = _updatable(rec), tuple(row)[3:]
            changes = []
            if wanted != stored:
                changes = [
                    f
                    for f, a, b in zip(UPDATABLE, wanted, stored, strict=True)
                    if a != b and f in given
                ]
            if changes:
                values = {f"b_{f}": getattr(row, f) for f in UPDATABLE}
                values.update({f"b_{f}": getattr(rec, f) for f in changes})
                updates.append({"b_id": row.id, "b_updated_at": self.at, **values})
            have = subs.get(row.id, {})
            added = sorted(rec.topics - have.keys())
            for topic in added:
                sub_rows.append((row.id, topic, "subscribed", self.now))
                consent_rows.append(self._consent(row.id, topic, rec))
            described = [*changes, *(f"topic +{t}" for t in added)]
            if self.tag and row.id not in tagged:
                tag_rows.append((row.id, self.tag))
                described.append(f"tag +{self.tag}")
            if described:
                outcome.updated[index] = tuple(described)
            else:
                outcome.unchanged.append(index)
            notes = _notes(row, rec, have)
            if notes:
                outcome.notes[index] = notes

        if updates:
            conn.execute(_UPDATE, updates)
        _bulk_insert(conn, subscriptions, _SUB_COLUMNS, sub_rows)
        _bulk_insert(conn, consent_events, _CONSENT_COLUMNS, consent_rows)
        _bulk_insert(conn, member_tags, _TAG_COLUMNS, tag_rows)
        return outcome

    def _existing(self, ids: list[int]) -> tuple[dict[int, dict[str, str]], set[int]]:
        subs: dict[int, dict[str, str]] = {}
        tagged: set[int] = set()
        if not ids:
            return subs, tagged
        query = select(subscriptions.c.member_id, subscriptions.c.topic, subscriptions.c.status)
        for mid, topic, status in self.conn.execute(
            query.where(self._in(subscriptions.c.member_id, ids))
        ).all():
            subs.setdefault(mid, {})[topic] = status
        if self.tag:
            tagged = set(
                self.conn.execute(
                    select(member_tags.c.member_id).where(
                        self._in(member_tags.c.member_id, ids), member_tags.c.tag == self.tag
                    )
                ).scalars()
            )
        return subs, tagged

    def _insert_members(self, records: list[MemberRecord]) -> dict[str, int]:
        """Insert, then read the new ids back by address key (one SELECT for the chunk)."""
        if not records:
            return {}
        active, now = MemberStatus.ACTIVE.value, self.now
        _bulk_insert(
            self.conn,
            members,
            _MEMBER_COLUMNS,
            [
                (
                    r.email,
                    r.email_key,
                    r.first_name,
                    r.last_name,
                    r.organization,
                    r.role,
                    r.country,
                    r.language,
                    r.tier,
                    r.timezone,
                    r.consent_source,
                    None if r.consent_date is None else self._date(r.consent_date),
                    r.consent_wording,
                    active,
                    now,
                    now,
                )
                for r in records
            ],
        )
        query = select(members.c.email_key, members.c.id).where(
            self._in(members.c.email_key, [r.email_key for r in records])
        )
        return {key: int(mid) for key, mid in self.conn.execute(query).all()}

    def _in(self, column: Column[Any], values: Collection[Any]) -> ColumnElement[bool]:
        """``column IN (...)``; on PostgreSQL ``= ANY(array)``: one parameter instead of a
        thousand, which psycopg would otherwise parse out of the SQL text every time."""
        if self.conn.dialect.name == "postgresql":
            return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
        return column.in_(list(values))

    def _consent(self, mid: int, topic: str, rec: MemberRecord) -> tuple[Any, ...]:
        # Dated when the source says consent was given, not when we imported it (Art. 7(1)).
        when = rec.consent_date
        if when is None:
            at = self.now
        elif (at := self._consented.get(when)) is None:
            at = self._consented[when] = self._ts(dt.datetime.combine(when, dt.time(), dt.UTC))
        return (mid, topic, "subscribed", rec.consent_source, rec.consent_wording, at)


def _bulk_insert(
    conn: Connection, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """Plain tuples straight to the driver (values already converted): ``COPY`` on
    PostgreSQL (psycopg's executemany costs ~40 µs a row in Python), ``executemany`` else."""
    if not rows:
        return
    quote = conn.dialect.identifier_preparer.quote
    if conn.dialect.name == "postgresql":
        names = ", ".join(quote(c) for c in columns)
        driver: Any = conn.connection.dbapi_connection  # psycopg 3, in our open transaction
        with (
            driver.cursor() as cursor,
            cursor.copy(f"COPY {quote(table.name)} ({names}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    # Table and column names come from tables.py, never from input; values are parameters.
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "  # noqa: S608
        f"VALUES ({', '.join([mark] * len(columns))})"
    )
    conn.exec_driver_sql(sql, rows)


def _converter(conn: Connection, type_: Any) -> Callable[[Any], Any]:
    """The dialect's own conversion for a column type (SQLite stores timestamps as text)."""
    process = type_._cached_bind_processor(conn.dialect)
    return process if process is not None else (lambda value: value)


def _notes(row: Row[Any], rec: MemberRecord, have: dict[str, str]) -> tuple[str, ...]:
    if row.status == MemberStatus.ACTIVE.value and "unsubscribed" not in have.values():
        return ()
    notes = []
    if row.status != MemberStatus.ACTIVE.value:
        notes.append(f"address is {row.status}: kept so, nothing will be sent to it")
    kept = sorted(t for t in rec.topics if have.get(t, "subscribed") != "subscribed")
    if kept:
        notes.append(f"stays unsubscribed from {', '.join(kept)}")
    return tuple(notes)
