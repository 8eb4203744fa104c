"""Reading member files: CSV (UTF-8, UTF-16, Windows-1250/1251) and XLSX, into rows keyed by
canonical column names.

CSV follows RFC 4180 as Excel writes it, with the regional list separator (``;`` where the
comma is the decimal mark) detected from the header line. Structural damage is reported per row
and never silently merged into a neighbour:

* an unbalanced quote (``a@b.rs,"Ana`` then more lines): Python's csv module happily reads
  every following line into that one cell. A record whose cell spans lines
  that look like records of their own, or that the strict parser refuses, is rejected, and
  reading resumes on the next physical line, so the rows after it are not lost;
* a row with more or fewer cells than the header (a bare CR in an unquoted cell, a lost
  delimiter) is rejected instead of being padded into the wrong columns.
"""

from __future__ import annotations

import codecs
import csv
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from newsletter.audiences.domain.columns import SourceRow
from newsletter.audiences.domain.sources import ColumnPlan, System, plan_columns
from newsletter.audiences.files.spreadsheets import read_xlsx
from newsletter.core.scripts import LABELS, detect_encoding
from newsletter.errors import ImportFileError

#: Upload limits: bigger files are split, not imported in one go.
MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000
MAX_COLUMNS = 60
_DELIMITERS = (",", ";", "\t")
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")
_SWALLOWED = re.compile(r"[\r\n][^\r\n]*@[^\r\n]*")  # a later line inside a cell, with an @


@dataclass
class MemberFile:
    """A member file opened for import: how it was read and its rows (read lazily)."""

    path: Path
    kind: str  # csv | xlsx
    header: list[str]
    columns: tuple[str | None, ...]
    rows: Iterator[SourceRow]
    encoding: str = ""
    encoding_detected: bool = False
    delimiter: str = ""
    notes: list[str] = field(default_factory=list)
    plan: ColumnPlan | None = None

    @property
    def encoding_label(self) -> str:
        return LABELS.get(self.encoding, self.encoding)


@dataclass(frozen=True, slots=True)
class ColumnChoices:
    """How staff want the columns read (:func:`newsletter.audiences.domain.sources.plan_columns`):
    ``mapped`` column -> field, ``ignore`` columns, a ``remembered`` preset, a forced system."""

    mapped: dict[str, str] = field(default_factory=dict)
    ignore: tuple[str, ...] = ()
    remembered: dict[str, str] = field(default_factory=dict)
    system: System | None = None


def read_member_file(
    path: Path, encoding: str | None = None, choices: ColumnChoices | None = None
) -> MemberFile:
    """Open a CSV or XLSX member file; raise ImportFileError when it cannot be read at all."""
    how = choices or ColumnChoices()
    if path.is_dir():
        raise ImportFileError(
            "this is a folder, not a member file: name a .csv or .xlsx file in it",
            location=str(path),
        )
    if not path.exists():
        raise ImportFileError("file not found", location=str(path))
    if not path.is_file():  # a FIFO or a device would block or never end
        raise ImportFileError("not a regular file: name a .csv or .xlsx file", location=str(path))
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise ImportFileError(
            f"the file has {size:,} bytes; the limit is {MAX_BYTES:,}: split it", location=str(path)
        )
    data = path.read_bytes()
    if data.startswith(b"PK\x03\x04"):  # a ZIP container: Office Open XML (ECMA-376)
        header, values = read_xlsx(path)
        plan = _columns(path, header, how)
        rows = _xlsx_rows(values, plan.columns, path)
        return MemberFile(path, "xlsx", header, plan.columns, rows, plan=plan)
    _refuse_xls(data, path)
    text, used, detected = _decode(data, encoding, path)
    del data  # the text is all we keep: an import holds one copy of the file, not three
    # The physical lines (RFC 4180 CRLF, or LF, or CR; not str.splitlines(), which also breaks
    # at VT, FF, U+2028 and others that are data here). A list, so that reading can restart
    # after a broken record by index, and csv reads it at C speed.
    lines: list[str] = _LINE.findall(text)
    del text
    first = lines[0] if lines else ""
    if not first.strip():
        raise ImportFileError("the file is empty (or its first line is)", location=str(path))
    delimiter = _delimiter(first)
    header = next(csv.reader([first], delimiter=delimiter))
    plan = _columns(path, header, how)
    columns = plan.columns
    # The file is capped at MAX_BYTES, so with this limit no cell can trip csv's own (128 KiB,
    # process-wide) limit: an oversized cell reaches clean_cells, which names its column.
    csv.field_size_limit(max(csv.field_size_limit(), MAX_BYTES))
    rows = _records(lines, delimiter, len(header), columns, path)
    return MemberFile(path, "csv", header, columns, rows, used, detected, delimiter, plan=plan)


def peek_member_file(
    path: Path, encoding: str | None = None, count: int = 3
) -> tuple[list[str], list[list[str]]]:
    """The header and the first ``count`` rows as written, whatever the columns mean: what
    the mapping step shows before anything is mapped."""
    data = path.read_bytes()
    if data.startswith(b"PK\x03\x04"):
        header, rows = read_xlsx(path)
        return header, list(itertools.islice(rows, count))
    _refuse_xls(data, path)
    text, _, _ = _decode(data, encoding, path)
    lines = _LINE.findall(text[: 1 << 20])[:500]  # a few records, even with multi-line cells
    if not lines:
        raise ImportFileError("the file is empty (or its first line is)", location=str(path))
    reader = csv.reader(lines, delimiter=_delimiter(lines[0]))
    try:
        found = list(itertools.islice(reader, count + 1))
    except csv.Error as exc:
        raise ImportFileError(f"broken quoting ({exc})", location=str(path)) from exc
    return found[0], found[1:]


def read_csv(path: Path, encoding: str | None = None) -> tuple[list[str], Iterator[SourceRow]]:
    """Compatibility shim: the canonical columns and the rows of a member file."""
    found = read_member_file(path, encoding)
    return [c for c in found.columns if c], found.rows


def _refuse_xls(data: bytes, path: Path) -> None:
    if data.startswith(b"\xd0\xcf\x11\xe0"):  # OLE2 compound file: Excel 97-2003
        raise ImportFileError(
            "this is an old Excel .xls workbook: save it as .xlsx or as 'CSV UTF-8'",
            location=str(path),
        )


def _columns(path: Path, header: list[str], how: ColumnChoices) -> ColumnPlan:
    if len(header) > MAX_COLUMNS:
        raise ImportFileError(
            f"{len(header)} columns; the limit is {MAX_COLUMNS}", location=f"{path}:1"
        )
    if header and header[0].startswith("\ufeff"):
        header[0] = header[0][1:]  # a BOM read as text (an XLSX cell, a re-saved file)
    plan = plan_columns(
        header,
        system=how.system,
        remembered=how.remembered,
        mapped=how.mapped,
        ignore=how.ignore,
    )
    if plan.problem:
        raise ImportFileError(plan.problem, location=f"{path}:1")
    return plan


def _decode(data: bytes, encoding: str | None, path: Path) -> tuple[str, str, bool]:
    if encoding:
        try:
            name = codecs.lookup(encoding).name
        except LookupError:
            raise ImportFileError(f"unknown encoding {encoding!r}", location=str(path)) from None
        if name == "utf-8" and data.startswith(codecs.BOM_UTF8):
            name = "utf-8-sig"
        try:
            return data.decode(name), name, False
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise ImportFileError(
                f"not valid {encoding}: byte {data[exc.start]:#04x}; try another --encoding",
                location=f"{path}:{line}",
            ) from exc
    found = detect_encoding(data)
    if found.encoding is None:
        raise ImportFileError(
            f"cannot tell the file's encoding safely: {found.problem}; say which with "
            "--encoding (cp1250 for Latin-script Serbian/Croatian/Romanian, cp1251 for "
            "Cyrillic, utf-8)",
            location=str(path),
        )
    return data.decode(found.encoding), found.encoding, found.detected


def _delimiter(first_line: str) -> str:
    """Excel writes the locale's list separator: ``,`` or ``;``; "Unicode text" uses TAB."""
    counts = {d: first_line.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _records(
    lines: list[str], delimiter: str, width: int, columns: tuple[str | None, ...], path: Path
) -> Iterator[SourceRow]:
    """Rows after the header; after a broken record, re-read from the line that follows its
    first line, so the rows a runaway quote swallowed are read again as rows of their own."""
    number = 1  # the header's spreadsheet row
    start = 1  # index of the line the current reader began with
    while start < len(lines):
        source = map(lines.__getitem__, range(start, len(lines)))
        reader = csv.reader(source, delimiter=delimiter, strict=True)
        done = 0  # lines of this reader that complete records used
        try:
            for values in reader:
                number += 1
                _check_rows(number, path)
                if reader.line_num - done > 1 and any(_SWALLOWED.search(v) for v in values):
                    why = "a quoted cell runs over the following lines: an unbalanced quote?"
                    break
                done = reader.line_num
                if "".join(values).strip():
                    yield _row(number, values, width, columns)
            else:
                return
        except csv.Error as exc:
            number += 1
            _check_rows(number, path)
            why = f"broken quoting ({exc})"
        yield _broken(number, lines[start + done], delimiter, columns, why)
        start += done + 1


def _row(number: int, values: list[str], width: int, columns: tuple[str | None, ...]) -> SourceRow:
    if len(values) == width and None not in columns:  # the usual row: one C-level pass
        return SourceRow(number, dict(zip(columns, values, strict=True)))  # type: ignore[arg-type]
    extra = values[width:]
    cells = {c: v for c, v in zip(columns, values, strict=False) if c is not None}
    if len(values) < width or any(v.strip() for v in extra):
        why = (
            f"{len(values)} cells but the header has {width} "
            "(a line break or a delimiter inside an unquoted cell?)"
        )
        return SourceRow(number, cells, why)
    return SourceRow(number, cells)


def _broken(
    number: int, line: str, delimiter: str, columns: tuple[str | None, ...], why: str
) -> SourceRow:
    # Best effort for the rejects file: the physical line split without quote handling.
    values = next(csv.reader([line.rstrip("\r\n")], delimiter=delimiter, quoting=csv.QUOTE_NONE))
    cells = {c: v for c, v in zip(columns, values, strict=False) if c is not None}
    return SourceRow(number, cells, why)


def _xlsx_rows(
    rows: Iterator[list[str]], columns: tuple[str | None, ...], path: Path
) -> Iterator[SourceRow]:
    width = len(columns)
    for number, values in enumerate(rows, start=2):
        _check_rows(number, path)
        if not any(v.strip() for v in values):
            continue
        yield _row(number, values[:width] + [""] * (width - len(values)), width, columns)


def _check_rows(number: int, path: Path) -> None:
    if number > MAX_ROWS + 1:
        raise ImportFileError(f"more than {MAX_ROWS:,} rows: split the file", location=str(path))
