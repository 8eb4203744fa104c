"""Uploads kept between the dry run and the import: private, found only by their random id,
refused past the size limit, swept after an hour."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

import pytest

from newsletter.audiences.files import uploads
from newsletter.audiences.files.uploads import UploadShelf
from newsletter.errors import ImportFileError


def test_put_and_get_by_id_only(tmp_path: Path) -> None:
    shelf = UploadShelf(tmp_path / "shelf")
    kept = shelf.put(io.BytesIO(b"email\na@b.example\n"))
    assert kept.path.suffix == ".csv" and kept.size == 18
    assert stat.S_IMODE(kept.path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "shelf").stat().st_mode) == 0o700
    found = shelf.get(kept.id)
    assert found is not None and found.sha256 == kept.sha256
    for bad in ("../../etc/passwd", kept.id[:-1], kept.id + "x", ""):
        assert shelf.get(bad) is None
    xlsx = shelf.put(io.BytesIO(b"PK\x03\x04rest"))
    assert xlsx.path.suffix == ".xlsx" and shelf.get(xlsx.id) == xlsx
    shelf.done(kept)
    assert shelf.get(kept.id) is None


def test_too_big_is_refused_and_nothing_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(uploads, "MAX_BYTES", 100)
    shelf = UploadShelf(tmp_path)
    with pytest.raises(ImportFileError, match="more than 100 bytes"):
        shelf.put(io.BytesIO(b"x" * 101))
    assert list(tmp_path.iterdir()) == []


def test_old_uploads_are_swept(tmp_path: Path) -> None:
    shelf = UploadShelf(tmp_path, max_age=60)
    old = shelf.put(io.BytesIO(b"old"))
    os.utime(old.path, (1, 1))
    fresh = shelf.put(io.BytesIO(b"fresh"))  # putting sweeps
    assert shelf.get(old.id) is None and shelf.get(fresh.id) is not None
