"""How a member import's rows reach the database: the statements and column lists of
:mod:`newsletter.audiences.sql.import_session`, and the paths that hand them to the driver.

The INSERTs go to the driver as plain tuples (:func:`bulk_insert`): SQLAlchemy's per-row
parameter handling alone cost ~6 µs a row, more than the rest of the insert. Values that need
conversion for the backend (timestamps on SQLite) are converted once, not per row
(:func:`converter`). On SQLite the keyed lookups go to the driver too (:data:`_SQLITE`):
SQLAlchemy expands a 1000-value ``IN`` afresh on every execution, which cost more than the
lookup itself.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any

from sqlalchemy import ARRAY, Column, Select, Table, any_, bindparam, select, update
from sqlalchemy.engine import Connection

from newsletter.audiences.domain.members import PROFILE_FIELDS
from newsletter.db.tables import members

# Fields an import may change on an existing member: the profile (no status, no consent).
UPDATABLE = PROFILE_FIELDS
UPDATE_MEMBER = (
    update(members)
    .where(members.c.id == bindparam("b_id"))
    .values({f: bindparam(f"b_{f}") for f in (*UPDATABLE, "updated_at")})
)
# What an update compares: no timestamps, whose parsing (text on SQLite) would cost per row.
HELD = select(
    members.c.id, members.c.email_key, members.c.status, *(members.c[f] for f in UPDATABLE)
)
MEMBER_COLUMNS = (
    "email",
    "email_key",
    *PROFILE_FIELDS,
    "consent_source",
    "consent_date",
    "consent_wording",
    "status",
    "created_at",
    "updated_at",
)
SUB_COLUMNS = ("member_id", "topic", "status", "updated_at")
CONSENT_COLUMNS = ("member_id", "topic", "action", "source", "wording_version", "at")
TAG_COLUMNS = ("member_id", "tag")
# The same lookups as the SQLAlchemy statements used on PostgreSQL, for the sqlite3 driver;
# ``{}`` takes one ``?`` per value. Names as in db/tables/; values are always parameters.
_SQLITE = {
    "held": f"SELECT id, email_key, status, {', '.join(UPDATABLE)} FROM members "  # noqa: S608
    "WHERE email_key IN ({})",
    "subs": "SELECT member_id, topic, status FROM subscriptions WHERE member_id IN ({})",
    "tagged": "SELECT member_id FROM member_tags WHERE tag = ? AND member_id IN ({})",
    "suppressed": "SELECT email_hash, reason FROM suppressions WHERE email_hash IN ({})",
    "ids": "SELECT email_key, id FROM members WHERE email_key IN ({})",
}


def lookup(
    conn: Connection,
    name: str,
    query: Select[Any],
    column: Column[Any],
    values: Collection[Any],
    *before: Any,
) -> Sequence[Any]:
    """The rows of ``query`` whose ``column`` is one of ``values``: ``= ANY(array)`` on
    PostgreSQL (one parameter instead of a thousand, which psycopg would otherwise parse
    out of the SQL text every time), ``IN (?, ...)`` handed to sqlite3 directly."""
    if conn.dialect.name != "sqlite":
        array = bindparam(None, list(values), type_=ARRAY(column.type))
        return conn.execute(query.where(column == any_(array))).all()
    sql = _SQLITE[name].format(",".join("?" * len(values)))
    return conn.exec_driver_sql(sql, (*before, *values)).all()


def bulk_insert(
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
    # Table and column names come from db/tables/, never from input; values are parameters.
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "  # noqa: S608
        f"VALUES ({', '.join([mark] * len(columns))})"
    )
    conn.exec_driver_sql(sql, rows)


def converter(conn: Connection, type_: Any) -> Callable[[Any], Any]:
    """The dialect's own conversion for a column type (SQLite stores timestamps as text)."""
    process = type_._cached_bind_processor(conn.dialect)
    return process if process is not None else (lambda value: value)
