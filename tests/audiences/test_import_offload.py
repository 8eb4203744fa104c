"""An import whose rows are checked in a forked child gives the report and the stored data of
an import done in one process, on SQLite and PostgreSQL: new rows, updates, duplicates across
chunks, suppressed addresses, a row limit hit in the child."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from newsletter.audiences import member_rows
from newsletter.audiences.data_rights import erase_person
from newsletter.audiences.files.forked import can_fork, forked
from newsletter.audiences.files.member_files import read_member_file
from newsletter.audiences.imports import ImportReport, import_members
from newsletter.config import Settings
from newsletter.db.engine import make_engine
from newsletter.db.tables import consent_events, members, subscriptions
from newsletter.errors import ImportFileError
from tests import hostile
from tests.services import Services

pytestmark = pytest.mark.skipif(not can_fork(), reason="needs fork and a single thread")


def run(ctx: Services, path: Path, *, offload: bool, dry_run: bool = False) -> ImportReport:
    found = read_member_file(path)
    return import_members(
        ctx,
        found.rows,
        source=str(path),
        dry_run=dry_run,
        tag="dofc",
        offload=forked if offload else None,
    )


def everything(report: ImportReport) -> dict[str, Any]:
    return report.as_dict() | {"cells": {n: dict(c) for n, c in report.rejected_cells.items()}}


def stored(settings: Settings) -> list[tuple[Any, ...]]:
    engine = make_engine(settings.database_url)
    with engine.connect() as conn:
        people = conn.execute(
            select(members.c.email, members.c.first_name, members.c.tier).order_by("email")
        ).all()
        subs = conn.execute(
            select(members.c.email, subscriptions.c.topic)
            .join(members, members.c.id == subscriptions.c.member_id)
            .order_by(members.c.email, subscriptions.c.topic)
        ).all()
        consent = conn.execute(
            select(members.c.email, consent_events.c.topic, consent_events.c.at)
            .join(members, members.c.id == consent_events.c.member_id)
            .order_by(members.c.email, consent_events.c.topic)
        ).all()
    engine.dispose()
    return [*map(tuple, people), *map(tuple, subs), *map(tuple, consent)]


def big_file(tmp_path: Path) -> Path:
    """Hostile rows, then enough plain ones for several chunks, a duplicate across chunks."""
    path = tmp_path / "mixed.csv"
    head = hostile.UTF8_BOM.replace(";", ",").split("\r\n")[0]
    rows = [
        f"p{i}@cluster{i % 7}.example,Ана,Petrović,Cluster {i % 7},RS,sr-Latn,member,"
        f"events;calls,membership-agreement,2014-0{1 + i % 9}-01,v1"
        for i in range(25)
    ]
    rows += ["ana@@broken.example,X,Y,,RS,,,,,,", "P3@CLUSTER3.example,Again,,,,,,,,,"]
    path.write_text("\r\n".join([head, *rows, ""]), encoding="utf-8")
    return path


def test_forked_import_reports_and_stores_the_same(
    ctx: Services, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(member_rows, "CHUNK", 4)  # many chunks from a small file
    assert can_fork()  # or the offloaded runs below would quietly run in this process
    sources = [hostile.FIXTURES / "utf8_bom_semicolon.csv", big_file(tmp_path)]
    for path in sources:
        one_process = run(ctx, path, offload=False, dry_run=True)
        two = run(ctx, path, offload=True)
        assert everything(two) == everything(one_process) | {"dry_run": False}
        assert two.imported > 0
    before = stored(settings)
    # Again: now every row is held, so this is the update / unchanged path.
    erase_person(ctx, "p4@cluster4.example")
    again = [run(ctx, sources[1], offload=flag, dry_run=not flag) for flag in (False, True)]
    assert everything(again[1]) == everything(again[0]) | {"dry_run": False}
    assert again[1].suppressed == 1
    assert [r.outcome for r in again[1].rows].count("unchanged") == 24
    assert len(stored(settings)) == len(before) - 5  # p4: its row, 2 topics, 2 consents


def test_an_error_while_reading_in_the_child_reaches_the_caller(
    ctx: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("newsletter.audiences.files.member_files.MAX_ROWS", 10)
    with pytest.raises(ImportFileError, match="more than 10 rows") as info:
        run(ctx, big_file(tmp_path), offload=True)
    assert info.value.location == str(tmp_path / "mixed.csv")
