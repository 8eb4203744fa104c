"""Run a producer of byte strings in a forked child process and stream its output back.

The :class:`~newsletter.audiences.member_rows.Offload` of an import: the child checks member
rows while the parent writes them to the database, so an import uses two cores.

``fork`` (POSIX) because the producer is a closure over an open iterator (the rows of a file
being read) that only a copy of this process can carry on; nothing is re-imported or re-read.
It is used only when it is safe: on a platform that has it, and in a process with no other
thread (a thread holding a lock at the moment of the fork would leave that lock held forever in
the child; Python 3.12 warns about it, see the ``os.fork`` documentation). Otherwise, as in the
threaded web app, the producer simply runs here.

The child never touches what it inherited besides the producer: it leaves through ``os._exit``
(multiprocessing does that for a forked child), so inherited database connections are neither
closed nor used there (SQLite's "How To Corrupt" §2.6 forbids carrying a connection across a
fork; a PostgreSQL socket closed politely by the child would end the parent's session).
"""

from __future__ import annotations

import gc
import multiprocessing
import pickle
import sys
import threading
from collections.abc import Callable, Generator, Iterator
from multiprocessing.connection import Connection

_DATA, _ERROR, _END = b"d", b"e", b"."


def forked(produce: Callable[[], Iterator[bytes]]) -> Generator[bytes, None, None]:
    """Yield what ``produce()`` yields, computed in a forked child when that is safe."""
    if not can_fork():
        yield from produce()
        return
    context = multiprocessing.get_context("fork")
    # The child flushes the standard streams when it ends: leave nothing buffered for it to
    # print a second time.
    sys.stdout.flush()
    sys.stderr.flush()
    receiving, sending = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(produce, sending), daemon=True)
    # Parent and child share their memory pages until either writes to one. The collector
    # writes to every object it examines, so both would soon copy all of it: keep it off the
    # objects that exist now, for as long as the child runs (the gc.freeze documentation).
    frozen = gc.get_freeze_count()
    gc.freeze()
    try:
        child.start()
    except (OSError, AssertionError):  # no fork today (EAGAIN, ENOMEM), or we are a daemon
        if not frozen:
            gc.unfreeze()
        receiving.close()
        sending.close()
        yield from produce()
        return
    sending.close()  # the child holds the only write end: its exit means end of file here
    try:
        while True:
            try:
                frame = receiving.recv_bytes()
            except EOFError:
                child.join(timeout=10)  # it is on its way out: closing the pipe was its last act
                raise RuntimeError(
                    f"the worker process ended without finishing (exit code {child.exitcode})"
                ) from None
            kind, payload = frame[:1], frame[1:]
            if kind == _END:
                break
            if kind == _ERROR:
                # Only ever bytes our own child pickled, never outside input.
                raise pickle.loads(payload)  # noqa: S301
            yield payload
    finally:
        receiving.close()
        if child.is_alive():  # the caller stopped early (an error while writing, say)
            child.terminate()
        child.join()
        if not frozen:  # whoever froze objects before us wants them to stay so
            gc.unfreeze()


def can_fork() -> bool:
    """Fork exists here and no other thread runs in this process."""
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def _child(produce: Callable[[], Iterator[bytes]], sending: Connection) -> None:
    try:
        try:
            for item in produce():
                sending.send_bytes(_DATA + item)
        except (KeyboardInterrupt, BrokenPipeError):
            return  # Ctrl-C reached the parent too; or the parent stopped listening
        except BaseException as exc:
            sending.send_bytes(_ERROR + _pickled(exc))
        else:
            sending.send_bytes(_END)
    except OSError:
        pass  # the parent is gone: nobody is left to tell
    finally:
        sending.close()


def _pickled(exc: BaseException) -> bytes:
    """The exception itself (attributes included), or a RuntimeError with its text."""
    try:
        data = pickle.dumps(exc)
        pickle.loads(data)  # noqa: S301 - round trip: some exceptions cannot be rebuilt
    except Exception:
        data = pickle.dumps(RuntimeError(f"{type(exc).__name__}: {exc}"))
    return data
