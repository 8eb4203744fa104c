"""Where a member file comes from, and which of its columns mean which of our fields.

People bring the files their old system wrote. Two are recognised by their header, with the
column names exactly as those systems write them:

* **Mailchimp** audience exports (Audience > Export audience: a ZIP holding
  ``subscribed_members_export_*.csv``, ``unsubscribed_members_export_*.csv`` and
  ``cleaned_members_export_*.csv``). ``Email Address``, ``First Name``, ``Last Name`` and the
  audience's own merge fields come first, then Mailchimp's system columns: ``MEMBER_RATING``,
  ``OPTIN_TIME``, ``OPTIN_IP``, ``CONFIRM_TIME``, ``CONFIRM_IP``, ``LATITUDE``, ``LONGITUDE``,
  ``GMTOFF``, ``DSTOFF``, ``TIMEZONE``, ``CC``, ``REGION``, then ``LAST_CHANGED`` (subscribed),
  ``UNSUB_TIME``, ``UNSUB_CAMPAIGN_TITLE``, ``UNSUB_CAMPAIGN_ID``, ``UNSUB_REASON``,
  ``UNSUB_REASON_OTHER`` (unsubscribed) or ``CLEAN_TIME``, ``CLEAN_CAMPAIGN_TITLE``,
  ``CLEAN_CAMPAIGN_ID`` (cleaned), and ``LEID``, ``EUID``, ``NOTES``, ``TAGS``. Timestamps are
  ``YYYY-MM-DD HH:MM:SS`` (UTC); ``CC`` is the ISO 3166-1 country, ``TIMEZONE`` an IANA zone.
* **listmonk** subscriber exports (Subscribers > Export), whose handler writes exactly
  ``uuid, email, name, attributes, status, created_at, updated_at``: ``attributes`` is a JSON
  object, ``status`` one of ``enabled``, ``disabled``, ``blocklisted``, and the times are Go's
  ``time.Time.String()`` (``2024-03-01 09:30:00.123456 +0000 UTC``).

Anything else is a generic spreadsheet, read through the header aliases of
:mod:`newsletter.audiences.domain.columns`. Whatever the source, a column that means none of our
fields is ignored and named in the report, never dropped silently; staff may map any column
(``--map COLUMN=FIELD``) or ignore it (``--ignore-column``).

People the source system had unsubscribed, blocklisted or cleaned (hard bounces) come in with a
*standing* (:data:`STANDING`, read by :mod:`newsletter.audiences.domain.source_rows`): they
become suppressions, never subscriptions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from newsletter.audiences.domain.columns import (
    ALIASES,
    FULL_NAME,
    IGNORED,
    STATUS,
    header_key,
)
from newsletter.audiences.domain.members import COLUMNS

System = Literal["mailchimp", "listmonk", "generic"]
SYSTEMS: Mapping[System, str] = {
    "mailchimp": "Mailchimp audience export",
    "listmonk": "listmonk subscriber export",
    "generic": "spreadsheet",
}

#: What an import does to a member already held: ``never`` changes a field, fills only the
#: ``empty`` ones, or ``overwrite``s with every value the file gives.
UpdatePolicy = Literal["never", "empty", "overwrite"]
UPDATE_POLICIES: tuple[UpdatePolicy, ...] = ("never", "empty", "overwrite")


#: Pseudo-field: how the source system stood with the person (subscribed, unsubscribed,
#: cleaned). Filled from a status column, or from an unsubscribe/clean time being present.
STANDING = "standing"
#: Pseudo-fields whose cell, when not empty, says the source unsubscribed / cleaned the person.
UNSUBSCRIBED_AT = "unsubscribed_at"
CLEANED_AT = "cleaned_at"
#: Pseudo-field: a JSON object of further fields (listmonk's ``attributes``).
ATTRIBUTES = "attributes"
#: What a column may be mapped to.
#: ``status`` is the column our own exports write: a row whose status is not ``active`` is
#: refused (domain/columns.py), so an export can be imported again without reviving anyone.
FIELDS: tuple[str, ...] = (
    *COLUMNS,
    FULL_NAME,
    STATUS,
    STANDING,
    UNSUBSCRIBED_AT,
    CLEANED_AT,
    ATTRIBUTES,
)
#: Standings an import turns into suppressions.
OPTED_OUT = ("unsubscribed", "cleaned")
#: The pseudo-fields :func:`resolve` turns into fields and a standing.
PSEUDO = frozenset({STANDING, UNSUBSCRIBED_AT, CLEANED_AT, ATTRIBUTES})

_MAILCHIMP: Mapping[str, str | None] = {
    "Email Address": "email",
    "First Name": "first_name",
    "Last Name": "last_name",
    "CC": "country",
    "TIMEZONE": "timezone",
    # The double opt-in confirmation is the consent we can show (GDPR Art. 7(1)).
    "CONFIRM_TIME": "consent_date",
    "UNSUB_TIME": UNSUBSCRIBED_AT,
    "CLEAN_TIME": CLEANED_AT,
    **dict.fromkeys(
        (
            "MEMBER_RATING",
            "OPTIN_TIME",
            "OPTIN_IP",
            "CONFIRM_IP",
            "LATITUDE",
            "LONGITUDE",
            "GMTOFF",
            "DSTOFF",
            "REGION",
            "LAST_CHANGED",
            "UNSUB_CAMPAIGN_TITLE",
            "UNSUB_CAMPAIGN_ID",
            "UNSUB_REASON",
            "UNSUB_REASON_OTHER",
            "CLEAN_CAMPAIGN_TITLE",
            "CLEAN_CAMPAIGN_ID",
            "LEID",
            "EUID",
            "NOTES",
            "TAGS",
        )
    ),
}
_MAILCHIMP_MARKS = frozenset({"MEMBER_RATING", "LEID", "EUID", "OPTIN_TIME"})

_LISTMONK: Mapping[str, str | None] = {
    "uuid": None,
    "email": "email",
    "name": FULL_NAME,
    "attributes": ATTRIBUTES,
    "status": STANDING,
    "created_at": None,
    "updated_at": None,
}


def recognise(header: Sequence[str]) -> System:
    """Which system wrote a file with this header."""
    names = [h.strip() for h in header]
    if "Email Address" in names and len(_MAILCHIMP_MARKS.intersection(names)) >= 2:
        return "mailchimp"
    if [n.casefold() for n in names[:7]] == list(_LISTMONK):
        return "listmonk"
    return "generic"


def preset(system: System) -> Mapping[str, str | None]:
    """The built-in mapping of a system's own columns (others go through the aliases)."""
    return {"mailchimp": _MAILCHIMP, "listmonk": _LISTMONK}.get(system, {})


@dataclass(frozen=True, slots=True)
class ColumnPlan:
    """What each column of a file becomes: a field, or None (ignored, and why)."""

    system: System
    columns: tuple[str | None, ...]
    #: Columns left out: (name as written, why), in file order.
    ignored: tuple[tuple[str, str], ...] = ()
    problem: str = ""
    header: tuple[str, ...] = ()

    @property
    def mapping(self) -> dict[str, str]:
        """Column name -> field ("" for ignored), as a preset is remembered."""
        return {n: f or "" for n, f in zip(self.header, self.columns, strict=True)}


def plan_columns(
    header: Sequence[str],
    *,
    system: System | None = None,
    remembered: Mapping[str, str] | None = None,
    mapped: Mapping[str, str] | None = None,
    ignore: Sequence[str] = (),
) -> ColumnPlan:
    """Map a header: staff's ``mapped``/``ignore`` first, then a remembered preset for the
    system, then the system's built-in preset, then the aliases. Columns named in ``mapped``
    or ``ignore`` must exist; a field two columns claim is a problem, as is no email column."""
    names = tuple(h.strip() for h in header)
    system = system or recognise(names)
    builtin = preset(system)
    mapped = {k.strip(): v.strip() for k, v in (mapped or {}).items()}
    by_key = {header_key(n): n for n in names}
    problems = [
        f"no column {name!r} in the file (columns: {', '.join(names)})"
        for name in [*mapped, *ignore]
        if header_key(name) not in by_key
    ]
    problems += [
        f"{target!r} is not a field; fields: {', '.join(FIELDS)}"
        for target in mapped.values()
        if target and target not in FIELDS
    ]
    chosen = {header_key(k): v or None for k, v in mapped.items()}
    chosen.update(dict.fromkeys(map(header_key, ignore)))
    saved = {header_key(k): v or None for k, v in (remembered or {}).items()}
    columns: list[str | None] = []
    ignored: list[tuple[str, str]] = []
    owner: dict[str, str] = {}
    for name in names:
        key = header_key(name)
        if key in chosen:
            target, why = chosen[key], "ignored as asked"
        elif key in saved:
            target, why = saved[key], f"ignored by the saved {SYSTEMS[system]} mapping"
        elif name in builtin:
            target, why = builtin[name], f"{SYSTEMS[system]} column we do not keep"
        elif key in IGNORED:
            target, why = None, "our own rejects-file column"
        else:
            target, why = ALIASES.get(key), "not a field we keep"
        if target == STATUS and system != "generic":
            target = STANDING
        if target is not None and target in owner:
            problems.append(f"columns {owner[target]!r} and {name!r} both mean {target}")
        elif target is not None:
            owner[target] = name
        else:
            ignored.append((name, why))
        columns.append(target)
    if "email" not in owner and not problems:
        problems.append(
            "no column means email: map one with --map COLUMN=email "
            "(or name it 'email', 'E-mail', 'Email Address')"
        )
    return ColumnPlan(system, tuple(columns), tuple(ignored), "; ".join(problems), names)


def parse_mapping(pairs: Sequence[str]) -> dict[str, str]:
    """``COLUMN=FIELD`` strings (``COLUMN=`` ignores the column); the last ``=`` splits, so a
    column name may hold one."""
    found: dict[str, str] = {}
    for pair in pairs:
        column, sep, target = pair.rpartition("=")
        if not sep or not column.strip():
            raise ValueError(f"--map wants COLUMN=FIELD, not {pair!r}")
        found[column.strip()] = target.strip()
    return found
