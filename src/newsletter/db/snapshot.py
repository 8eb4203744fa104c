"""Copy one database into another (``schedule simulate`` rehearses on a copy, so the real
ledger is never touched). Goes table by table through SQLAlchemy, so the source may be SQLite
or PostgreSQL; the copy is SQLite."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import SQLAlchemyError

from newsletter.db.tables import metadata

#: The scheduler's own state stays behind: a rehearsal must not look like a second leader.
LEFT_OUT = frozenset({"scheduler_lock", "scheduler_jobs"})
CHUNK = 2000


def copy_database(
    source: Engine, target: Engine, *, left_out: Collection[str] = LEFT_OUT
) -> dict[str, int]:
    """Rows copied per table (tables missing in the source are skipped)."""
    copied: dict[str, int] = {}
    for table in metadata.sorted_tables:  # parents before children (foreign keys)
        if table.name in left_out:
            continue
        try:
            with source.connect() as src, target.begin() as dst:
                n = 0
                rows = src.execution_options(yield_per=CHUNK).execute(select(table))
                for chunk in rows.mappings().partitions(CHUNK):
                    dst.execute(insert(table), [_plain(dict(r)) for r in chunk])
                    n += len(chunk)
                copied[table.name] = n
        except SQLAlchemyError:
            continue  # a table another branch of the schema has not created
    return copied


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    # SQLite stores DateTime as naive text: write every instant in UTC.
    return {
        k: v.astimezone(dt.UTC).replace(tzinfo=None)
        if isinstance(v, dt.datetime) and v.tzinfo
        else v
        for k, v in row.items()
    }
