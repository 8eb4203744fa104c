"""Who holds a claimed delivery row, and when that holder is provably dead.

A ``sending`` row names its owner: the host, the process id and the process's start time (a
pid alone is reused), the machine's boot id, and on PostgreSQL the owner's database session
(backend pid and start). Another sender may release the rows of a *provably* dead owner at
once: same host and boot, and that pid is gone or now belongs to a later process; or the
owner's database session is gone. Anything it cannot prove dead keeps its rows until their
lease runs out (the owner renews it while alive).

Pure: the process table is read by the caller (``start_of``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

SEP = "|"


@dataclass(frozen=True, slots=True)
class ClaimOwner:
    #: The host name, with the PID namespace where there is one (``vm/pid:[4026531836]``):
    #: processes are only comparable within one namespace.
    host: str
    pid: int
    #: The process's start time as the operating system tells it ("" where it cannot).
    started: str = ""
    #: The machine's boot id ("" where unknown): a reboot ends every process of the host.
    boot: str = ""
    #: ``backend pid@backend start (µs)`` of the owner's PostgreSQL session; "" on SQLite.
    session: str = ""

    def token(self) -> str:
        return SEP.join((str(self.pid), self.started, self.boot, self.session, self.host[:100]))

    @classmethod
    def parse(cls, token: str | None) -> ClaimOwner | None:
        """The owner a token names; None for rows claimed before owners were recorded."""
        if not token:
            return None
        parts = token.split(SEP, 4)
        if len(parts) != 5 or not parts[0].isdigit():
            return None
        pid, started, boot, session, host = parts
        return cls(host, int(pid), started, boot, session)

    def describe(self) -> str:
        return f"pid {self.pid} on {self.host.split('/', 1)[0]}"


def process_dead(
    owner: ClaimOwner, here: ClaimOwner, start_of: Callable[[int], str | None]
) -> bool:
    """True only when ``owner``'s process provably no longer runs, as seen from ``here``.
    ``start_of(pid)``: that process's start time, None when no such process exists."""
    if owner.host != here.host:
        return False  # another machine's processes are not ours to see
    if owner.boot and here.boot and owner.boot != here.boot:
        return True  # the host restarted since the claim
    if owner.pid == here.pid:
        return bool(owner.started and here.started and owner.started != here.started)
    now_started = start_of(owner.pid)
    if now_started is None:
        return True
    return bool(owner.started and now_started and now_started != owner.started)


@dataclass
class Recovery:
    """What ``Ledger.recover_claims`` found among the ``sending`` rows of a step."""

    unknown: int = 0
    released: int = 0
    #: Rows still held by senders not known to be dead, per sender.
    held: dict[str, int] = field(default_factory=dict)
    dead_owners: list[str] = field(default_factory=list)
