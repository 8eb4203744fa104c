"""Var/, the SQLite database with its WAL, the signing key and the outbox are
private to the service's user (0700 folders, 0600 files) whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsletter.delivery.sending import send_campaign
from tests.conftest import FrozenClock, make_settings
from tests.delivery.test_sending import DOC, load_samples
from tests.services import services


@pytest.fixture
def loose_umask() -> Iterator[None]:
    old = os.umask(0o022)  # the usual default: files 0644, folders 0755
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_var_database_wal_key_and_outbox_are_private(
    project: Path, clock: FrozenClock, loose_umask: None
) -> None:
    settings = make_settings(project)
    ctx = services(settings, clock=clock)
    try:
        load_samples(ctx, project)
        report = send_campaign(ctx, DOC)
        assert report.sent > 0
        var = project / "var"
        database = Path(settings.database_url.removeprefix("sqlite:///"))
        assert database.is_relative_to(var)
        assert mode(var) == 0o700
        checked = [database, *(p for p in var.rglob("*") if p.is_file())]
        assert any(p.name.endswith("-wal") for p in checked)
        assert any(p.suffix == ".eml" for p in checked)
        for path in checked:
            assert mode(path) == 0o600, path
        for folder in (p for p in var.rglob("*") if p.is_dir()):
            assert mode(folder) == 0o700, folder
    finally:
        ctx.close()
