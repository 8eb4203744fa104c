"""Read a member file in a child process with its own memory and processor-time limits.

The reader (``member_files.read_member_file``) bounds what it accepts: sizes, rows, columns,
the ZIP directory of an XLSX before anything is inflated. A file built to get past those (a
new kind of ZIP or XML bomb, a pathological CSV) must still not take the web app down with
it: the web process also serves every other request and may run the scheduler. So the web
app reads uploads here: a child started fresh (``spawn``: the web app has threads, and a
forked copy of a threaded process may inherit held locks) reads the file under
``RLIMIT_AS`` (address space, setrlimit(2)) and ``RLIMIT_CPU`` (processor seconds; the kernel
sends SIGXCPU, then SIGKILL), and streams the rows back in chunks. If the child runs out of
either, or sends nothing for :data:`WAIT_SECONDS`, it is killed and the caller gets the usual
:class:`ImportFileError`; the import, one transaction, then writes nothing.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import pickle
import signal
from collections.abc import Iterator
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from newsletter.audiences.domain.columns import SourceRow
from newsletter.audiences.files.member_files import ColumnChoices, MemberFile, read_member_file
from newsletter.errors import ImportFileError, NewsletterError

MIB = 1024 * 1024
#: Address space the reading may add to what the child holds once started (Python and the
#: reader's libraries). The 20 MiB file limit needs well under 200 MiB to read.
MEMORY_BYTES = 512 * MIB
#: Processor seconds the child may use in all: a 20 MiB CSV takes about 5 s.
CPU_SECONDS = 60
#: Wall-clock seconds the parent waits for any one message before killing the child.
WAIT_SECONDS = 120.0
#: Rows per message back to the parent.
CHUNK_ROWS = 2000

_HEAD, _ROWS, _END, _ERROR = "head", "rows", "end", "error"


def read_isolated(
    path: Path,
    encoding: str | None = None,
    choices: ColumnChoices | None = None,
    *,
    memory_bytes: int | None = None,
    cpu_seconds: int | None = None,
    wait_seconds: float | None = None,
) -> MemberFile:
    """:func:`read_member_file`, computed in a limited child process; rows arrive lazily.
    The limits default to :data:`MEMORY_BYTES`, :data:`CPU_SECONDS`, :data:`WAIT_SECONDS`."""
    memory_bytes = MEMORY_BYTES if memory_bytes is None else memory_bytes
    cpu_seconds = CPU_SECONDS if cpu_seconds is None else cpu_seconds
    wait_seconds = WAIT_SECONDS if wait_seconds is None else wait_seconds
    context = multiprocessing.get_context("spawn")
    receiving, sending = context.Pipe(duplex=False)
    child = context.Process(
        target=_child,
        args=(str(path), encoding, choices, memory_bytes, cpu_seconds, sending),
        daemon=True,
    )
    child.start()
    sending.close()  # the child holds the only write end: its death is end of file here
    limits = _Limits(path, memory_bytes, cpu_seconds, wait_seconds)
    try:
        head = _receive(receiving, child, limits)
    except BaseException:
        _stop(receiving, child)
        raise
    return MemberFile(
        path,
        head["kind"],
        head["header"],
        head["columns"],
        _rows(receiving, child, limits),
        head["encoding"],
        head["encoding_detected"],
        head["delimiter"],
        head["notes"],
        head["plan"],
    )


class _Limits:
    def __init__(self, path: Path, memory: int, cpu: int, wait: float) -> None:
        self.path, self.memory, self.cpu, self.wait = path, memory, cpu, wait

    def exceeded(self, exitcode: int | None) -> ImportFileError:
        if exitcode in (-signal.SIGXCPU, -signal.SIGKILL):
            why = f"took more than {self.cpu} s of processor time"
        elif exitcode is None or exitcode in (-signal.SIGSEGV, -signal.SIGABRT, -signal.SIGBUS):
            # Out of address space: a MemoryError, or a library that could not allocate.
            why = f"needed more than {self.memory // MIB} MiB of memory"
        else:
            why = f"stopped the reading process (exit code {exitcode})"
        return ImportFileError(
            f"reading the file {why}: it is damaged or built to exhaust the server (a ZIP or "
            "XML bomb); save it again from the spreadsheet as .xlsx or 'CSV UTF-8'",
            location=str(self.path),
        )


def _rows(receiving: Connection, child: BaseProcess, limits: _Limits) -> Iterator[SourceRow]:
    try:
        while (message := _receive(receiving, child, limits)) is not None:
            for number, cells, problem, problem_field in message:
                yield SourceRow(number, cells, problem, problem_field)
    finally:
        _stop(receiving, child)


def _receive(receiving: Connection, child: BaseProcess, limits: _Limits) -> Any:
    """The next message's payload (None at the end); the child's error re-raised here."""
    if not receiving.poll(limits.wait):
        child.kill()
        child.join()
        raise ImportFileError(
            f"reading the file took longer than {limits.wait:.0f} s", location=str(limits.path)
        )
    try:
        kind, payload = pickle.loads(receiving.recv_bytes())  # noqa: S301 - our own child's bytes
    except EOFError:
        child.join()
        raise limits.exceeded(child.exitcode) from None
    if kind == _ERROR:
        if isinstance(payload, MemoryError):
            raise limits.exceeded(None) from None
        raise payload
    return None if kind == _END else payload


def _stop(receiving: Connection, child: BaseProcess) -> None:
    receiving.close()
    if child.is_alive():  # the caller stopped early (an error while writing, say)
        child.kill()
    child.join()


def _child(
    path: str,
    encoding: str | None,
    choices: ColumnChoices | None,
    memory: int,
    cpu: int,
    sending: Connection,
) -> None:
    _limit(memory, cpu)
    try:
        found = read_member_file(Path(path), encoding, choices)
        head = {
            "kind": found.kind,
            "header": found.header,
            "columns": found.columns,
            "encoding": found.encoding,
            "encoding_detected": found.encoding_detected,
            "delimiter": found.delimiter,
            "notes": found.notes,
            "plan": found.plan,
        }
        sending.send_bytes(pickle.dumps((_HEAD, head)))
        chunk: list[tuple[int, dict[str, str], str, str]] = []
        for row in found.rows:
            chunk.append((row.number, dict(row.cells), row.problem, row.problem_field))
            if len(chunk) >= CHUNK_ROWS:
                sending.send_bytes(pickle.dumps((_ROWS, chunk)))
                chunk = []
        if chunk:
            sending.send_bytes(pickle.dumps((_ROWS, chunk)))
        sending.send_bytes(pickle.dumps((_END, None)))
    except (BrokenPipeError, KeyboardInterrupt):
        return  # the parent stopped listening
    except MemoryError:
        _tell(sending, MemoryError())
    except NewsletterError as exc:
        _tell(sending, exc)
    except Exception as exc:  # a reader bug: the parent reports it as an import error
        _tell(sending, ImportFileError(f"the file could not be read: {exc}", location=path))
    finally:
        sending.close()


def _tell(sending: Connection, exc: BaseException) -> None:
    # If even this fails, the parent sees the end of the pipe and reports the limit.
    with contextlib.suppress(OSError, MemoryError, pickle.PicklingError):
        sending.send_bytes(pickle.dumps((_ERROR, exc)))


def _limit(memory: int, cpu: int) -> None:
    """RLIMIT_AS: what the child holds now plus ``memory``; RLIMIT_CPU: ``cpu`` more seconds
    (the kernel sends SIGXCPU at the soft limit and SIGKILL at the hard one)."""
    import resource

    page = os.sysconf("SC_PAGE_SIZE")
    # Linux: the sizes in pages, the first the whole address space (proc(5)).
    now = int(Path("/proc/self/statm").read_text(encoding="ascii").split()[0]) * page
    resource.setrlimit(resource.RLIMIT_AS, (now + memory, now + memory))
    # Counted from here: starting Python and importing the reader is not the file's doing.
    used = resource.getrusage(resource.RUSAGE_SELF)
    spent = math.ceil(used.ru_utime + used.ru_stime)
    resource.setrlimit(resource.RLIMIT_CPU, (spent + cpu, spent + cpu + 2))
