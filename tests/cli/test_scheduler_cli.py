"""``newsletter scheduler run``'s signal handler."""

from __future__ import annotations

import io
import os
import signal
import sys
import threading

import pytest

from newsletter.cli.scheduler import stop_handler


class Reentrant(io.StringIO):
    """stderr as seen by a handler that interrupts a buffered write already in progress."""

    def write(self, _text: str) -> int:
        raise RuntimeError("reentrant call inside <_io.BufferedWriter name='<stderr>'>")


def test_a_signal_during_a_stderr_write_still_stops_the_scheduler(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stderr", Reentrant())
    stopping = threading.Event()
    stop_handler(stopping)(signal.SIGTERM, None)
    assert stopping.is_set()
    assert "signal 15: finishing the current dispatch" in capfd.readouterr().err


def test_the_message_goes_straight_to_the_descriptor(capfd: pytest.CaptureFixture[str]) -> None:
    stopping = threading.Event()
    stop_handler(stopping)(signal.SIGINT, None)
    os.write(2, b"after\n")
    assert capfd.readouterr().err.splitlines() == [
        "signal 2: finishing the current dispatch, then stopping",
        "after",
    ]
