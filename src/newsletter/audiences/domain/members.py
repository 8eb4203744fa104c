"""Members: who a person is to the network, and how an imported row becomes one.

An address is stored in its ASCII form (IDN domains as punycode, RFC 5891) so that SMTP servers
and SendGrid, which rejects non-ASCII in some fields, accept it. Duplicates are found with a
case-folded key of the whole address: RFC 5321 §2.4 lets the local part be case-sensitive, but no
mailbox provider in this network's region treats it so, and staff expect ``Ana@X`` and ``ana@x``
to be one person.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from newsletter.core.addresses import AddressError, email_key, normalize_address
from newsletter.core.texts import fix_letters, framed_if_tidy, letters_language, normalize_text

__all__ = [
    "COLUMNS",
    "LANGUAGES",
    "PROFILE_FIELDS",
    "TIERS",
    "AddressError",
    "MemberRecord",
    "MemberStatus",
    "RowProblem",
    "Tier",
    "email_key",
    "normalize_address",
    "normalize_text",
    "parse_member_row",
    "parse_topics",
]

Tier = Literal["member", "friend"]
TIERS: tuple[Tier, ...] = ("member", "friend")

#: Canonical columns of a member file, in the order exports write them.
COLUMNS: tuple[str, ...] = (
    "email",
    "first_name",
    "last_name",
    "organization",
    "role",
    "country",
    "language",
    "tier",
    "topics",
    "timezone",
    "consent_source",
    "consent_date",
    "consent_wording",
)

#: A member's profile, in the file's order: the fields staff may edit (audiences/member_edits.py),
#: an import may change on a member already held (audiences/sql/import_session.py) and, with the
#: address and consent source, a segment rule may test (domain/segments.py). Not the address
#: (the member's key), not the topics (subscriptions), not the consent columns: the member row
#: keeps how we first got consent; later consents are rows of ``consent_events``.
PROFILE_FIELDS: tuple[str, ...] = tuple(
    c for c in COLUMNS if c not in ("email", "topics") and not c.startswith("consent_")
)

#: BCP 47 tags the network writes in. Serbian is the only language with two scripts.
LANGUAGES: tuple[str, ...] = ("en", "sr-Cyrl", "sr-Latn", "bg", "ro", "mk", "tr")

_TOPIC_RE = re.compile(r"^[a-z][a-z0-9-]{0,39}$")
_COUNTRY_RE = re.compile(r"^[A-Z]{2}$")
_MAX_FIELD = 200


class MemberStatus(StrEnum):
    """Global status of an address; anything but ACTIVE means no mail at all."""

    ACTIVE = "active"
    UNSUBSCRIBED = "unsubscribed"
    BOUNCED = "bounced"
    COMPLAINED = "complained"


# Not frozen, on purpose: a frozen dataclass sets each field through object.__setattr__ (~0.2 µs
# a field, 3 µs for this one), and an import builds one per row (benchmarks/audiences.py). Treat
# it as immutable all the same.
@dataclass(slots=True)
class MemberRecord:
    """A validated member as it comes out of an import row."""

    email: str
    email_key: str
    first_name: str = ""
    last_name: str = ""
    organization: str = ""
    role: str = ""
    country: str = ""
    language: str = "en"
    tier: Tier = "friend"
    topics: frozenset[str] = field(default_factory=frozenset)
    timezone: str = ""
    consent_source: str = ""
    consent_date: dt.date | None = None
    #: Version id of the consent text the person saw (GDPR Art. 7(1)).
    consent_wording: str = ""
    #: How the source system stood with the person: "" (not said), subscribed, unsubscribed
    #: or cleaned (see domain/sources.py). The last two become suppressions, never members.
    standing: str = ""

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)


@dataclass(frozen=True, slots=True)
class RowProblem:
    """Why one input row was refused, by row number (the header is row 1, as in a spreadsheet)."""

    row: int
    field: str
    reason: str
    email: str = ""


def parse_topics(raw: str) -> frozenset[str]:
    """Topics come as ``events;calls`` (or comma-separated); each must be a lowercase slug."""
    parts = [p.strip().lower() for p in re.split(r"[;,|]", raw) if p.strip()]
    bad = [p for p in parts if not _TOPIC_RE.match(p)]
    if bad:
        raise ValueError(f"not a topic name: {', '.join(bad)}")
    return frozenset(parts)


def parse_member_row(
    row: Mapping[str, str], row_number: int, *, tidy: bool = False
) -> MemberRecord | RowProblem:
    """Validate one row already keyed by canonical column names. ``tidy=True``: the caller has
    found :func:`tidy_cells` true of the row's cells, so none needs :func:`normalize_text`."""
    raw_email = row.get("email", "") or ""
    try:
        email, key = normalize_address(raw_email)
    except AddressError as exc:
        return RowProblem(row_number, "email", str(exc), raw_email.strip())

    values = _texts(row, tidy)
    if isinstance(values, str):
        return RowProblem(row_number, values, f"longer than {_MAX_FIELD} characters", email)
    first, last, org, role, country, language, tier, topics, zone, source, date, wording = values

    # Each check below is memoised on the cell's text: a file holds a handful of countries,
    # languages, topic lists, zones and dates, repeated row after row.
    country, why = _country(country)
    if why:
        return RowProblem(row_number, "country", why, email)
    language, why = _language(language)
    if why:
        return RowProblem(row_number, "language", why, email)
    # A language's letter rule only where that language applies (core/texts.py).
    rule = letters_language(language, country)
    if rule:
        first, last, org, role = (fix_letters(v, rule) for v in (first, last, org, role))
    tier_value, why = _tier(tier)
    if why:
        return RowProblem(row_number, "tier", why, email)
    topic_set = _topics(topics)
    if isinstance(topic_set, str):
        return RowProblem(row_number, "topics", topic_set, email)
    if zone and not _known_zone(zone):
        return RowProblem(row_number, "timezone", f"unknown time zone {zone!r}", email)
    consent_date = _date(date) if date else None
    if isinstance(consent_date, str):
        return RowProblem(row_number, "consent_date", consent_date, email)
    if topic_set and not source:
        # GDPR Art. 7(1): we must be able to show consent; an import never invents it.
        return RowProblem(
            row_number, "consent_source", "topics given without a consent source", email
        )

    return MemberRecord(
        email,
        key,
        first,
        last,
        org,
        role,
        country,
        language,
        tier_value,
        topic_set,
        zone,
        source,
        consent_date,
        wording,
        row.get("standing", ""),
    )


_TEXTS = COLUMNS[1:]
_BLANKS = ("",) * len(_TEXTS)


def _texts(row: Mapping[str, str], tidy: bool) -> list[str] | str:
    """The text cells after :func:`normalize_text`, or the name of the first one too long."""
    values: list[str] = list(map(row.get, _TEXTS, _BLANKS))
    if not (tidy or framed_if_tidy(values) is not None):
        values = [normalize_text(value or "") for value in values]
    elif sum(map(len, values)) <= _MAX_FIELD:
        return values
    for name, value in zip(_TEXTS, values, strict=True):
        if len(value) > _MAX_FIELD:
            return name
    return values


@lru_cache(maxsize=512)
def _country(text: str) -> tuple[str, str]:
    country = text.upper()
    if country and not _COUNTRY_RE.match(country):
        return country, f"not an ISO 3166-1 alpha-2 code: {country!r}"
    return country, ""


@lru_cache(maxsize=512)
def _language(text: str) -> tuple[str, str]:
    language = _canonical_language(text or "en")
    if language not in LANGUAGES:
        return language, f"unsupported language {text!r}"
    return language, ""


@lru_cache(maxsize=64)
def _tier(text: str) -> tuple[Tier, str]:
    tier = (text or "friend").lower()
    if tier == "member":
        return "member", ""
    if tier == "friend":
        return "friend", ""
    return "friend", f"must be member or friend, not {tier!r}"


@lru_cache(maxsize=1024)
def _topics(text: str) -> frozenset[str] | str:
    try:
        return parse_topics(text)
    except ValueError as exc:
        return str(exc)


@lru_cache(maxsize=1024)
def _known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


@lru_cache(maxsize=4096)
def _date(text: str) -> dt.date | str:
    if len(text) > 10 and text[10] in " T" and text[:4].isdigit():
        # A timestamp, as Mailchimp (``2016-04-18 13:51:14``) and listmonk (Go's
        # ``2024-03-01 09:30:00.1 +0000 UTC``) write them: the day is what consent keeps.
        text = text[:10]
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return f"not a date (YYYY-MM-DD): {text!r}"


def _canonical_language(tag: str) -> str:
    """Case-normalise a BCP 47 tag as RFC 5646 §2.1.1 recommends (``sr-cyrl`` -> ``sr-Cyrl``)."""
    parts = tag.replace("_", "-").split("-")
    out = [parts[0].lower()]
    for part in parts[1:]:
        if len(part) == 4:
            out.append(part.title())
        elif len(part) == 2:
            out.append(part.upper())
        else:
            out.append(part.lower())
    return "-".join(out)
