"""Member search and one member's events for the staff pages, in SQL.

Search goes through ``member_search_terms`` (the folded words of each member's name,
organisation and address: core/search_keys.py), not through the members themselves: each query
word is a range of the ``(term, member_id)`` index (``term >= 'rist' AND term < 'risu'``), and a
member must match every word. So ``Ristić``, ``ristic`` and ``Ристић`` find ``Бранислав Ристић``
in the time of an index lookup; measured on 100,000 members in ``benchmarks/member_search.py``
(benchmarks/README.md). A token table rather than one key column with ``LIKE 'prefix%'``: a
column's prefix only matches its first word, so "Ristić" would not find "Branislav Ristić"; a
row per word lets every word be a prefix. A text search is counted and paged on that index
alone (in member order), so only the page's 50 members are read from ``members``. The filters
(segment, language, country, tier, status) are plain conditions on ``members``; a list without
a text search is ordered by address.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    and_,
    exists,
    func,
    literal,
    or_,
    select,
    union,
    update,
)

from newsletter.audiences.ports.member_directory import (
    EDITABLE,
    TEXT_MATCHES_COUNTED,
    MemberEvent,
    MemberFilter,
    MemberSummary,
)
from newsletter.audiences.sql.search_terms import replace_terms, term_rows
from newsletter.audiences.sql.segment_compiler import segment_clause
from newsletter.core.search_keys import prefix_range
from newsletter.db.tables import campaigns, deliveries, events, member_search_terms, members

M = members
_SUMMARY = (
    M.c.id,
    M.c.email,
    M.c.first_name,
    M.c.last_name,
    M.c.organization,
    M.c.country,
    M.c.language,
    M.c.tier,
    M.c.status,
)


def _utc(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; every stamp we write is UTC."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class SqlDirectory:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def search(
        self, found: MemberFilter, *, offset: int, limit: int
    ) -> tuple[int, list[MemberSummary]]:
        if found.nothing:
            return 0, []
        if found.words:
            return self._by_words(found, offset, limit)
        where = _where(found)
        # One pass: the total rides along each row of the page (a window function; SQLite
        # 3.25+, PostgreSQL). Only an empty page past the first needs a count of its own.
        # Without any condition the plain count is cheaper (no rows to carry).
        filtered = where is not None
        condition = where if where is not None else literal(True)
        total_of = func.count().over() if filtered else literal(-1)
        query = select(*_SUMMARY, total_of.label("total")).where(condition)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(M.c.email_key).offset(offset).limit(limit)).all()
            if rows and filtered:
                total = int(rows[0].total)
            elif filtered and not offset:
                total = 0
            else:
                total = conn.execute(
                    select(func.count()).select_from(M).where(condition)
                ).scalar_one()
        return int(total), _summaries(rows)

    def _by_words(
        self, found: MemberFilter, offset: int, limit: int
    ) -> tuple[int, list[MemberSummary]]:
        """A text search, answered from the terms index: the members whose terms match every
        word, counted there (index only) and paged in member order (the order they joined
        the list), so that only the page's 50 members are read from ``members``. Ordering by
        address or name instead would read every match first: measured 3-6x the CPU time
        (benchmarks/README.md)."""
        T = member_search_terms
        with self.engine.connect() as conn:
            first, *rest = _narrowest_first(conn, found.words)
        low, high = prefix_range(first)
        conditions = [
            T.c.term >= low,
            T.c.term < high,
            *(_has_word(w, T.c.member_id) for w in rest),
        ]
        held = _member_conditions(found)
        if held:
            conditions.append(T.c.member_id.in_(select(M.c.id).where(*held)))
        # Counted up to one past TEXT_MATCHES_COUNTED: "more than 1,000" is all a search box
        # needs to say, and a one-letter query then reads 1,001 members' terms, not 30,000.
        matches = select(T.c.member_id).where(*conditions)
        if found.address:  # or the start of an address: the same index, one more range
            start, end = prefix_range(found.address)
            by_address = select(T.c.member_id).where(T.c.term >= start, T.c.term < end)
            if held:
                by_address = by_address.where(T.c.member_id.in_(select(M.c.id).where(*held)))
            matched = union(matches, by_address).subquery()
        else:
            matched = matches.distinct().subquery()
        count = select(func.count()).select_from(
            select(matched.c.member_id).limit(TEXT_MATCHES_COUNTED + 1).subquery()
        )
        page = (
            select(matched.c.member_id)
            .order_by(matched.c.member_id)
            .offset(offset)
            .limit(limit)
            .subquery()
        )
        query = (
            select(*_SUMMARY, literal(-1).label("total"))
            .join_from(page, M, M.c.id == page.c.member_id)
            .order_by(M.c.id)
        )
        with self.engine.connect() as conn:
            total = conn.execute(count).scalar_one()
            rows = conn.execute(query).all() if total > offset else []
        return int(total), _summaries(rows)

    def profile(self, member_id: int) -> dict[str, str] | None:
        query = select(M.c.email, *(M.c[f] for f in EDITABLE)).where(M.c.id == member_id)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else {k: str(v) for k, v in row._mapping.items()}

    def update_profile(
        self, member_id: int, values: Mapping[str, str], *, now: dt.datetime
    ) -> list[str]:
        wanted = {k: v for k, v in values.items() if k in EDITABLE}
        with self.engine.begin() as conn:
            query = select(M.c.email, *(M.c[f] for f in EDITABLE)).where(M.c.id == member_id)
            row = conn.execute(query.with_for_update()).first()
            if row is None:
                return []
            held = row._mapping
            changed = [f for f in EDITABLE if f in wanted and wanted[f] != held[f]]
            if not changed:
                return []
            conn.execute(
                update(M)
                .where(M.c.id == member_id)
                .values({**{f: wanted[f] for f in changed}, "updated_at": now})
            )
            if {"first_name", "last_name", "organization"} & set(changed):
                after = {**held, **wanted}
                replace_terms(
                    conn,
                    [member_id],
                    term_rows(
                        member_id,
                        after["first_name"],
                        after["last_name"],
                        after["organization"],
                        str(held["email"]),
                    ),
                )
        return changed

    def facets(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        with self.engine.connect() as conn:
            for name in ("country", "language", "tier", "status"):
                column = M.c[name]
                values = conn.execute(select(column).distinct().order_by(column)).scalars()
                out[name] = [str(v) for v in values if v]
        return out

    def email_of(self, member_id: int) -> str | None:
        with self.engine.connect() as conn:
            found = conn.execute(select(M.c.email).where(M.c.id == member_id)).scalar()
        return None if found is None else str(found)

    def events_of(self, member_id: int, limit: int) -> list[MemberEvent]:
        E, D, C = events, deliveries, campaigns
        query = (
            select(E.c.event, E.c.occurred_at, C.c.slug, D.c.step)
            .select_from(
                E.outerjoin(D, D.c.id == E.c.delivery_id).outerjoin(C, C.c.id == D.c.campaign_id)
            )
            .where(or_(E.c.member_id == member_id, D.c.member_id == member_id))
            .order_by(E.c.occurred_at.desc(), E.c.id.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            MemberEvent(str(r.event), _utc(r.occurred_at), str(r.slug or ""), str(r.step or ""))
            for r in rows
        ]


def _summaries(rows: Sequence[Sequence[Any]]) -> list[MemberSummary]:
    """The rows of a page (the summary's columns, then the total)."""
    return [MemberSummary(int(r[0]), *(str(v) for v in r[1:-1])) for r in rows]


def _where(found: MemberFilter) -> ColumnElement[bool] | None:
    """The conditions of a filter on ``members``, or None when it selects everyone."""
    conditions = [*(_has_word(w, M.c.id) for w in found.words), *_member_conditions(found)]
    return and_(*conditions) if conditions else None


def _member_conditions(found: MemberFilter) -> list[ColumnElement[bool]]:
    """The filters that are columns of ``members`` (and the segment's rule over them)."""
    conditions: list[ColumnElement[bool]] = []
    for name in ("language", "country", "tier", "status"):
        value = getattr(found, name)
        if value:
            conditions.append(M.c[name] == value)
    if found.segment is not None:
        conditions.append(segment_clause(found.segment, None))
    return conditions


def _narrowest_first(conn: Connection, words: Sequence[str]) -> list[str]:
    """The query's words, the one with the fewest terms first: it drives the search and the
    others are looked up for its members only. Each count is one index range (under a
    millisecond for the commonest first names of 100,000 members), cheaper than guessing
    from the word's length (two Cyrillic names: 24 ms of CPU driven by the wrong one, 11 ms
    by the right one)."""
    if len(words) < 2:
        return list(words)
    T = member_search_terms
    sizes = {}
    for word in words:
        low, high = prefix_range(word)
        query = select(func.count()).where(T.c.term >= low, T.c.term < high)
        sizes[word] = conn.execute(query).scalar_one()
    return sorted(words, key=lambda w: (sizes[w], -len(w)))


def _has_word(word: str, member_id: ColumnElement[int]) -> ColumnElement[bool]:
    """``member_id`` has a search term starting with ``word``: one seek in the key
    (member_id, term) per member asked about, not a list of every member with the word."""
    T = member_search_terms.alias()
    low, high = prefix_range(word)
    return exists().where(T.c.member_id == member_id, T.c.term >= low, T.c.term < high)
