"""The store the staff web app needs (staff/sql/store.py implements it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from newsletter.core.clock import Clock
from newsletter.core.links import Links
from newsletter.staff.domain.users import Role, StaffUser


@dataclass(frozen=True, slots=True)
class Approval:
    slug: str
    #: The fingerprint of the approved version (newsletter.authoring.domain.approvals); a campaign
    #: whose fingerprint differs now is not approved, and its scheduled steps are held.
    fingerprint: str
    approved_by: str
    approved_at: dt.datetime
    #: The approved version itself, to show what changed since (None: approved before 0011).
    version: dict[str, Any] | None = field(default=None, compare=False)
    #: How it was approved when not with the app's button (an operator's CLI override).
    note: str = ""


@dataclass(frozen=True, slots=True)
class Session:
    user: StaffUser
    csrf: str
    expires_at: dt.datetime


class StaffStore(Protocol):
    def add_user(self, email: str, password_hash: str, role: Role, *, now: dt.datetime) -> bool:
        """Create the account, or replace its password and role; True if it was new."""
        ...

    def remove_user(self, email: str) -> bool:
        """Delete the account and end its sessions; False if there was none."""
        ...

    def credentials(self, email: str) -> tuple[StaffUser, str] | None:
        """The user and their password hash, or None for an unknown address."""
        ...

    def account(self, user_id: int) -> tuple[StaffUser, str] | None:
        """The user with this id and their password hash."""
        ...

    def users(self) -> list[StaffUser]: ...

    def set_password(self, user_id: int, password_hash: str) -> None:
        """Replace the password; every open session of the account ends."""
        ...

    def set_disabled(self, user_id: int, *, disabled: bool, now: dt.datetime) -> bool:
        """Disable (ending its sessions) or enable the account; False if there is none."""
        ...

    def admit_reset(
        self,
        *,
        address_hash: str,
        client_hash: str,
        now: dt.datetime,
        since: dt.datetime,
        max_per_address: int,
        max_per_client: int,
    ) -> tuple[bool, bool]:
        """Count and record one "forgot my password" request in one serialised step:
        (the client is within its limit, a link may be mailed to the address)."""
        ...

    def clear_failures(self, email: str) -> None: ...

    def claim_attempt(
        self,
        email: str,
        ip: str,
        *,
        now: dt.datetime,
        since: dt.datetime,
        wait: Callable[[tuple[int, dt.datetime | None], tuple[int, dt.datetime | None]], float],
    ) -> float:
        """Atomically: count the attempts since ``since`` for this address and this client
        address (with the latest one's time), ask ``wait`` and, if it answers 0, record this
        attempt (before any password is checked). Returns ``wait``'s answer. Concurrent
        claims are serialised, so parallel guesses cannot all pass the same count."""
        ...

    def open_session(
        self, key: str, user_id: int, csrf: str, *, now: dt.datetime, expires_at: dt.datetime
    ) -> None: ...

    def session(self, key: str, *, now: dt.datetime) -> Session | None:
        """The live session with this key (expired ones count as absent)."""
        ...

    def close_session(self, key: str) -> None: ...

    def approve(self, approval: Approval) -> None:
        """Record the approval of one version (replacing the campaign's previous one)."""
        ...

    def approval(self, slug: str) -> Approval | None:
        """The campaign's latest approval, whichever version it approved."""
        ...


@dataclass(frozen=True, kw_only=True)
class StaffServices:
    """What the staff use cases get (built by ``bootstrap.py``): the account store, the clock
    and the signed links (a password reset link is one). The lowest bundle: every other
    capability's extends it (audiences/ports/services.py)."""

    clock: Clock
    links: Links
    #: None where no web app runs (the use cases then refuse with a clear error).
    staff: StaffStore | None = None
