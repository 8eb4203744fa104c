"""The outbox transport's batches are all or nothing on disk: a write the file system refuses
half-way leaves none of the batch's files (no ``.eml``, no ``.tmp``), and rows the ledger could
not record are withdrawn. The fault here is real and needs no root: the name the fourth message
must take is already a folder, so the kernel refuses the rename (EISDIR); the full-disk
version, on a tmpfs, is tests/delivery/test_full_disk.py."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from newsletter.delivery.ports import ReconcilingMailer
from newsletter.delivery.transports.outbox import OutboxMailer
from newsletter.errors import OutboxError
from tests.delivery.transports.batches import batch

AT = dt.datetime(2015, 9, 1, 9, 0, tzinfo=dt.UTC)


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.is_file())


def test_a_batch_the_file_system_refuses_half_way_leaves_none_of_its_files(
    tmp_path: Path,
) -> None:
    mailer = OutboxMailer(tmp_path, lambda: AT)
    target = tmp_path / "days-of-clusters-2015" / "main"
    (target / "0000004.eml").mkdir(parents=True)
    (target / "0000004.eml" / "keep").write_text("in the way")  # not empty: rename fails
    with pytest.raises(OutboxError) as info:
        mailer.send(batch(6))
    message = str(info.value)
    assert message.startswith(f"cannot write to the outbox {target}: ")
    assert "then send again" in message and "member" not in message
    assert _files(tmp_path) == ["keep"]  # messages 1-3 were taken back, no .tmp is left
    assert mailer.delivered("days-of-clusters-2015", "main", range(1, 7)) == set()


def test_withdraw_takes_back_exactly_the_rows_named(tmp_path: Path) -> None:
    mailer = OutboxMailer(tmp_path, lambda: AT)
    assert isinstance(mailer, ReconcilingMailer)
    mailer.send(batch(5))
    mailer.withdraw("days-of-clusters-2015", "main", [2, 4, 99])
    assert mailer.delivered("days-of-clusters-2015", "main", range(1, 6)) == {1, 3, 5}
    assert _files(tmp_path) == ["0000001.eml", "0000003.eml", "0000005.eml"]
