"""Email addresses: validation, the stored form and the duplicate key.

``email-validator`` is the reference (RFC 5321/5322 syntax, IDNA 2008 domains, no DNS at import),
but one call costs about 50 µs, which alone would cap an import below 20 000 rows/s. Almost every
address in a member file is plain ASCII ``dot-atom@host.tld``; for those a strict regular
expression gives the same answer as the library in about 1 µs. Anything outside that subset goes
to the library, and a test holds the two to the same results.

Stored form: the domain in its ASCII (A-label) form, RFC 5891 §4.4, lowercased; the local part
as written (RFC 5321 §2.4 lets it be case-sensitive). A non-ASCII local part needs SMTPUTF8
(RFC 6531), which not every provider accepts: it is kept, and the import report flags it.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from email_validator import SPECIAL_USE_DOMAIN_NAMES as _SPECIAL_USE
from email_validator import EmailNotValidError, validate_email

# RFC 5321 §4.5.3.1.1 and .3: 64 octets for the local part, 254 for the whole path content.
# email-validator 2.4 accepted a 65-character local part in our tests.
MAX_LOCAL = 64
MAX_ADDRESS = 254

_ATEXT = r"A-Za-z0-9!#$%&'*+/=?^_`{|}~-"  # RFC 5322 §3.2.3 atext
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_FAST = re.compile(
    rf"(?P<local>[{_ATEXT}]+(?:\.[{_ATEXT}]+)*)@(?P<domain>(?:{_LABEL}\.)+[A-Za-z]{{2,63}})"
)
# Labels like ``ab--cd`` are reserved for IDNA (RFC 5891 §4.2.3.1); the library judges them.
_HYPHENS34 = re.compile(r"(?:^|\.)..--")
_SPECIAL = frozenset(_SPECIAL_USE)
_SPECIAL_DEPTH = max(name.count(".") + 1 for name in _SPECIAL)


def _special(domain: str) -> bool:
    """The domain is, or is under, a special-use name (RFC 6761 and the library's list)."""
    if _SPECIAL_DEPTH == 1:  # today every name on the list is a single label
        return domain[domain.rfind(".") + 1 :] in _SPECIAL
    labels = domain.rsplit(".", _SPECIAL_DEPTH)
    return any(".".join(labels[-i:]) in _SPECIAL for i in range(1, len(labels) + 1))


class AddressError(ValueError):
    """An address that cannot be used; the message says why."""


def normalize_address(raw: str) -> tuple[str, str]:
    """Return ``(stored_address, dedupe_key)`` for a raw address, or raise AddressError."""
    candidate = raw.strip()
    if not candidate:
        raise AddressError("empty address")
    stored = _fast(candidate)
    if stored is not None:
        return stored, stored.lower()  # ASCII: NFKC changes nothing, casefold() is lower()
    stored = _slow(candidate)
    return stored, email_key(stored)


def email_key(address: str) -> str:
    """The duplicate-detection key: NFKC then ``casefold()``.

    ``lower()`` is not enough: it keeps ``ß`` and turns ``İ`` into two code points
    (Unicode case folding, as ``str.casefold`` does); NFKC makes composed and decomposed spellings
    one key.
    """
    return unicodedata.normalize("NFKC", address.strip()).casefold()


def needs_smtputf8(address: str) -> bool:
    """True when the local part is not ASCII: only SMTPUTF8 servers (RFC 6531) take it."""
    return not address.isascii()


def _fast(candidate: str) -> str | None:
    if len(candidate) > MAX_ADDRESS:
        return None
    match = _FAST.fullmatch(candidate)
    if match is None:
        return None
    local, domain = match.group("local", "domain")
    domain = _plain_domain(domain)
    if len(local) > MAX_LOCAL or domain is None:
        return None
    return f"{local}@{domain}"


@lru_cache(maxsize=4096)
def _plain_domain(domain: str) -> str | None:
    """The domain lowercased, or None when the library must judge it. Memoised: a member file
    repeats a few hundred domains (providers, the members' own) across its rows."""
    domain = domain.lower()
    if len(domain) > 253 or _HYPHENS34.search(domain):
        return None
    if _special(domain):
        return None  # let the library say why (e.g. ``.local``, ``.onion``, RFC 6761)
    return domain


def _slow(candidate: str) -> str:
    try:
        valid = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError as exc:
        raise AddressError(str(exc)) from exc
    local = valid.local_part
    if len(local.encode("utf-8")) > MAX_LOCAL:
        raise AddressError(
            f"The part before the @-sign is too long ({len(local.encode('utf-8'))} octets; "
            f"RFC 5321 allows {MAX_LOCAL})."
        )
    return f"{local}@{valid.ascii_domain}"
