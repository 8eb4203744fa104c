"""Keeping ``member_search_terms`` in step with the members they describe.

Every writer of a member's name, organisation or address calls one of these in the same
transaction as its own write (imports, sign-ups, the staff profile form), so the search never
sees a member without their terms nor with stale ones. Rows are plain ``(member_id, term)``
tuples so that the import can hand them to its bulk path (``COPY`` on PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, delete, insert

from newsletter.core.search_keys import member_terms
from newsletter.db.tables import member_search_terms

TERM_COLUMNS = ("member_id", "term")


def term_rows(
    member_id: int, first_name: str, last_name: str, organization: str, email: str
) -> list[tuple[int, str]]:
    """The rows of one member, in a stable order."""
    terms = member_terms(first_name, last_name, organization, email)
    return [(member_id, term) for term in sorted(terms)]


def write_terms(conn: Connection, rows: Sequence[tuple[int, str]]) -> None:
    """Insert rows for members that have none yet (new members)."""
    if rows:
        conn.execute(
            insert(member_search_terms), [dict(zip(TERM_COLUMNS, r, strict=True)) for r in rows]
        )


def replace_terms(conn: Connection, member_ids: Iterable[int], rows: Sequence[Any]) -> None:
    """Replace the terms of ``member_ids`` (whose name, organisation or address changed) by
    ``rows``."""
    ids = sorted(set(member_ids))
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        conn.execute(delete(member_search_terms).where(member_search_terms.c.member_id.in_(chunk)))
    write_terms(conn, rows)
