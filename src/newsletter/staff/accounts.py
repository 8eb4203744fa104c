"""Staff use cases: accounts, signing in and out, and sessions (approvals:
:mod:`newsletter.authoring.approvals`).

A session is a random token in an HttpOnly cookie; the database keeps only its SHA-256 with
the CSRF token bound to it, so signing out ends it for real and a leaked table opens nothing.
Sign-in attempts are counted in the database before the password is checked, per address and
per client address; past the limits each further attempt waits longer (never a lock-out).
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
from dataclasses import dataclass

from newsletter.core.addresses import AddressError, normalize_address
from newsletter.errors import InputError, NewsletterError
from newsletter.staff.domain import users as rules
from newsletter.staff.domain.users import Role
from newsletter.staff.ports import Session, StaffServices, StaffStore

SESSION_HOURS = 12


class SignInRefused(NewsletterError):
    """Wrong address or password (one message for both), or too many recent failures."""

    def __init__(self, message: str, *, throttled: bool = False) -> None:
        super().__init__(message)
        self.throttled = throttled


def store(ctx: StaffServices) -> StaffStore:
    if ctx.staff is None:
        raise NewsletterError("this installation has no staff store")
    return ctx.staff


def canonical_email(raw: str) -> str:
    try:
        return normalize_address(raw.strip())[1]
    except AddressError as exc:
        raise InputError(f"not an email address: {exc}", location=raw) from exc


def add_user(ctx: StaffServices, email: str, password: str, role: Role) -> bool:
    """Create or update a staff account (``newsletter staff add``); True if new."""
    key = canonical_email(email)
    rules.check_password_rules(password)
    hashed = rules.hash_password(password, secrets.token_bytes(16))
    return store(ctx).add_user(key, hashed, role, now=ctx.clock.now())


def remove_user(ctx: StaffServices, email: str) -> bool:
    """Remove a staff account (``newsletter staff remove``): it can no longer sign in and its
    open sessions end at once. Approvals it gave keep its address. True if it existed."""
    return store(ctx).remove_user(canonical_email(email))


def ensure_user(ctx: StaffServices, email: str, password: str, role: Role) -> str:
    """Make sure the account exists with this password and role, touching nothing (not even
    its sessions) when it already does: ``added``, ``updated`` or ``unchanged``. For the
    sample accounts ``scripts/demo`` creates on every run."""
    rules.check_password_rules(password)
    found = store(ctx).credentials(canonical_email(email))
    if found is not None and found[0].role is role and rules.verify_password(password, found[1]):
        return "unchanged"
    return "added" if add_user(ctx, email, password, role) else "updated"


@dataclass(frozen=True, slots=True)
class SignedIn:
    token: str
    session: Session


def sign_in(ctx: StaffServices, email: str, password: str, ip: str) -> SignedIn:
    """Check the password, within the rate limits, and open a session."""
    db = store(ctx)
    now = ctx.clock.now()
    try:
        key = canonical_email(email)
    except InputError:
        key = email.strip().casefold()[:320]
    # The attempt is counted before the password is checked, in one serialised step: parallel
    # guesses cannot all pass the same count. A successful sign-in forgets it.
    wait = db.claim_attempt(
        key,
        ip,
        now=now,
        since=now - dt.timedelta(seconds=rules.WINDOW_SECONDS),
        wait=lambda per_email, per_ip: rules.may_attempt(now, per_email, per_ip),
    )
    if wait > 0:
        raise SignInRefused(
            f"too many failed sign-ins; try again in {math.ceil(wait)} seconds", throttled=True
        )
    found = db.credentials(key)
    # Verify against a dummy hash for unknown addresses, so timing does not reveal accounts.
    ok = rules.verify_password(password, found[1] if found else rules.DUMMY_HASH)
    if found is None or not ok:
        raise SignInRefused("wrong email address or password")
    if found[0].disabled:  # said only to whoever knows the password
        raise SignInRefused("this account is disabled; ask an approver")
    db.clear_failures(key)
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    expires = now + dt.timedelta(hours=SESSION_HOURS)
    db.open_session(rules.session_key(token), found[0].id, csrf, now=now, expires_at=expires)
    return SignedIn(token, Session(found[0], csrf, expires))


def current(ctx: StaffServices, token: str | None) -> Session | None:
    if not token or len(token) > 200:
        return None
    return store(ctx).session(rules.session_key(token), now=ctx.clock.now())


def sign_out(ctx: StaffServices, token: str) -> None:
    store(ctx).close_session(rules.session_key(token))
