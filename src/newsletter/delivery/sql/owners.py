"""This process as a claim owner, and what the process table says about another one (Linux's
``/proc``; elsewhere only whether the pid exists)."""

from __future__ import annotations

import functools
import os
import socket
from pathlib import Path

from newsletter.delivery.domain.claims import ClaimOwner


@functools.cache
def this_process_base() -> ClaimOwner:
    pid = os.getpid()
    host = socket.gethostname()
    # Containers may share a host name and a kernel (boot id) yet not see each other's
    # processes: a process in another PID namespace counts as being on another host.
    namespace = pid_namespace()
    if namespace:
        host = f"{host}/{namespace}"
    return ClaimOwner(host[:100], pid, process_start(pid) or "", boot_id())


def this_process() -> ClaimOwner:
    base = this_process_base()
    if base.pid != os.getpid():  # forked since: a new process, a new identity
        this_process_base.cache_clear()
        base = this_process_base()
    return base


def pid_namespace() -> str:
    try:
        return str(Path("/proc/self/ns/pid").readlink())
    except OSError:
        return ""


def boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def process_start(pid: int) -> str | None:
    """The start time of process ``pid`` (clock ticks since boot), "" when this system does
    not tell, None when there is no such process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None if Path("/proc/self/stat").exists() else _exists(pid)
    except OSError:
        return _exists(pid)
    fields = stat.rsplit(")", 1)[-1].split()
    # Field 22 of proc(5) is the 20th after the command name's closing parenthesis; a zombie
    # (state Z) has exited: only its exit status is left to collect.
    if fields and fields[0] in ("Z", "X"):
        return None
    return fields[19] if len(fields) > 19 else ""


def _exists(pid: int) -> str | None:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return ""
    return ""
