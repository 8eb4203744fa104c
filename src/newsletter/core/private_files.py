"""Folders and files only the service's own user may read.

``var/`` holds the database (staff password hashes, member data), its WAL, the outbox (each
message names a member and carries their working links) and the signing key. Created here,
they are 0700 folders and 0600 files whatever the process umask is. SQLite creates the WAL and
shared-memory files with the database file's own permissions, so a 0600 database gives 0600
``-wal`` and ``-shm`` files too.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Make ``path`` (and missing parents) as 0700 folders. A folder that already exists is
    left as it is: it may be shared on purpose (``/srv``); the files in it are private."""
    missing = []
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing.append(folder)
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):
            folder.mkdir(mode=DIR_MODE)
        folder.chmod(DIR_MODE)  # mkdir's mode is reduced by the umask
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` empty as 0600 if it is missing; make an existing one 0600."""
    private_dir(path.parent)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    with contextlib.suppress(PermissionError):  # someone else's file: theirs to protect
        path.chmod(FILE_MODE)
    return path


def open_private(path: Path) -> int:
    """A new file descriptor for writing ``path`` (created or truncated) as 0600."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    os.fchmod(fd, FILE_MODE)
    return fd
