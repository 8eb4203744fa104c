"""Spreadsheet files: XLSX in (openpyxl, read-only streaming), CSV out for staff.

Written CSV is what Excel in this region opens correctly: UTF-8 *with* a BOM (without one Excel
assumes the system code page and shows Cyrillic as mojibake), RFC 4180 quoting and CRLF line
ends, and every cell that Excel would run as a formula neutralised with a leading ``'``
(OWASP, "CSV Injection": owasp.org/www-community/attacks/CSV_Injection).
"""

from __future__ import annotations

import csv
import datetime as dt
import weakref
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any
from xml.etree.ElementTree import ParseError

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

from newsletter.audiences.domain.columns import guard_row
from newsletter.errors import ImportFileError

BOM = "\ufeff"


#: An .xlsx is a ZIP of XML parts, and openpyxl inflates and parses them whole (the shared
#: strings into one list): the compressed size says little about the cost. Checked from the
#: ZIP directory before anything is inflated (OWASP "zip bomb"):
#: all parts together, inflated; the shared strings part alone; how much a part may grow.
MAX_UNCOMPRESSED = 256 * 1024 * 1024
MAX_SHARED_STRINGS = 64 * 1024 * 1024
MAX_RATIO = 100
#: Parts smaller than this may compress as well as they like (empty styles, blank rows).
RATIO_FLOOR = 1024 * 1024
MAX_PARTS = 1000
#: Columns read from any row: the header's width at most, and for the header this many (a
#: file may declare 16,384 columns per row; openpyxl pads every row to what it is asked for).
MAX_HEADER_COLUMNS = 200


def check_xlsx_archive(path: Path) -> None:
    """ImportFileError when the workbook would inflate past the limits above."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ImportFileError(f"not a readable .xlsx workbook: {exc}", location=str(path)) from exc
    if len(parts) > MAX_PARTS:
        raise ImportFileError(f"the workbook has {len(parts):,} parts", location=str(path))
    total = sum(p.file_size for p in parts)
    if total > MAX_UNCOMPRESSED:
        raise ImportFileError(
            f"the workbook inflates to {total:,} bytes; the limit is {MAX_UNCOMPRESSED:,}: "
            "save it as CSV or split it",
            location=str(path),
        )
    for part in parts:
        if part.filename.endswith("sharedStrings.xml") and part.file_size > MAX_SHARED_STRINGS:
            raise ImportFileError(
                f"the workbook's shared strings inflate to {part.file_size:,} bytes; the limit "
                f"is {MAX_SHARED_STRINGS:,}",
                location=str(path),
            )
        if part.file_size > RATIO_FLOOR and part.file_size > MAX_RATIO * max(part.compress_size, 1):
            raise ImportFileError(
                f"{part.filename} inflates {part.file_size // max(part.compress_size, 1):,} "
                "times: not a spreadsheet a person saved",
                location=str(path),
            )


#: What openpyxl and the XML parsers raise on a damaged part: the usual import error, not a 500.
_BROKEN = (
    ParseError,
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    KeyError,
    ValueError,
    TypeError,
    IndexError,
    AttributeError,
)


def read_xlsx(path: Path) -> tuple[list[str], Iterator[list[str]]]:
    """The first sheet's header and its rows as text. Formulas come through as their text
    (``=...``), never as a value some other program computed, so the importer refuses them."""
    check_xlsx_archive(path)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except (InvalidFileException, OSError, *_BROKEN) as exc:
        raise ImportFileError(f"not a readable .xlsx workbook: {exc}", location=str(path)) from exc
    try:
        sheet = book.worksheets[0]
        first = next(sheet.iter_rows(values_only=True, max_col=MAX_HEADER_COLUMNS), None)
    except _BROKEN as exc:
        book.close()
        raise ImportFileError(f"not a readable .xlsx workbook: {exc}", location=str(path)) from exc
    except Exception:
        book.close()
        raise
    if first is None:
        book.close()
        raise ImportFileError("the first sheet is empty", location=str(path))
    header = [cell_text(v) for v in first]
    while header and not header[-1].strip():
        header.pop()  # trailing formatted-but-empty columns
    if not header:
        book.close()
        raise ImportFileError("the first row has no column names", location=str(path))
    # Only the header's columns: a row padded to 16,384 cells is never built.
    rows = sheet.iter_rows(min_row=2, values_only=True, max_col=len(header))
    stream = _stream(book, rows, path)
    # Also when the rows are never read here (an import reads them in a forked child, see
    # audiences/files/forked.py): a generator that never started skips its ``finally``.
    weakref.finalize(stream, book.close)
    return header, stream


def _stream(book: Any, rows: Iterator[tuple[Any, ...]], path: Path) -> Iterator[list[str]]:
    try:
        for values in rows:
            yield [cell_text(v) for v in values]
    except _BROKEN as exc:
        raise ImportFileError(f"not a readable .xlsx workbook: {exc}", location=str(path)) from exc
    finally:
        book.close()  # read-only workbooks keep the file open until closed


def cell_text(value: Any) -> str:
    """A cell as the text a person sees: dates as ISO 8601, whole numbers without ``.0``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def write_csv(stream: IO[str], header: Sequence[str], rows: Iterable[Sequence[str]]) -> int:
    """Write a BOM, the header and the rows, every cell guarded; return the rows written."""
    stream.write(BOM)
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(guard_row(header))
    count = 0
    for row in rows:
        writer.writerow(guard_row(row))
        count += 1
    return count


def write_template_xlsx(
    stream: IO[bytes], header: Sequence[str], notes: Sequence[tuple[str, str]]
) -> None:
    """An empty member workbook: the header on the first sheet (what an import reads), and
    a second sheet saying what goes in each column."""
    book = openpyxl.Workbook(write_only=True)
    members = book.create_sheet("members")
    members.append(list(header))
    help_sheet = book.create_sheet("how to fill it in")
    help_sheet.append(["column", "what goes in it"])
    for column, note in notes:
        help_sheet.append([column, note])
    book.save(stream)


def rejects_path(source: Path) -> Path:
    """``members.csv`` -> ``members.rejects.csv`` next to it (also for ``.xlsx`` input)."""
    return source.with_name(f"{source.stem}.rejects.csv")


def write_rejects(
    source: Path,
    header: Sequence[str],
    columns: Sequence[str | None],
    rejected: Iterable[tuple[int, str, Mapping[str, str]]],
) -> Path:
    """The rejected rows with the file's own column names, plus ``row`` and ``reason``; staff
    fix them there and import that file again (``row``/``reason`` are ignored on import)."""
    keep = [(name, col) for name, col in zip(header, columns, strict=True) if col is not None]
    target = rejects_path(source)
    with target.open("w", encoding="utf-8", newline="") as stream:
        write_csv(
            stream,
            [name for name, _ in keep] + ["row", "reason"],
            (
                [cells.get(col, "") for _, col in keep] + [str(number), reason]
                for number, reason, cells in rejected
            ),
        )
    return target
