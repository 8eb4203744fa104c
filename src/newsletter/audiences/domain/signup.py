"""Friends subscribing through the public form, with double opt-in: the rules, no I/O.

A request is validated here, stored, and answered with a confirmation email whose link carries
a signed token (core/tokens.py, purpose :data:`CONFIRM_PURPOSE`). Only a POST from the page
that link opens confirms; GETs change nothing, so mail scanners that follow links cannot
subscribe anyone (the reason RFC 8058 §1 gives for unsubscribes applies alike).

List bombing - a script signing a victim's address up to many lists so their inbox floods with
confirmation requests - is limited per address and per client address over sliding windows
counted in the database. The address and the client address are stored as keyed hashes
(HMAC-SHA256, RFC 2104) only: the window needs to recognise them, not to read them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum

from newsletter.audiences.domain.members import LANGUAGES, normalize_text
from newsletter.audiences.domain.privacy import SuppressionReason
from newsletter.core.addresses import AddressError, normalize_address
from newsletter.core.texts import fix_letters, letters_language

#: ``consent_events.source`` and ``members.consent_source`` of everything confirmed here.
SOURCE = "web form"
#: Token purpose of the confirmation link; a token for any other purpose never verifies.
CONFIRM_PURPOSE = "subscribe-confirm"
#: The confirmation link works this long; unconfirmed requests are deleted after it.
CONFIRM_MAX_AGE = dt.timedelta(days=7)
#: At most this many confirmation emails to one address per window (list bombing).
MAX_PER_ADDRESS = 3
ADDRESS_WINDOW = dt.timedelta(hours=24)
#: At most this many requests from one client address per window.
MAX_PER_CLIENT = 10
CLIENT_WINDOW = dt.timedelta(hours=1)
MAX_NAME = 200

# Domain separation (as audiences/domain/privacy.py does for suppressions): these hashes can never
# be a valid MAC of a token or of a suppression, and the label versions the scheme.
_ADDRESS_LABEL = b"newsletter/signup-address/v1\x00"
_CLIENT_LABEL = b"newsletter/signup-client/v1\x00"


class RequestState(StrEnum):
    MAILED = "mailed"  # a confirmation email went out; waiting for the POST
    DROPPED = "dropped"  # counted against the client, but no email (limit or suppression)
    CONFIRMED = "confirmed"


@dataclass(frozen=True, slots=True)
class SignupRequest:
    """A valid form: what will become a member once the address owner confirms."""

    email: str
    email_key: str
    first_name: str
    last_name: str
    organization: str
    language: str
    topics: tuple[str, ...]
    #: Version id of the consent text the form showed (GDPR Art. 7(1)).
    wording_version: str


@dataclass(frozen=True, slots=True)
class FieldProblem:
    field: str
    reason: str


def parse_signup(
    fields: Mapping[str, str],
    topics: Collection[str],
    *,
    offered: Collection[str],
    wording_version: str,
) -> SignupRequest | list[FieldProblem]:
    """The form as a request, or every problem with it (each naming its field)."""
    problems: list[FieldProblem] = []
    stored, key = "", ""
    try:
        stored, key = normalize_address(fields.get("email", ""))
    except AddressError as exc:
        problems.append(FieldProblem("email", str(exc)))
    names: dict[str, str] = {}
    rule = letters_language(fields.get("language", ""))  # the form asks no country
    for name in ("first_name", "last_name", "organization"):
        value = fix_letters(normalize_text(fields.get(name, "")), rule)
        if len(value) > MAX_NAME:
            problems.append(FieldProblem(name, f"at most {MAX_NAME} characters"))
        elif any(ord(c) < 32 or c in "<>" for c in value):
            problems.append(FieldProblem(name, "contains characters a name does not"))
        names[name] = value
    language = fields.get("language", "")
    if language not in LANGUAGES:
        problems.append(FieldProblem("language", "choose one of the offered languages"))
    chosen = set(topics)
    if not chosen:
        problems.append(FieldProblem("topics", "choose at least one list"))
    elif not chosen <= set(offered):
        problems.append(FieldProblem("topics", "choose among the offered lists"))
    if problems:
        return problems
    return SignupRequest(
        stored,
        key,
        names["first_name"],
        names["last_name"],
        names["organization"],
        language,
        tuple(sorted(chosen)),
        wording_version,
    )


def may_mail(suppression: str | None) -> bool:
    """Whether a confirmation request may go to an address with this suppression reason.

    Bounced and complained addresses get nothing, ever (a confirmation to a complainer invites
    the next complaint). An address suppressed because its owner unsubscribed from everything,
    or asked to be erased, may ask again: confirming proves it is the owner asking.
    """
    return suppression not in (SuppressionReason.BOUNCED, SuppressionReason.COMPLAINED)


def address_hash(secret: bytes, email_key: str) -> str:
    return _keyed(secret, _ADDRESS_LABEL, email_key)


def client_hash(secret: bytes, client: str) -> str:
    return _keyed(secret, _CLIENT_LABEL, client)


def _keyed(secret: bytes, label: bytes, value: str) -> str:
    return hmac.new(secret, label + value.encode("utf-8"), hashlib.sha256).hexdigest()
