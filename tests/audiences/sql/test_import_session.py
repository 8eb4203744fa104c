"""The SQL of an import, on SQLite and PostgreSQL: new members get their own subscriptions and
consent even when ids do not simply grow, and one import is one transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, insert, select

from newsletter.audiences import member_rows
from newsletter.audiences.files.member_files import read_member_file
from newsletter.audiences.imports import import_members
from newsletter.audiences.sql.import_session import SqlImport
from newsletter.config import Settings
from newsletter.db.engine import make_engine
from newsletter.db.tables import consent_events, members, subscriptions
from tests.services import Services

ROWS = "email,first_name,topics,consent_source,consent_date\n" + "".join(
    f"p{i}@klaster.example,P{i},events;calls,form,2015-0{1 + i}-01\n" for i in range(5)
)


@pytest.fixture
def engine(settings: Settings, ctx: Services) -> Iterator[Engine]:
    built = make_engine(settings.database_url)
    yield built
    built.dispose()


def topics_by_member(engine: Engine) -> dict[str, list[tuple[str, str]]]:
    with engine.connect() as conn:
        found = conn.execute(
            select(members.c.first_name, subscriptions.c.topic, consent_events.c.at)
            .join(subscriptions, subscriptions.c.member_id == members.c.id)
            .join(
                consent_events,
                (consent_events.c.member_id == members.c.id)
                & (consent_events.c.topic == subscriptions.c.topic),
            )
            .order_by(members.c.first_name, subscriptions.c.topic)
        ).all()
    out: dict[str, list[tuple[str, str]]] = {}
    for name, topic, at in found:
        out.setdefault(name, []).append((topic, at.date().isoformat()))
    return out


def test_new_members_are_found_when_ids_do_not_simply_grow(
    ctx: Services,
    engine: Engine,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lookups: list[str] = []
    real = SqlImport._lookup

    def spy(self: SqlImport, name: str, *args: Any) -> Sequence[Any]:
        lookups.append(name)
        return real(self, name, *args)

    monkeypatch.setattr(SqlImport, "_lookup", spy)
    # A row with an id written by hand: above PostgreSQL's sequence, and on SQLite the largest
    # rowid there is, after which SQLite picks rowids at random (sqlite.org/autoinc.html).
    top = 2**63 - 1 if settings.database_url.startswith("sqlite") else 10**9
    at = dt.datetime(2015, 1, 1, tzinfo=dt.UTC)
    with engine.begin() as conn:
        conn.execute(
            insert(members).values(
                id=top,
                email="top@x.example",
                email_key="top@x.example",
                created_at=at,
                updated_at=at,
            )
        )
    path = tmp_path / "m.csv"
    path.write_text(ROWS, encoding="utf-8")
    report = import_members(ctx, read_member_file(path).rows, source=str(path))
    assert report.imported == 5
    assert "ids" in lookups  # the new ids were not all above the old highest one
    assert topics_by_member(engine) == {
        f"P{i}": [("calls", f"2015-0{1 + i}-01"), ("events", f"2015-0{1 + i}-01")] for i in range(5)
    }


def test_an_import_is_one_transaction(
    ctx: Services, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(member_rows, "CHUNK", 2)  # two chunks written before the failure
    path = tmp_path / "m.csv"
    path.write_text(ROWS, encoding="utf-8")
    found = read_member_file(path)

    def rows_then_crash() -> Iterator[object]:
        yield from found.rows
        raise RuntimeError("the disk is gone")

    with pytest.raises(RuntimeError, match="disk"):
        import_members(ctx, rows_then_crash(), source=str(path))  # type: ignore[arg-type]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(members)).scalar_one() == 0
