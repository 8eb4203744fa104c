"""Reading member files (CSV) into rows keyed by canonical column names.

Header names are matched case-insensitively after trimming; an unknown column is an error that
names it, rather than data silently dropped.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from newsletter.domain.members import COLUMNS
from newsletter.errors import ImportFileError

Row = tuple[int, dict[str, str]]


def read_csv(path: Path, encoding: str | None = None) -> tuple[list[str], Iterator[Row]]:
    """Return the canonical header and an iterator of (row number, row). Row 1 is the header."""
    if not path.is_file():
        raise ImportFileError("file not found", location=str(path))
    enc = encoding or "utf-8-sig"  # utf-8-sig also reads files without a BOM
    try:
        raw = path.read_bytes().decode(enc)
    except (UnicodeDecodeError, LookupError) as exc:
        raise ImportFileError(
            f"cannot decode as {enc}: {exc}; pass --encoding (e.g. cp1250, cp1251)",
            location=str(path),
        ) from exc
    reader = csv.reader(raw.splitlines(keepends=True), strict=False)
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFileError("the file is empty", location=str(path)) from None
    columns = [h.strip().lower().replace(" ", "_") for h in header]
    unknown = [h for h, c in zip(header, columns, strict=True) if c not in COLUMNS]
    if unknown:
        raise ImportFileError(
            f"unknown column(s) {', '.join(repr(u) for u in unknown)}; known: {', '.join(COLUMNS)}",
            location=f"{path}:1",
        )
    if "email" not in columns:
        raise ImportFileError("no 'email' column", location=f"{path}:1")

    def rows() -> Iterator[Row]:
        for number, values in enumerate(reader, start=2):
            if not any(v.strip() for v in values):
                continue
            yield number, dict(zip(columns, values, strict=False))

    return columns, rows()
