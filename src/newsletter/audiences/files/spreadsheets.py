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
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

from newsletter.audiences.domain.columns import guard_row
from newsletter.errors import ImportFileError

BOM = "\ufeff"


def read_xlsx(path: Path) -> tuple[list[str], Iterator[list[str]]]:
    """The first sheet's header and its rows as text. Formulas come through as their text
    (``=...``), never as a value some other program computed, so the importer refuses them."""
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except (InvalidFileException, OSError, KeyError, ValueError) as exc:
        raise ImportFileError(f"not a readable .xlsx workbook: {exc}", location=str(path)) from exc
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    try:
        first = next(rows, None)
    except Exception:
        book.close()
        raise
    if first is None:
        book.close()
        raise ImportFileError("the first sheet is empty", location=str(path))
    header = [cell_text(v) for v in first]
    while header and not header[-1].strip():
        header.pop()  # trailing formatted-but-empty columns
    stream = _stream(book, rows)
    # Also when the rows are never read here (an import reads them in a forked child, see
    # audiences/files/forked.py): a generator that never started skips its ``finally``.
    weakref.finalize(stream, book.close)
    return header, stream


def _stream(book: Any, rows: Iterator[tuple[Any, ...]]) -> Iterator[list[str]]:
    try:
        for values in rows:
            yield [cell_text(v) for v in values]
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
