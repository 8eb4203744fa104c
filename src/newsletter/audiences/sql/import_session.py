"""One member import in SQL: a transaction, a few set-based statements per chunk of rows.

Per chunk (the service sends about a thousand rows) there is one SELECT for the members already
held, one for their subscriptions, one for their tags and one for the ids of the new members;
then ``executemany`` INSERTs and UPDATEs. No statement runs per row, so 100 000 rows are a few
hundred round trips, not 300 000.

This module is the session: what is held, what changes under the update policy, and the
report of each row. The statements, and the driver-level paths that make them cheap per row,
are in :mod:`newsletter.audiences.sql.import_rows`.

Never changed by an import: a member's ``status`` (unsubscribed, bounced, complained), an
existing subscription's status (an unsubscribe stays), and any field the row left empty. The
update policy decides the rest: ``never`` changes a held member's fields, ``empty`` fills only
the empty ones (a Cyrillic name stays when the file spells it in Latin), ``overwrite`` takes the
file's values. Every change is reported old -> new, every value kept out as well.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from operator import attrgetter
from typing import Any

from sqlalchemy import Column, Select, func, select
from sqlalchemy.engine import Connection, Row

from newsletter.audiences.domain.members import MemberRecord, MemberStatus
from newsletter.audiences.domain.sources import UpdatePolicy
from newsletter.audiences.ports.members import Incoming, UpsertOutcome
from newsletter.audiences.sql.import_rows import (
    CONSENT_COLUMNS,
    HELD,
    MEMBER_COLUMNS,
    SUB_COLUMNS,
    TAG_COLUMNS,
    UPDATABLE,
    UPDATE_MEMBER,
    bulk_insert,
    converter,
    lookup,
)
from newsletter.audiences.sql.search_terms import TERM_COLUMNS, replace_terms, term_rows
from newsletter.audiences.sql.standing import suppress
from newsletter.db.tables import (
    consent_events,
    member_search_terms,
    member_tags,
    members,
    subscriptions,
    suppressions,
)

_updatable = attrgetter(*UPDATABLE)
#: The updatable fields a member is searched by (their search terms are rewritten).
_SEARCHED = frozenset({"first_name", "last_name", "organization"})
_MEMBER_ROW = attrgetter(*MEMBER_COLUMNS[:11])  # email .. consent_source, straight from a record


class SqlImport:
    """The :class:`~newsletter.content.ports.catalog.ImportSession` of one transaction."""

    def __init__(
        self,
        conn: Connection,
        tag: str | None,
        now: dt.datetime,
        *,
        policy: UpdatePolicy = "overwrite",
        topics: frozenset[str] = frozenset(),
    ) -> None:
        self.conn, self.tag = conn, tag
        self.policy, self.topics = policy, topics
        self._ts = converter(conn, members.c.created_at.type)
        self._date = converter(conn, members.c.consent_date.type)
        self.at = now
        self.now = self._ts(now)  # as the driver wants it, converted once
        self._dates: dict[dt.date | None, Any] = {None: None}  # consent date as stored
        self._consented: dict[dt.date | None, Any] = {None: self.now}  # its consent time

    def suppressed(self, hashes: Collection[str]) -> dict[str, str]:
        if not hashes:
            return {}
        query = select(suppressions.c.email_hash, suppressions.c.reason)
        found = self._lookup("suppressed", query, suppressions.c.email_hash, hashes)
        return {email_hash: reason for email_hash, reason in found}

    def suppress(self, hashes: Mapping[str, str]) -> None:
        # A handful per file (the people a source system had unsubscribed or cleaned): one
        # statement each keeps the "only ever worse" rule in one place (sql/standing.py).
        for email_hash, reason in sorted(hashes.items()):
            suppress(self.conn, email_hash, reason, self.at)

    def upsert(self, rows: Sequence[Incoming]) -> UpsertOutcome:
        outcome = UpsertOutcome()
        if not rows:
            return outcome
        held = {
            row.email_key: row
            for row in self._lookup(
                "held", HELD, members.c.email_key, [r.record.email_key for r in rows]
            )
        }
        subs, tagged = self._existing([row.id for row in held.values()])
        new = [(i, r.record) for i, r in enumerate(rows) if r.record.email_key not in held]
        ids = self._insert_members([rec for _, rec in new])
        sub_rows: list[tuple[Any, ...]] = []
        consent_rows: list[tuple[Any, ...]] = []
        tag_rows: list[tuple[Any, ...]] = []
        now, consented = self.now, self._consented
        for index, rec in new:
            mid = ids[rec.email_key]
            at = consented[rec.consent_date]  # filled in by _insert_members
            # The topics staff chose for new people, only with a consent source to show.
            topics = rec.topics or (self.topics if rec.consent_source else frozenset())
            if not topics:
                outcome.idle.append(index)
            for topic in sorted(topics):
                sub_rows.append((mid, topic, "subscribed", now))
                consent_rows.append(
                    (mid, topic, "subscribed", rec.consent_source, rec.consent_wording, at)
                )
        outcome.imported.extend(index for index, _ in new)
        if self.tag:
            tag_rows.extend((ids[rec.email_key], self.tag) for _, rec in new)

        updates: list[dict[str, Any]] = []
        renamed: list[tuple[dict[str, Any], int, str]] = []  # whose search terms change
        for index, incoming in enumerate(rows) if held else ():
            row = held.get(incoming.record.email_key)
            if row is None:
                continue
            rec, given = incoming.record, incoming.given
            wanted, stored = _updatable(rec), tuple(row)[3:]
            changes: list[str] = []
            if wanted != stored:
                changes, kept = self._compare(wanted, stored, given)
                if kept:
                    outcome.kept[index] = kept
            if changes:
                values = {f"b_{f}": getattr(row, f) for f in UPDATABLE}
                values.update({f"b_{f}": getattr(rec, f) for f in changes})
                updates.append({"b_id": row.id, "b_updated_at": self.at, **values})
                if _SEARCHED.intersection(changes):
                    renamed.append((values, row.id, incoming.record.email))
            have = subs.get(row.id, {})
            added = sorted(rec.topics - have.keys())
            for topic in added:
                sub_rows.append((row.id, topic, "subscribed", now))
                consent_rows.append(self._consent(row.id, topic, rec))
            described = [
                *(f"{f}: {getattr(row, f)!r} → {getattr(rec, f)!r}" for f in changes),
                *(f"topic +{t}" for t in added),
            ]
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
            self.conn.execute(UPDATE_MEMBER, updates)
        if renamed:
            replace_terms(
                self.conn,
                [mid for _, mid, _ in renamed],
                [
                    term
                    for v, mid, email in renamed
                    for term in term_rows(
                        mid, v["b_first_name"], v["b_last_name"], v["b_organization"], email
                    )
                ],
            )
        bulk_insert(self.conn, subscriptions, SUB_COLUMNS, sub_rows)
        bulk_insert(self.conn, consent_events, CONSENT_COLUMNS, consent_rows)
        bulk_insert(self.conn, member_tags, TAG_COLUMNS, tag_rows)
        return outcome

    def _compare(
        self, wanted: tuple[Any, ...], stored: tuple[Any, ...], given: frozenset[str]
    ) -> tuple[list[str], tuple[str, ...]]:
        """The fields to change under the policy, and the differing values it keeps out."""
        changes: list[str] = []
        kept: list[str] = []
        for f, new, old in zip(UPDATABLE, wanted, stored, strict=True):
            if new == old or f not in given:
                continue
            if self.policy == "overwrite" or (self.policy == "empty" and old == ""):
                changes.append(f)
            else:
                kept.append(f"{f}: kept {old!r} (the file has {new!r})")
        return changes, tuple(kept)

    def _existing(self, ids: list[int]) -> tuple[dict[int, dict[str, str]], set[int]]:
        subs: dict[int, dict[str, str]] = {}
        tagged: set[int] = set()
        if not ids:
            return subs, tagged
        query = select(subscriptions.c.member_id, subscriptions.c.topic, subscriptions.c.status)
        for mid, topic, status in self._lookup("subs", query, subscriptions.c.member_id, ids):
            subs.setdefault(mid, {})[topic] = status
        if self.tag:
            query = select(member_tags.c.member_id).where(member_tags.c.tag == self.tag)
            found = self._lookup("tagged", query, member_tags.c.member_id, ids, self.tag)
            tagged = {mid for (mid,) in found}
        return subs, tagged

    def _insert_members(self, records: list[MemberRecord]) -> dict[str, int]:
        """Insert, then read the new ids back: the rows numbered above the highest id before
        the insert (a range of the primary key, not a thousand keys to look up). A row another
        writer added meanwhile may be among them (harmless: only our keys are used). Ours are
        all there while ids only grow; if one is not (an id written by hand above a sequence,
        SQLite's random rowids past 2**63 - 1), it is looked up by its key."""
        if not records:
            return {}
        active, now, dates = MemberStatus.ACTIVE.value, self.now, self._dates
        for day in {r.consent_date for r in records}.difference(dates):
            dates[day] = self._date(day)
            self._consent_at(day)
        before = self.conn.execute(select(func.coalesce(func.max(members.c.id), 0))).scalar_one()
        bulk_insert(
            self.conn,
            members,
            MEMBER_COLUMNS,
            [
                (*_MEMBER_ROW(r), dates[r.consent_date], r.consent_wording, active, now, now)
                for r in records
            ],
        )
        query = select(members.c.email_key, members.c.id)
        ids = {key: int(mid) for key, mid in self.conn.execute(query.where(members.c.id > before))}
        missing = [r.email_key for r in records if r.email_key not in ids]
        if missing:
            ids.update(self._lookup("ids", query, members.c.email_key, missing))
        terms = [
            term
            for r in records
            for term in term_rows(
                ids[r.email_key], r.first_name, r.last_name, r.organization, r.email
            )
        ]
        bulk_insert(self.conn, member_search_terms, TERM_COLUMNS, terms)
        return ids

    def _lookup(
        self,
        name: str,
        query: Select[Any],
        column: Column[Any],
        values: Collection[Any],
        *before: Any,
    ) -> Sequence[Any]:
        """:func:`~newsletter.audiences.sql.import_rows.lookup` in this session's transaction."""
        return lookup(self.conn, name, query, column, values, *before)

    def _consent(self, mid: int, topic: str, rec: MemberRecord) -> tuple[Any, ...]:
        at = self._consent_at(rec.consent_date)
        return (mid, topic, "subscribed", rec.consent_source, rec.consent_wording, at)

    def _consent_at(self, day: dt.date | None) -> Any:
        """Consent is dated when the source says it was given, not when we imported it (GDPR
        Art. 7(1)); without a date, now. Converted for the driver once per distinct date."""
        at = self._consented.get(day)
        if at is None and day is not None:
            at = self._consented[day] = self._ts(dt.datetime.combine(day, dt.time(), dt.UTC))
        return at


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
