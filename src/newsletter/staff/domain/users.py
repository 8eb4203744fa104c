"""Staff accounts: roles, password hashing and the rules for signing in.

Passwords are hashed with scrypt (memory-hard, in the standard library) with a per-user random
salt; the stored form names its parameters so they can be raised later without breaking old
hashes. Salts and session secrets are passed in, so this module does no I/O.
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
import hashlib
import hmac
from dataclasses import dataclass

from newsletter.errors import InputError

#: RFC 7914 parameters recommended for interactive logins (about 16 MiB, tens of ms).
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # scrypt cost does not grow with length, but a body limit is still sane

#: Failed sign-ins allowed per window before further attempts are refused (OWASP
#: Authentication Cheat Sheet, "Login Throttling"): per address (guessing one account) and per
#: client address (spraying many accounts).
WINDOW_SECONDS = 15 * 60
MAX_FAILURES_PER_EMAIL = 5
MAX_FAILURES_PER_IP = 20
#: Past a limit nobody is locked out for the window: each further attempt must wait twice as
#: long after the previous one as the last did (2 s, 4 s, ... at most this), so the owner who
#: mistyped gets in a minute later while a guesser gets about one try a minute.
MAX_DELAY_SECONDS = 60


def attempt_delay(failures: int, limit: int) -> float:
    """Seconds an attempt must wait after the previous one, with ``failures`` recent ones."""
    if failures < limit:
        return 0.0
    return float(min(2 ** (failures - limit + 1), MAX_DELAY_SECONDS))


def may_attempt(
    now: dt.datetime,
    per_email: tuple[int, dt.datetime | None],
    per_ip: tuple[int, dt.datetime | None],
) -> float:
    """0 if a sign-in may be tried now, else how many seconds to wait. Each pair is (recent
    attempts, the latest one's time) for the account's address and for the client address."""
    wait = 0.0
    for (count, last), limit in (
        (per_email, MAX_FAILURES_PER_EMAIL),
        (per_ip, MAX_FAILURES_PER_IP),
    ):
        delay = attempt_delay(count, limit)
        if delay and last is not None:
            wait = max(wait, delay - (now - last).total_seconds())
    return max(wait, 0.0)


class Role(enum.StrEnum):
    EDITOR = "editor"
    APPROVER = "approver"


@dataclass(frozen=True, slots=True)
class StaffUser:
    id: int
    email: str
    role: Role
    #: Disabled by an approver: cannot sign in, has no session.
    disabled: bool = False

    @property
    def can_approve(self) -> bool:
        return self.role is Role.APPROVER


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InputError(f"a staff password needs at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise InputError(f"a staff password may have at most {MAX_PASSWORD} characters")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_password(password: str, salt: bytes) -> str:
    """``scrypt$n$r$p$salt$hash``: self-describing, so parameters can change per user."""
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32
    )
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt" or len(password) > MAX_PASSWORD:
            return False
        found = hashlib.scrypt(
            password.encode(),
            salt=_unb64(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(_unb64(digest)),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(found, _unb64(digest))


#: Verified against when the address is unknown, so a wrong address costs as much time as a
#: wrong password and response times do not reveal which staff accounts exist.
DUMMY_HASH = hash_password("not a password", b"\x00" * 16)


def session_key(token: str) -> str:
    """What the database keeps of a session token: a leaked table opens no session."""
    return hashlib.sha256(token.encode()).hexdigest()


#: Password reset links (token purpose): single use, short-lived.
RESET_PURPOSE = "staff-password-reset"
RESET_MINUTES = 30


def password_stamp(password_hash: str) -> str:
    """A short digest of the stored password hash, signed into a reset link: setting any new
    password (a fresh salt, so a fresh hash) changes it, so a link works once. The same idea
    as Django's PasswordResetTokenGenerator; the digest tells nothing about the password."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def keyed_hash(secret: bytes, label: str, value: str) -> str:
    """HMAC-SHA256 (RFC 2104) of ``value`` under the installation's hash key, for the limits
    table: no address or client address is stored in the clear."""
    return hmac.new(secret, (label + value).encode("utf-8"), hashlib.sha256).hexdigest()
