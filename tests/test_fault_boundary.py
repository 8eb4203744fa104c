"""Operational faults end in one line, never a traceback, and never show SQL parameters
(members' names and addresses): a database locked longer than the busy timeout, a read-only
database, a database folder that cannot be created."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from newsletter.cli import main
from newsletter.db import engine as db_engine
from tests.conftest import make_settings
from tests.delivery.test_sending import load_samples
from tests.services import services

DOC = "days-of-clusters-2015"


@pytest.fixture
def loaded(project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    db = project / "var" / "faults.db"
    monkeypatch.setenv("NEWSLETTER_DATABASE__URL", f"sqlite:///{db}")
    monkeypatch.setenv("NEWSLETTER_SECRET_KEY", "test-secret")
    ctx = services(make_settings(project))
    load_samples(ctx, project)
    ctx.close()
    return db


def _send(project: Path) -> list[str]:
    return ["--config", str(project / "config.yaml"), "campaigns", "send", DOC, "--yes"]


def test_a_lock_held_past_the_busy_timeout_is_one_line(
    project: Path, loaded: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_engine, "BUSY_TIMEOUT_SECONDS", 0.2)
    holder = sqlite3.connect(loaded, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process's long write
    try:
        result = CliRunner().invoke(main, _send(project))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    assert "the database is busy" in result.output
    assert "Traceback" not in result.output and "@" not in result.output
    # Nothing was left half-done: the same send now goes through.
    again = CliRunner().invoke(main, _send(project))
    assert again.exit_code == 0, again.output


def test_a_read_only_database_is_one_line(
    project: Path, loaded: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Tests run as root here, where file modes do not stop a write: SQLite's query_only
    # pragma fails writes the way a read-only file does (SQLITE_READONLY).
    pragmas = db_engine._sqlite_pragmas

    def read_only(dbapi_connection: Any, record: Any) -> None:
        pragmas(dbapi_connection, record)
        dbapi_connection.execute("PRAGMA query_only=ON")

    monkeypatch.setattr(db_engine, "_sqlite_pragmas", read_only)
    result = CliRunner().invoke(main, _send(project))
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    assert "the database is read-only" in result.output, result.output
    assert "Traceback" not in result.output and "INSERT" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_database_folder_that_cannot_be_created_is_one_line(project: Path) -> None:
    blocker = project / "var" / "not-a-folder"
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("a file where the folder should be")
    env = {
        "NEWSLETTER_DATABASE__URL": f"sqlite:///{blocker / 'db' / 'news.db'}",
        "NEWSLETTER_SECRET_KEY": "test-secret",
    }
    done = subprocess.run(
        [sys.executable, "-m", "newsletter", "--config", str(project / "config.yaml"),
         "campaigns", "status", DOC],
        cwd=project,
        env={**_base_env(), **env},
        capture_output=True,
        timeout=120,
    )  # fmt: skip
    stderr = done.stderr.decode()
    assert done.returncode != 0 and "Traceback" not in stderr, stderr
    assert "not-a-folder" in stderr, stderr


def _base_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("NEWSLETTER_")}
