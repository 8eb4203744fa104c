"""Checking member rows, a chunk at a time: the half of an import that needs no database.

Each row is cleaned and validated (:mod:`newsletter.audiences.domain.columns`,
:mod:`newsletter.audiences.domain.members`), checked against the rows before it for a duplicate
address, flagged when a name looks wrong, and given the keyed hash the suppression list is searched
by. What comes out per chunk (:class:`Checked`) is all the import needs to write it and report it.

This half is pure CPU, so an import may hand it to an :class:`Offload`, which runs it in
another process while this one writes the previous chunk (SQLite and PostgreSQL do their work
in the writing process). Two cores then share the work; a thread would not help, since pure
Python holds the GIL and sqlite3 gives it up and takes it back on every row it writes. The
chunks cross the process boundary as pickled plain tuples (:func:`_encode`): pickling the
dataclasses themselves goes through Python-level ``__reduce__`` code and costs more.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from itertools import islice
from operator import attrgetter
from typing import Protocol

from newsletter.audiences.domain.columns import CellProblem, SourceRow, clean_already, clean_cells
from newsletter.audiences.domain.members import MemberRecord, RowProblem, parse_member_row
from newsletter.audiences.domain.privacy import suppression_hash
from newsletter.audiences.domain.source_rows import PSEUDO, resolve
from newsletter.audiences.ports.members import Incoming
from newsletter.core.addresses import needs_smtputf8
from newsletter.core.scripts import looks_like_mojibake, mixed_script_words

#: Rows per chunk: per-chunk SQL amortises over a thousand rows; memory stays flat.
CHUNK = 1000
#: Decoded non-ASCII names an import shows, so staff can see the encoding was read right.
SAMPLES = 5
_NAMES = ("first_name", "last_name", "organization", "role")
_RECORD = attrgetter(*(f.name for f in fields(MemberRecord)))
_NAME_VALUES = attrgetter(*_NAMES)

Rows = Iterable[SourceRow | tuple[int, Mapping[str, str]]]
#: A valid row: its number, what goes to the store, its suppression hash, its cells as read
#: (after an offload, just their values when the keys are the chunk's; see Checked.cells).
Valid = tuple[int, Incoming, str, Mapping[str, str] | tuple[str, ...]]
#: A refused row: number, field, reason, the address as far as known, its cells as read.
Refused = tuple[int, str, str, str, Mapping[str, str]]
#: Something to flag about an imported row: number, address, field, what.
Flag = tuple[int, str, str, str]


class Offload(Protocol):
    """Runs ``produce`` elsewhere (another process) and streams back what it yields, in order;
    an exception ``produce`` raises is raised here."""

    def __call__(self, produce: Callable[[], Iterator[bytes]]) -> Iterator[bytes]: ...


@dataclass(slots=True)
class Checked:
    """One chunk of rows, checked, in row order within each list."""

    valid: list[Valid] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    samples: list[str] = field(default_factory=list)  # the first few non-ASCII names
    keys: tuple[str, ...] = ()  # the column names of cells given as values only
    #: Keys of JSON attributes (listmonk) that named none of our fields, first seen here.
    unused: list[str] = field(default_factory=list)

    def cells(self, cells: Mapping[str, str] | tuple[str, ...]) -> Mapping[str, str]:
        """A valid row's cells as read (wanted only for the rare row refused later)."""
        return dict(zip(self.keys, cells, strict=True)) if isinstance(cells, tuple) else cells


def checked_chunks(rows: Rows, secret: bytes, offload: Offload | None = None) -> Iterator[Checked]:
    """The rows checked a chunk at a time, here or (``offload``) in another process."""
    if offload is None:
        yield from _check(rows, secret)
        return
    for data in offload(lambda: map(_encode, _check(rows, secret))):
        yield _decode(data)


def _check(rows: Rows, secret: bytes) -> Iterator[Checked]:
    seen: dict[str, int] = {}  # dedupe key -> the row that had it first
    samples: list[str] = []
    unused: set[str] = set()
    for chunk in _chunks(rows):
        checked = Checked()
        for src in chunk:
            if not src.problem and not PSEUDO.isdisjoint(src.cells):
                src = _resolved(src, unused, checked)
            _check_row(src, checked, seen, samples, secret)
        yield checked


def _resolved(src: SourceRow, unused: set[str], checked: Checked) -> SourceRow:
    """A source system's row: its standing and JSON attributes turned into fields."""
    found = resolve(src.cells)
    if isinstance(found, CellProblem):
        return SourceRow(src.number, src.cells, found.reason, found.field)
    cells, keys = found
    for key in keys:
        if key not in unused:
            unused.add(key)
            checked.unused.append(key)
    return SourceRow(src.number, cells)


def _check_row(
    src: SourceRow, out: Checked, seen: dict[str, int], samples: list[str], secret: bytes
) -> None:
    number, cells = src.number, src.cells
    if src.problem:
        out.refused.append((number, src.problem_field, src.problem, _hint(cells), cells))
        return
    if clean_already(cells):  # the usual row: one verdict for clean_cells and normalize_text
        given = cells
        parsed = parse_member_row(cells, number, tidy=True)
    else:
        cleaned = clean_cells(cells)
        if isinstance(cleaned, CellProblem):
            out.refused.append((number, cleaned.field, cleaned.reason, _hint(cells), cells))
            return
        given = cleaned
        parsed = parse_member_row(cleaned, number)
        if isinstance(parsed, MemberRecord):
            _flag_nul(number, parsed.email, cells, out)
    if isinstance(parsed, RowProblem):
        out.refused.append((number, parsed.field, parsed.reason, parsed.email, cells))
        return
    names = _NAME_VALUES(parsed)
    if not ("".join(names).isascii() and parsed.email.isascii()):
        if len(samples) < SAMPLES:
            name = parsed.full_name
            if not name.isascii() and name not in samples:
                samples.append(name)
                out.samples.append(name)
        for fld, what in _flags(names, parsed.email):
            out.flags.append((number, parsed.email, fld, what))
    first = seen.get(parsed.email_key)
    if first is not None:
        why = f"duplicate of row {first} (the same address, ignoring case)"
        out.refused.append((number, "email", why, parsed.email, cells))
        return
    seen[parsed.email_key] = number
    # The columns the row filled: only those may change a member we already hold. The keyed
    # hash is what the suppression list holds (audiences/domain/privacy.py).
    incoming = Incoming(parsed, frozenset(filter(given.get, given)))
    out.valid.append((number, incoming, suppression_hash(secret, parsed.email_key), cells))


def _flags(names: tuple[str, ...], email: str) -> list[tuple[str, str]]:
    """Suspicious but possibly right: flagged in the report, imported anyway."""
    found = []
    # One look at all four names first: no name is mojibake unless the four together show it
    # (the pattern is two adjacent characters, and U+001F matches neither).
    mojibake = looks_like_mojibake("\x1f".join(names))
    for name, value in zip(_NAMES, names, strict=True):
        if value.isascii():
            continue
        mixed = mixed_script_words(value)
        if mixed:
            words = ", ".join(repr(w) for w in mixed)
            found.append(
                (name, f"{words} mixes Latin and Cyrillic letters (mojibake or a look-alike)")
            )
        elif mojibake and looks_like_mojibake(value):
            found.append(
                (name, f"{value!r} looks like mojibake (UTF-8 read in the wrong encoding?)")
            )
    if needs_smtputf8(email):
        found.append(
            ("email", "non-ASCII before the @ needs SMTPUTF8 (RFC 6531); few providers take it")
        )
    return found


def _flag_nul(number: int, email: str, cells: Mapping[str, str], out: Checked) -> None:
    """NUL (U+0000) is never part of a name or an address: clean_cells drops it, and no
    database text column could hold it (PostgreSQL refuses it outright). The row is imported
    without it, but staff hear which row and column had it: a file carrying NULs was written
    by a broken export, or is not the text file it seems (UTF-16 saved without its BOM)."""
    for name, value in cells.items():
        if value and "\x00" in value:
            count = value.count("\x00")
            what = f"{count} NUL byte{'s' if count > 1 else ''} (\\x00) removed from the cell"
            out.flags.append((number, email, name, what))


def _hint(cells: Mapping[str, str]) -> str:
    return (cells.get("email") or "").strip()[:320]


def _chunks(rows: Rows) -> Iterator[list[SourceRow]]:
    iterator = (r if isinstance(r, SourceRow) else SourceRow(r[0], r[1]) for r in rows)
    while chunk := list(islice(iterator, CHUNK)):
        yield chunk


def _encode(checked: Checked) -> bytes:
    """Plain tuples. Building a dict of cells per row is most of the cost of unpickling, so
    cells whose keys are the chunk's usual ones travel as their values only; and one set of
    filled columns travels once (pickle refers back to an object it has already written)."""
    first = checked.valid[0][3] if checked.valid else {}
    keys = tuple(first) if isinstance(first, Mapping) else ()
    givens: dict[frozenset[str], frozenset[str]] = {}
    valid = []
    for number, inc, digest, cells in checked.valid:
        if isinstance(cells, Mapping) and tuple(cells) == keys:
            cells = tuple(cells.values())
        given = givens.setdefault(inc.given, inc.given)
        valid.append((number, _RECORD(inc.record), given, digest, cells))
    data = (valid, checked.refused, checked.flags, checked.samples, keys, checked.unused)
    return pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)


def _decode(data: bytes) -> Checked:
    # Only ever bytes that _encode wrote in a child of this process, never outside input.
    valid, refused, flags, samples, keys, unused = pickle.loads(data)  # noqa: S301
    rows: list[Valid] = [
        (number, Incoming(MemberRecord(*values), given), digest, cells)
        for number, values, given, digest, cells in valid
    ]
    return Checked(rows, refused, flags, samples, keys, unused)
