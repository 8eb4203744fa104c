"""Reading source-system exports: the header and first rows for the mapping step, and the
column choices staff made applied while the file is read."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest

from newsletter.audiences.files.member_files import (
    ColumnChoices,
    peek_member_file,
    read_member_file,
)
from newsletter.errors import ImportFileError
from tests.audiences.source_exports import MAILCHIMP_SUBSCRIBED, mailchimp_export


def test_peek_shows_the_header_and_first_rows_as_written(tmp_path: Path) -> None:
    subscribed, _, _ = mailchimp_export(tmp_path, subscribed=20)
    header, rows = peek_member_file(subscribed)
    assert header == next(csv.reader([MAILCHIMP_SUBSCRIBED]))
    assert len(rows) == 3 and all(len(r) == len(header) for r in rows)
    # "Agro Klaster, Vranje" and the quoted timestamps stay one cell each.
    expected = list(csv.reader(subscribed.read_text(encoding="utf-8").splitlines()[1:4]))
    assert rows == expected


def test_peek_reads_a_header_no_column_of_which_means_email(tmp_path: Path) -> None:
    path = tmp_path / "kontakti.csv"
    path.write_bytes("Kontakt;Ime\r\nana@x.example;Ана\r\n".encode("cp1251"))
    assert peek_member_file(path) == (["Kontakt", "Ime"], [["ana@x.example", "Ана"]])
    with pytest.raises(ImportFileError, match="no column means email"):
        read_member_file(path)
    found = read_member_file(path, choices=ColumnChoices({"Kontakt": "email"}))
    assert [r.cells for r in found.rows] == [{"email": "ana@x.example", "first_name": "Ана"}]


def test_peek_an_xlsx_and_refuse_an_xls(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Email Address", "First Name"])
    sheet.append(["ana@x.example", "Ana"])
    path = tmp_path / "m.xlsx"
    book.save(path)
    assert peek_member_file(path) == (["Email Address", "First Name"], [["ana@x.example", "Ana"]])
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
    with pytest.raises(ImportFileError, match=r"old Excel \.xls workbook"):
        peek_member_file(old)
