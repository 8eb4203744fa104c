"""A small tmpfs to fill up: a real ENOSPC from the kernel, for SQLite and the outbox alike.

Mounting needs root on Linux (the CI container runs as root); elsewhere the tests that use it
are skipped with the reason. Every byte the filler takes is a page tmpfs really allocates, so
once :func:`fill` returns, the next write that needs a new page fails with ENOSPC.
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

SKIP = "FULL-DISK TEST SKIPPED: "


@contextlib.contextmanager
def small_tmpfs(size_kib: int) -> Iterator[Path]:
    """A fresh tmpfs of ``size_kib`` KiB, unmounted (lazily, should a process still hold a
    file in it) afterwards."""
    if sys.platform != "linux" or os.geteuid() != 0:
        pytest.skip(SKIP + "mounting a tmpfs needs root on Linux")
    folder = Path(tempfile.mkdtemp(prefix="newsletter-full-disk-"))
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_kib}k,mode=0700", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        folder.rmdir()
        pytest.skip(SKIP + f"this machine does not allow a tmpfs mount ({done.stderr.strip()})")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True, check=False)
        with contextlib.suppress(OSError):
            folder.rmdir()


def fill(folder: Path) -> Path:
    """Take every free page of ``folder``'s file system; return the filler (delete it to
    free the space)."""
    filler = folder / "filler"
    with filler.open("ab", buffering=0) as out:
        for size in (1 << 16, 1 << 12, 1 << 8, 1):
            while True:
                try:
                    out.write(b"\0" * size)
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise
                    break
    return filler


def free_bytes(folder: Path) -> int:
    stats = os.statvfs(folder)
    return stats.f_bavail * stats.f_frsize
