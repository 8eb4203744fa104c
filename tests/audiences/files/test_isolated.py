"""Reading a member file in a limited child process: the same rows, and a file that needs
more memory or time than allowed stops only the child, with the usual import error."""

from __future__ import annotations

import os
import resource
import time
from pathlib import Path

import pytest

from newsletter.audiences.files.isolated import MIB, read_isolated
from newsletter.audiences.files.member_files import MemberFile, read_member_file
from newsletter.errors import ImportFileError
from tests.audiences.files.test_member_files import make_xlsx

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "imports"


def big_csv(path: Path, size: int = 19 * MIB) -> Path:
    """A well-formed member file just under the 20 MiB upload limit (about 180,000 rows)."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("email,first_name,last_name,organization\r\n")
        i = 0
        while fh.tell() < size:
            fh.write(f"member{i}@cluster{i % 97}.example,Ana{i},Petrović,Cluster Niš {i:040d}\r\n")
            i += 1
    return path


def _dump(f: MemberFile) -> tuple[object, ...]:
    return (f.kind, f.header, f.columns, f.encoding, f.encoding_detected, f.delimiter, list(f.rows))


@pytest.mark.parametrize("name", ["cp1251_cyrillic.csv", "broken_quotes.csv", "structure.csv"])
def test_the_child_reads_what_the_reader_reads(name: str) -> None:
    path = FIXTURES / name
    assert _dump(read_isolated(path)) == _dump(read_member_file(path))


def test_an_xlsx_is_read_the_same(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "bg.xlsx")
    assert _dump(read_isolated(path)) == _dump(read_member_file(path))


def test_the_readers_own_errors_come_back_as_they_are(tmp_path: Path) -> None:
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 64)
    with pytest.raises(ImportFileError, match=r"old Excel \.xls workbook") as info:
        read_isolated(old)
    assert info.value.location == str(old)


def test_a_file_that_needs_more_memory_than_allowed_stops_only_the_child(tmp_path: Path) -> None:
    path = big_csv(tmp_path / "big.csv")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    with pytest.raises(ImportFileError, match="needed more than 16 MiB of memory") as info:
        list(read_isolated(path, memory_bytes=16 * MIB).rows)
    assert info.value.location == str(path)
    assert time.monotonic() - started < 30
    # This process never held the file: its peak memory did not grow by the file's size.
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kib < 19 * 1024
    # And the same file reads in full with the real limit.
    assert sum(1 for _ in read_isolated(path).rows) > 150_000


def test_a_file_that_takes_too_much_processor_time_is_killed(tmp_path: Path) -> None:
    path = big_csv(tmp_path / "big.csv")
    started = time.monotonic()
    # RLIMIT_CPU counts whole seconds: with no budget beyond start-up the child is stopped at
    # the next whole second of processor time; reading this file takes about 1.5 s.
    with pytest.raises(ImportFileError, match="more than 0 s of processor time"):
        list(read_isolated(path, cpu_seconds=0).rows)
    assert time.monotonic() - started < 30


def test_a_child_that_sends_nothing_in_time_is_killed(tmp_path: Path) -> None:
    path = FIXTURES / "cp1251_cyrillic.csv"
    with pytest.raises(ImportFileError, match="took longer than"):
        read_isolated(path, wait_seconds=0.01)
    # No child is left behind.
    time.sleep(0.2)
    assert not [p for p in _children() if p != os.getpid()]


def _children() -> list[int]:
    import multiprocessing

    return [p.pid for p in multiprocessing.active_children() if p.pid is not None]
