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
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from newsletter.domain.addresses import AddressError, email_key, normalize_address

__all__ = [
    "COLUMNS",
    "LANGUAGES",
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

#: BCP 47 tags the network writes in. Serbian is the only language with two scripts.
LANGUAGES: tuple[str, ...] = ("en", "sr-Cyrl", "sr-Latn", "bg", "ro", "mk", "tr")

_TOPIC_RE = re.compile(r"^[a-z][a-z0-9-]{0,39}$")
_COUNTRY_RE = re.compile(r"^[A-Z]{2}$")
# Romanian is written with comma-below letters (SR 13011); legacy keyboards produce cedillas.
_ROMANIAN_CEDILLA = str.maketrans({"ş": "ș", "Ş": "Ș", "ţ": "ț", "Ţ": "Ț"})
_CEDILLAS = re.compile("[şŞţŢ]")
_MAX_FIELD = 200


class MemberStatus(StrEnum):
    """Global status of an address; anything but ACTIVE means no mail at all."""

    ACTIVE = "active"
    UNSUBSCRIBED = "unsubscribed"
    BOUNCED = "bounced"
    COMPLAINED = "complained"


@dataclass(frozen=True, slots=True)
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
    #: Version id of the consent text the person saw (GDPR Art. 7(1); reliability GDPR-07).
    consent_wording: str = ""

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


def normalize_text(value: str) -> str:
    """NFC, Romanian comma-below letters, inner whitespace (CR/LF from Excel cells) folded."""
    if value.isascii():  # most cells: NFC and the cedilla map cannot change ASCII (fast path)
        return " ".join(value.split())
    text = unicodedata.normalize("NFC", value)
    if _CEDILLAS.search(text):  # str.translate is slow; most text has no cedilla
        text = text.translate(_ROMANIAN_CEDILLA)
    return " ".join(text.split())


def parse_topics(raw: str) -> frozenset[str]:
    """Topics come as ``events;calls`` (or comma-separated); each must be a lowercase slug."""
    parts = [p.strip().lower() for p in re.split(r"[;,|]", raw) if p.strip()]
    bad = [p for p in parts if not _TOPIC_RE.match(p)]
    if bad:
        raise ValueError(f"not a topic name: {', '.join(bad)}")
    return frozenset(parts)


def parse_member_row(row: Mapping[str, str], row_number: int) -> MemberRecord | RowProblem:
    """Validate one row already keyed by canonical column names."""
    raw_email = row.get("email", "") or ""
    try:
        email, key = normalize_address(raw_email)
    except AddressError as exc:
        return RowProblem(row_number, "email", str(exc), raw_email.strip())

    values = {name: normalize_text(row.get(name, "") or "") for name in COLUMNS[1:]}
    for name, value in values.items():
        if len(value) > _MAX_FIELD:
            return RowProblem(row_number, name, f"longer than {_MAX_FIELD} characters", email)

    country = values["country"].upper()
    if country and not _COUNTRY_RE.match(country):
        return RowProblem(
            row_number, "country", f"not an ISO 3166-1 alpha-2 code: {country!r}", email
        )

    language = _canonical_language(values["language"] or "en")
    if language not in LANGUAGES:
        return RowProblem(
            row_number, "language", f"unsupported language {values['language']!r}", email
        )

    tier_raw = (values["tier"] or "friend").lower()
    if tier_raw not in TIERS:
        return RowProblem(row_number, "tier", f"must be member or friend, not {tier_raw!r}", email)
    tier: Tier = "member" if tier_raw == "member" else "friend"

    try:
        topics = parse_topics(values["topics"])
    except ValueError as exc:
        return RowProblem(row_number, "topics", str(exc), email)

    timezone = values["timezone"]
    if timezone:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            return RowProblem(row_number, "timezone", f"unknown time zone {timezone!r}", email)

    consent_date: dt.date | None = None
    if values["consent_date"]:
        try:
            consent_date = dt.date.fromisoformat(values["consent_date"])
        except ValueError:
            return RowProblem(
                row_number,
                "consent_date",
                f"not a date (YYYY-MM-DD): {values['consent_date']!r}",
                email,
            )
    if topics and not values["consent_source"]:
        # GDPR Art. 7(1): we must be able to show consent; an import never invents it.
        return RowProblem(
            row_number, "consent_source", "topics given without a consent source", email
        )

    return MemberRecord(
        email=email,
        email_key=key,
        first_name=values["first_name"],
        last_name=values["last_name"],
        organization=values["organization"],
        role=values["role"],
        country=country,
        language=language,
        tier=tier,
        topics=topics,
        timezone=timezone,
        consent_source=values["consent_source"],
        consent_date=consent_date,
        consent_wording=values["consent_wording"],
    )


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
