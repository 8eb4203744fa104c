"""What staff call a member's fields and states: the labels the staff pages show instead of
column names (``first_name`` -> "First name"), and the local time they read a stamp in."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

FIELD_LABELS: Mapping[str, str] = {
    "id": "Member number",
    "email": "Email address",
    "first_name": "First name",
    "last_name": "Last name",
    "organization": "Organisation",
    "role": "Role in the organisation",
    "country": "Country",
    "language": "Language and script",
    "tier": "Membership",
    "timezone": "Time zone",
    "topics": "Topics",
    "consent_source": "Consent given through",
    "consent_date": "Consent given on",
    "consent_wording": "Consent wording version",
    "status": "Status",
    "created_at": "Added",
    "updated_at": "Last changed",
}

LANGUAGE_LABELS: Mapping[str, str] = {
    "en": "English",
    "sr-Cyrl": "Serbian, Cyrillic (ћирилица)",
    "sr-Latn": "Serbian, Latin (latinica)",
    "bg": "Bulgarian",
    "ro": "Romanian",
    "mk": "Macedonian",
    "tr": "Turkish",
}

TIER_LABELS: Mapping[str, str] = {"member": "Member of the network", "friend": "Friend"}

STATUS_LABELS: Mapping[str, str] = {
    "active": "Active",
    "unsubscribed": "Unsubscribed from everything",
    "bounced": "Address bounced",
    "complained": "Reported our mail as spam",
}


def label(field: str) -> str:
    """The human label of a field; an unknown one is made readable rather than shown raw."""
    return FIELD_LABELS.get(field, field.replace("_", " ").capitalize())


def local_time(value: dt.datetime | None, zone: dt.tzinfo) -> str:
    """A stamp as staff read it: in ``zone``, to the minute, with the zone's abbreviation
    (``2015-09-01 12:33 CEST``); stored stamps are UTC (SQLite hands them back naive)."""
    if value is None:
        return "-"
    aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return aware.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
