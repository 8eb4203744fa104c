"""Spreadsheet columns and cells: header aliases, cell hygiene, formula neutralisation.

Staff export member lists from Excel and from partners' systems, in English, Serbian (both
scripts), Bulgarian, Macedonian, Romanian and Turkish. The alias table maps the headers they
actually use onto the canonical columns of :data:`newsletter.audiences.domain.members.COLUMNS`. A
header is compared after Unicode decomposition without accents, case folding and with ``-``, ``_``,
``.`` read as spaces, so ``E-mail``, ``e_mail`` and ``EMAIL`` are one header, as are ``Država`` and
``Drzava``.

Cells are untrusted: a value starting with ``=``, ``+``, ``-`` or ``@`` is a formula to Excel
(OWASP "CSV injection"; ASVS 5.0 1.2.10). Exports neutralise such cells with a leading ``'``,
imports strip that one ``'`` again so our own exports round-trip,
and an import refuses cells that look like formulas rather than store them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from newsletter.audiences.domain.members import COLUMNS
from newsletter.core.texts import framed_if_tidy

#: Pseudo-column split into first_name and last_name ("Име и презиме", "Full name").
FULL_NAME = "full_name"
#: Pseudo-column our exports write. An import accepts it so an export can be re-imported, and
#: refuses rows whose status is not active rather than ever subscribing such an address.
STATUS = "status"
#: Columns our own rejects files add; an import reads past them.
IGNORED = ("row", "reason")
#: Longest raw cell an import looks at. Excel's own limit is 32,767 characters per cell; no
#: member field needs more than a few hundred, and a bigger cell is a broken file or an attack.
MAX_CELL = 1000

_ALIASES: dict[str, tuple[str, ...]] = {
    "email": (
        "e-mail",
        "mail",
        "email address",
        "e-mail address",
        "e-mail adresa",
        "email adresa",
        "adresa e-pošte",
        "е-пошта",
        "e-пошта",
        "имејл",
        "имејл адреса",
        "имейл",
        "електронна поща",
        "адреса е-поште",
        "adresă de e-mail",
        "e-posta",
        "e-posta adresi",
    ),
    "first_name": (
        "first name",
        "firstname",
        "given name",
        "ime",
        "име",
        "prenume",
        "ad",
        "имя",
    ),
    "last_name": (
        "last name",
        "lastname",
        "surname",
        "family name",
        "prezime",
        "презиме",
        "фамилия",
        "nume",
        "soyad",
        "soyadı",
        "фамилија",
    ),
    FULL_NAME: (
        "full name",
        "name",
        "ime i prezime",
        "име и презиме",
        "име и фамилия",
        "nume și prenume",
        "nume complet",
        "ad soyad",
        "име презиме",
    ),
    "organization": (
        "organisation",
        "company",
        "institution",
        "organizacija",
        "организација",
        "организация",
        "firma",
        "фирма",
        "institucija",
        "институција",
        "organizație",
        "kurum",
        "şirket",
        "kuruluş",
    ),
    "role": (
        "position",
        "job title",
        "function",
        "funkcija",
        "функција",
        "pozicija",
        "позиција",
        "длъжност",
        "funcție",
        "görev",
        "pozisyon",
        "радно место",
        "radno mesto",
    ),
    "country": (
        "country code",
        "država",
        "држава",
        "държава",
        "земја",
        "zemlja",
        "земља",
        "țară",
        "ülke",
    ),
    "language": ("lang", "jezik", "језик", "език", "јазик", "limbă", "limba", "dil"),
    "tier": ("membership", "member type", "članstvo", "чланство", "членство"),
    "topics": ("topic", "interests", "teme", "теме", "теми", "subiecte", "konular"),
    "timezone": ("time zone", "tz", "vremenska zona", "временска зона", "часова зона"),
    "consent_source": (
        "consent",
        "source of consent",
        "izvor saglasnosti",
        "извор сагласности",
        "saglasnost",
        "сагласност",
    ),
    "consent_date": (
        "date of consent",
        "datum saglasnosti",
        "датум сагласности",
        "consent given",
    ),
    "consent_wording": (
        "consent version",
        "wording version",
        "consent text version",
        "verzija saglasnosti",
    ),
}

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")
# `=` anything; `+ - @` followed by a call, a DDE pipe or a sheet reference (``+cmd|' /C
# calc'!A0``, ``@SUM(1+1)``). A lone ``-`` or a phone number ``+381 11 …`` stays data.
_FORMULA = re.compile(r"(?:=.|[+\-@].*[|!(])", re.DOTALL)
# NUL, zero-width space/joiners, word joiner, BOM inside text.
_INVISIBLE = str.maketrans(dict.fromkeys("\x00\u200b\u200c\u200d\u2060\ufeff"))
_INVISIBLE_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")


def header_key(name: str) -> str:
    """Compare headers without case, accents or punctuation: ``E-Mail`` == ``e_mail``."""
    decomposed = unicodedata.normalize("NFKD", name.translate(_INVISIBLE))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[-_./]", " ", bare).split())


def _table() -> dict[str, str]:
    table: dict[str, str] = {}
    for canonical in (*COLUMNS, FULL_NAME, STATUS):
        table[header_key(canonical)] = canonical
    for canonical, aliases in _ALIASES.items():
        for alias in aliases:
            table.setdefault(header_key(alias), canonical)
    return table


ALIASES: Mapping[str, str] = _table()


@dataclass(frozen=True, slots=True)
class HeaderMap:
    """Canonical name (None: ignored) per column position, or what is wrong with the header."""

    columns: tuple[str | None, ...]
    unknown: tuple[str, ...] = ()
    clashes: tuple[str, ...] = ()  # "'Email' and 'E-mail' both mean email"

    @property
    def problem(self) -> str:
        if self.unknown:
            names = ", ".join(repr(u) for u in self.unknown)
            return f"unknown column(s) {names}; known: {', '.join(COLUMNS)} (and their aliases)"
        if self.clashes:
            return "; ".join(self.clashes)
        if "email" not in self.columns:
            return "no 'email' column (or an alias such as 'E-mail', 'Email Address')"
        return ""


def map_header(header: Sequence[str]) -> HeaderMap:
    columns: list[str | None] = []
    unknown: list[str] = []
    seen: dict[str, str] = {}
    clashes: list[str] = []
    for raw in header:
        key = header_key(raw)
        canonical = ALIASES.get(key)
        if canonical is None and key not in IGNORED:
            unknown.append(raw.strip())
        elif canonical is not None and canonical in seen:
            clashes.append(f"columns {seen[canonical]!r} and {raw.strip()!r} both mean {canonical}")
        elif canonical is not None:
            seen[canonical] = raw.strip()
        columns.append(canonical)
    return HeaderMap(tuple(columns), tuple(unknown), tuple(clashes))


@dataclass(slots=True)  # not frozen: built once per row, see members.MemberRecord
class SourceRow:
    """One row as read from a file: its spreadsheet row number (the header is row 1), its cells
    by canonical column, and a problem the reader found in the row's structure, if any."""

    number: int
    cells: Mapping[str, str]
    problem: str = ""
    problem_field: str = "row"


@dataclass(frozen=True, slots=True)
class CellProblem:
    field: str
    reason: str


def clean_already(row: Mapping[str, str]) -> bool:
    """True when :func:`clean_cells` would return the cells as they are and none needs
    :func:`members.normalize_text` either: the usual row, decided in a few C-level passes
    instead of a check per cell."""
    if STATUS in row or FULL_NAME in row:
        return False
    # Tidy: nothing invisible, no control character, no blank at either end of a cell.
    framed = framed_if_tidy(list(row.values()))
    return (
        framed is not None
        and len(framed) <= MAX_CELL
        and "'" not in framed
        and "\x1f=" not in framed
        and "\x1f+" not in framed
        and "\x1f-" not in framed
        and "\x1f@" not in framed
    )


def clean_cells(row: Mapping[str, str]) -> dict[str, str] | CellProblem:
    """Strip invisible characters and our own ``'`` guard, refuse giant and formula cells,
    and split a full-name column. The result feeds :func:`members.parse_member_row`."""
    if clean_already(row):
        return dict(row)
    return _clean_each(row)


def _clean_each(row: Mapping[str, str]) -> dict[str, str] | CellProblem:
    """The careful path, a cell at a time (tests hold the fast path to its results)."""
    cleaned: dict[str, str] = {}
    for name, raw in row.items():
        value = raw or ""
        if len(value) > MAX_CELL:
            return CellProblem(
                name, f"cell is {len(value):,} characters long; the limit is {MAX_CELL:,}"
            )
        if "\x00" in value or (not value.isascii() and _INVISIBLE_RE.search(value)):
            value = value.translate(_INVISIBLE)
        if value.startswith("'"):
            value = unguard(value)
        value = value.strip()
        if value and value[0] in "=+-@" and _FORMULA.match(value):
            shown = value if len(value) <= 40 else value[:40] + "…"
            return CellProblem(
                name, f"looks like a spreadsheet formula ({shown!r}); formulas are never imported"
            )
        cleaned[name] = value
    return _names(cleaned)


def _names(cleaned: dict[str, str]) -> dict[str, str] | CellProblem:
    status = cleaned.pop(STATUS, "")
    if status and status.casefold() != "active":
        return CellProblem(
            STATUS,
            f"status is {status!r}: an import never subscribes an address that is not active",
        )
    full = cleaned.pop(FULL_NAME, "")
    if full and not cleaned.get("first_name"):
        if cleaned.get("last_name"):
            cleaned["first_name"] = full  # "Name" next to "Surname" is the given name
        else:
            # "Име и презиме" is given name(s) then surname, as written in this region.
            first, _, last = " ".join(full.split()).rpartition(" ")
            cleaned["first_name"], cleaned["last_name"] = (first, last) if first else (last, "")
    return cleaned


def guard(value: str) -> str:
    """Neutralise a cell for a spreadsheet: prefix ``'`` when it starts with a trigger (or
    with apostrophes then a trigger, so :func:`unguard` restores every value exactly)."""
    return "'" + value if value.lstrip("'").startswith(_TRIGGERS) else value


def unguard(value: str) -> str:
    """Remove the one ``'`` :func:`guard` added, so exports can be imported again."""
    guarded = value.startswith("'") and value.lstrip("'").startswith(_TRIGGERS)
    return value[1:] if guarded else value


def guard_row(values: Iterable[str]) -> list[str]:
    return [guard(v) for v in values]
