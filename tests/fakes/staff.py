"""In-memory staff store for the fast test tier (the rules of staff/sql/store.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace

from newsletter.staff.domain.users import Role, StaffUser
from newsletter.staff.ports import Approval, Session


class MemoryStaffStore:
    """Staff accounts, sign-in attempts, sessions, reset requests and approvals (the rules of
    staff/sql/store.py: a new password or a disabled account ends every session; attempts are
    counted and recorded in one step; a refused reset client is not recorded)."""

    def __init__(self) -> None:
        self.accounts: dict[str, tuple[StaffUser, str]] = {}
        self.approvals: dict[str, Approval] = {}
        self.sessions: dict[str, tuple[int, str, dt.datetime]] = {}
        self.attempts: list[tuple[str, str, dt.datetime]] = []
        self.resets: list[tuple[str, str, bool, dt.datetime]] = []
        self._next = 1

    def add_user(self, email: str, password_hash: str, role: Role, *, now: dt.datetime) -> bool:
        held = self.accounts.get(email)
        if held is None:
            self.accounts[email] = (StaffUser(self._next, email, role), password_hash)
            self._next += 1
            return True
        self.accounts[email] = (replace(held[0], role=role), password_hash)
        self._end_sessions(held[0].id)
        return False

    def remove_user(self, email: str) -> bool:
        held = self.accounts.pop(email, None)
        if held is not None:
            self._end_sessions(held[0].id)
        self.attempts = [a for a in self.attempts if a[0] != email]
        return held is not None

    def credentials(self, email: str) -> tuple[StaffUser, str] | None:
        return self.accounts.get(email)

    def account(self, user_id: int) -> tuple[StaffUser, str] | None:
        return next((a for a in self.accounts.values() if a[0].id == user_id), None)

    def users(self) -> list[StaffUser]:
        return [u for u, _ in sorted(self.accounts.values(), key=lambda a: a[0].email)]

    def set_password(self, user_id: int, password_hash: str) -> None:
        held = self.account(user_id)
        if held is not None:
            self.accounts[held[0].email] = (held[0], password_hash)
            self._end_sessions(user_id)

    def set_disabled(self, user_id: int, *, disabled: bool, now: dt.datetime) -> bool:
        held = self.account(user_id)
        if held is None:
            return False
        self.accounts[held[0].email] = (replace(held[0], disabled=disabled), held[1])
        if disabled:
            self._end_sessions(user_id)
        return True

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
        self.resets = [r for r in self.resets if r[3] >= since]
        if sum(r[1] == client_hash for r in self.resets) >= max_per_client:
            return False, False
        mail = sum(r[0] == address_hash and r[2] for r in self.resets) < max_per_address
        self.resets.append((address_hash, client_hash, mail, now))
        return True, mail

    def claim_attempt(
        self,
        email: str,
        ip: str,
        *,
        now: dt.datetime,
        since: dt.datetime,
        wait: Callable[[tuple[int, dt.datetime | None], tuple[int, dt.datetime | None]], float],
    ) -> float:
        email, ip = email[:320], ip[:64]
        recent = [a for a in self.attempts if a[2] >= since]
        by_email = [a[2] for a in recent if a[0] == email]
        by_ip = [a[2] for a in recent if a[1] == ip]
        answer = wait(
            (len(by_email), max(by_email, default=None)), (len(by_ip), max(by_ip, default=None))
        )
        if answer <= 0:
            self.attempts.append((email, ip, now))
        return answer

    def clear_failures(self, email: str) -> None:
        self.attempts = [a for a in self.attempts if a[0] != email]

    def open_session(
        self, key: str, user_id: int, csrf: str, *, now: dt.datetime, expires_at: dt.datetime
    ) -> None:
        self.sessions = {k: s for k, s in self.sessions.items() if s[2] >= now}
        self.sessions[key] = (user_id, csrf, expires_at)

    def session(self, key: str, *, now: dt.datetime) -> Session | None:
        found = self.sessions.get(key)
        held = self.account(found[0]) if found else None
        if found is None or held is None or found[2] <= now or held[0].disabled:
            return None
        return Session(held[0], found[1], found[2])

    def close_session(self, key: str) -> None:
        self.sessions.pop(key, None)

    def approve(self, approval: Approval) -> None:
        self.approvals[approval.slug] = approval

    def approval(self, slug: str) -> Approval | None:
        return self.approvals.get(slug)

    def _end_sessions(self, user_id: int) -> None:
        self.sessions = {k: s for k, s in self.sessions.items() if s[0] != user_id}
