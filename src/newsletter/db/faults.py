"""Operational faults of the database and the file system as one line for a person: what
failed and what to do. Shared by the error boundaries of the CLI, the scheduler and the web
app; never the SQL statement or its parameters (they can hold members' names and addresses).
"""

from __future__ import annotations

import errno

from sqlalchemy.exc import DBAPIError


def database_fault(exc: DBAPIError) -> str:
    """One line for an operational database fault: what failed and what to do. Only the
    driver's own message is used, never the statement or its parameters (which can hold
    members' names and addresses)."""
    said = str(getattr(exc, "orig", None) or type(exc).__name__).splitlines()[0][:200]
    low = said.lower()
    if "locked" in low or "lock timeout" in low or "could not obtain lock" in low:
        what = "the database is busy: another process held its lock longer than the timeout"
        todo = "run again when that process is done; the next run settles what this one left"
    elif "readonly" in low or "read-only" in low or "read only" in low:
        what = "the database is read-only"
        todo = "give this user write access to the database file and its folder"
    elif "disk is full" in low or "no space" in low or "disk full" in low:
        what = "the disk holding the database is full"
        todo = "free some space and run again (the last change was rolled back)"
    elif "unable to open" in low or "could not connect" in low or "connection" in low:
        what = "cannot reach the database"
        todo = "check database.url, the folder it names, and that the server is running"
    else:
        what = f"the database refused an operation ({said})"
        todo = "run again; if it persists, check the database's log"
    return f"{what}; {todo}"


def file_fault(exc: OSError) -> str:
    where = f" {exc.filename}" if exc.filename else ""
    why = exc.strerror or type(exc).__name__
    if exc.errno == errno.ENOSPC:
        todo = "free some space and run again"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        todo = "check the permissions of that path (or that its file system is writable)"
    else:
        todo = "check that path and run again"
    return f"cannot use{where}: {why}; {todo}"
