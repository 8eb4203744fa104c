"""Uploaded member files kept between the dry run and the confirmed import.

Staff upload a file, read the dry-run report, then confirm: the confirmation must import the
very bytes the report was about, so the upload is kept under a random id (192 bits: it cannot
be guessed) in a private folder (0700, files 0600), with its SHA-256 to check, and removed once
imported or after :data:`MAX_AGE`. The folder is the system temporary directory's, per user:
a restart or another worker on the same machine finds it; a worker on another machine does not
(run one web process per installation, or pin staff sessions to one).
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from newsletter.audiences.files.member_files import MAX_BYTES
from newsletter.errors import ImportFileError

MAX_AGE = 3600.0
_CSV, _XLSX = ".csv", ".xlsx"
_ID = re.compile(r"[A-Za-z0-9_-]{32}")


@dataclass(frozen=True, slots=True)
class Upload:
    id: str
    path: Path
    sha256: str
    size: int

    @property
    def rejects(self) -> Path:
        """Where :func:`newsletter.audiences.files.spreadsheets.write_rejects` puts rejected
        rows."""
        return self.path.with_name(f"{self.path.stem}.rejects.csv")


def default_folder() -> Path:
    return Path(tempfile.gettempdir()) / f"newsletter-uploads-{os.getuid()}"


class UploadShelf:
    def __init__(self, folder: Path | None = None, *, max_age: float = MAX_AGE) -> None:
        self.folder = folder or default_folder()
        self.max_age = max_age

    def _ready(self) -> Path:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        return self.folder

    def put(self, source: BinaryIO) -> Upload:
        """Store an upload; ImportFileError past :data:`MAX_BYTES` (nothing is kept then)."""
        self.sweep()
        upload_id = secrets.token_urlsafe(24)
        first = source.read(1 << 16)
        # openpyxl goes by the file name's extension; a ZIP container is an .xlsx workbook.
        suffix = _XLSX if first.startswith(b"PK\x03\x04") else _CSV
        path = self._ready() / f"{upload_id}{suffix}"
        digest, size = hashlib.sha256(), 0
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as out:
                chunk = first
                while chunk:
                    size += len(chunk)
                    if size > MAX_BYTES:
                        raise ImportFileError(
                            f"the file has more than {MAX_BYTES:,} bytes: split it"
                        )
                    digest.update(chunk)
                    out.write(chunk)
                    chunk = source.read(1 << 16)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return Upload(upload_id, path, digest.hexdigest(), size)

    def get(self, upload_id: str) -> Upload | None:
        """The upload with this id, or None (unknown, expired or already imported)."""
        if not _ID.fullmatch(upload_id):
            return None
        for suffix in (_CSV, _XLSX):
            path = self.folder / f"{upload_id}{suffix}"
            try:
                data = path.read_bytes()
            except OSError:
                continue
            return Upload(upload_id, path, hashlib.sha256(data).hexdigest(), len(data))
        return None

    def rejects(self, upload_id: str) -> Path | None:
        if not _ID.fullmatch(upload_id):
            return None
        path = self.folder / f"{upload_id}.rejects.csv"
        return path if path.is_file() else None

    def done(self, upload: Upload) -> None:
        """The import ran: the upload goes; its rejects file stays until swept."""
        upload.path.unlink(missing_ok=True)

    def sweep(self) -> None:
        if not self.folder.is_dir():
            return
        limit = time.time() - self.max_age
        for path in self.folder.iterdir():
            try:
                if path.stat().st_mtime < limit:
                    path.unlink()
            except OSError:
                continue  # another worker swept it first
