"""Staff passwords and accounts in the browser: change one's own password, an approver
disables, enables or hands out a reset link, and "forgot my password" by email.

A reset link is a signed token (core/tokens.py) naming the account and a digest of its
current password hash (``password_stamp``), valid :data:`RESET_MINUTES` minutes: setting a
password changes the hash, so the link works once; disabling the account refuses it too.
Setting a password ends every open session of the account (OWASP Forgot Password Cheat
Sheet). The "forgot" form answers the same for any address, mailed or not; the email itself
is composed and sent a layer up (delivery/password_mail.py).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from newsletter.errors import InputError, RateLimitError, StateError, TokenError
from newsletter.staff.accounts import canonical_email, store
from newsletter.staff.domain import users as rules
from newsletter.staff.domain.users import StaffUser
from newsletter.staff.ports import StaffServices

RESET_PATH = "/staff/reset/"
#: "Forgot my password" emails per address, and requests per client address, per hour.
MAX_PER_ADDRESS = 3
MAX_PER_CLIENT = 10
WINDOW = dt.timedelta(hours=1)


def _hash(ctx: StaffServices, password: str) -> str:
    rules.check_password_rules(password)
    return rules.hash_password(password, secrets.token_bytes(16))


def change_password(ctx: StaffServices, user: StaffUser, current: str, new: str) -> None:
    """The signed-in user's own password, given the current one. Every session ends (the
    caller signs the browser in again if it wants)."""
    db = store(ctx)
    found = db.account(user.id)
    if found is None or not rules.verify_password(current, found[1]):
        raise InputError("the current password is wrong", location="current password")
    db.set_password(user.id, _hash(ctx, new))


def set_enabled(ctx: StaffServices, actor: StaffUser, user_id: int, *, enabled: bool) -> StaffUser:
    """An approver disables (ending its sessions at once) or enables an account."""
    if not actor.can_approve:
        raise StateError("only an approver may disable or enable accounts")
    if actor.id == user_id and not enabled:
        raise StateError("you cannot disable your own account")
    db = store(ctx)
    if not db.set_disabled(user_id, disabled=not enabled, now=ctx.clock.now()):
        raise InputError("no such account")
    found = db.account(user_id)
    assert found is not None
    return found[0]


def reset_link(ctx: StaffServices, user_id: int) -> str:
    """A one-time link that sets a new password for the account."""
    found = store(ctx).account(user_id)
    if found is None or found[0].disabled:
        raise InputError("no such account, or it is disabled")
    issued = int(ctx.clock.now().timestamp())
    stamp = rules.password_stamp(found[1])
    token = ctx.links.token(rules.RESET_PURPOSE, user_id, stamp, issued)
    return f"{ctx.links.base_url}{RESET_PATH}{token}"


def issue_reset_link(ctx: StaffServices, actor: StaffUser, user_id: int) -> tuple[StaffUser, str]:
    """An approver makes a reset link for someone to pass on (in person, by phone)."""
    if not actor.can_approve:
        raise StateError("only an approver may make reset links")
    link = reset_link(ctx, user_id)
    found = store(ctx).account(user_id)
    assert found is not None
    return found[0], link


@dataclass(frozen=True, slots=True)
class ResetMail:
    email: str
    link: str


def forgot(ctx: StaffServices, email: str, client: str) -> ResetMail | None:
    """What to mail for a "forgot my password" request: None when nothing goes out (no such
    account, disabled, or this address had its emails this hour). RateLimitError when the
    client asked too often (the only answer that differs, and it concerns the asker)."""
    try:
        key = canonical_email(email)
    except InputError:
        key = email.strip().casefold()[:320]
    now = ctx.clock.now()
    hashing = ctx.links.hashing
    client_ok, mail = store(ctx).admit_reset(
        address_hash=rules.keyed_hash(hashing, "staff-reset-address:", key),
        client_hash=rules.keyed_hash(hashing, "staff-reset-client:", client),
        now=now,
        since=now - WINDOW,
        max_per_address=MAX_PER_ADDRESS,
        max_per_client=MAX_PER_CLIENT,
    )
    if not client_ok:
        raise RateLimitError("too many password reset requests from your network")
    found = store(ctx).credentials(key) if mail else None
    if found is None or found[0].disabled:
        return None
    return ResetMail(found[0].email, reset_link(ctx, found[0].id))


def reset_target(ctx: StaffServices, token: str) -> StaffUser:
    """The account a reset link is for, while the link is fresh and unused (TokenError)."""
    now = int(ctx.clock.now().timestamp())
    claims = ctx.links.verify(
        token, purpose=rules.RESET_PURPOSE, now=now, max_age=rules.RESET_MINUTES * 60
    )
    found = store(ctx).account(claims.member_id)
    if found is None or found[0].disabled or claims.topic != rules.password_stamp(found[1]):
        raise TokenError("invalid token")
    return found[0]


def reset_password(ctx: StaffServices, token: str, new: str) -> StaffUser:
    """Set the password through a reset link; the link is spent and every session ends."""
    user = reset_target(ctx, token)
    store(ctx).set_password(user.id, _hash(ctx, new))
    return user
