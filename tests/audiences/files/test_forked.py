"""A producer run in a forked child: its items come back in order, its errors are raised here,
and it runs in this process instead whenever forking is not safe."""

from __future__ import annotations

import gc
import multiprocessing
import os
import threading
from collections.abc import Iterator

import pytest

from newsletter.audiences.files.forked import can_fork, forked
from newsletter.errors import ImportFileError

pytestmark = pytest.mark.skipif(not can_fork(), reason="needs fork and a single thread")


def pids(count: int) -> Iterator[bytes]:
    for i in range(count):
        yield f"{i}:{os.getpid()}".encode()


def test_items_come_back_in_order_from_another_process() -> None:
    frozen = gc.get_freeze_count()
    got = [item.decode().split(":") for item in forked(lambda: pids(500))]
    assert gc.get_freeze_count() == frozen  # objects frozen for the fork are thawed again
    assert [int(i) for i, _ in got] == list(range(500))
    assert {pid for _, pid in got} != {str(os.getpid())}
    assert len({pid for _, pid in got}) == 1


def test_large_items_pass_whole() -> None:
    big = [bytes([i]) * 300_000 for i in range(4)]  # bigger than a pipe's buffer
    assert list(forked(lambda: iter(big))) == big


def test_an_error_in_the_child_is_raised_here_with_its_attributes() -> None:
    def produce() -> Iterator[bytes]:
        yield b"first"
        raise ImportFileError("more than 200,000 rows: split the file", location="big.csv")

    got: list[bytes] = []
    with pytest.raises(ImportFileError) as info:
        got.extend(forked(produce))
    assert got == [b"first"]
    assert (info.value.message, info.value.location) == (
        "more than 200,000 rows: split the file",
        "big.csv",
    )
    assert str(info.value) == "big.csv: more than 200,000 rows: split the file"


def test_an_exception_that_cannot_be_rebuilt_arrives_as_its_text() -> None:
    class Odd(Exception):
        def __init__(self, a: str, b: str) -> None:
            super().__init__(f"{a}/{b}")

    def produce() -> Iterator[bytes]:
        raise Odd("x", "y")
        yield b""  # pragma: no cover

    with pytest.raises(RuntimeError, match=r"Odd: x/y"):
        list(forked(produce))


def test_a_child_that_dies_is_an_error_not_a_hang() -> None:
    def produce() -> Iterator[bytes]:
        yield b"one"
        os._exit(7)

    with pytest.raises(RuntimeError, match="exit code 7"):
        list(forked(produce))


def test_stopping_early_ends_the_child() -> None:
    def endless() -> Iterator[bytes]:
        while True:
            yield b"x" * 1000

    stream = forked(endless)
    assert next(stream) == b"x" * 1000
    stream.close()  # what happens when the import fails while writing
    assert multiprocessing.active_children() == []


def test_with_another_thread_running_it_runs_here() -> None:
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not can_fork()
        got = {item.decode().split(":")[1] for item in forked(lambda: pids(3))}
    finally:
        stop.set()
        thread.join()
    assert got == {str(os.getpid())}


def test_when_the_fork_fails_it_runs_here(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: object) -> None:
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(multiprocessing.get_context("fork").Process, "start", refuse)
    frozen = gc.get_freeze_count()
    got = {item.decode().split(":")[1] for item in forked(lambda: pids(3))}
    assert got == {str(os.getpid())}
    assert gc.get_freeze_count() == frozen
