"""Reading hostile member files: encodings, delimiters, quoting, cell counts, XLSX."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import openpyxl
import pytest

from newsletter.audiences.files.member_files import MAX_BYTES, read_member_file
from newsletter.audiences.files.spreadsheets import rejects_path, write_rejects
from newsletter.errors import ImportFileError
from tests import hostile

FIXTURES = hostile.FIXTURES


def test_committed_fixtures_are_what_the_generator_writes() -> None:
    for name in hostile.FILES:
        assert (FIXTURES / name).read_bytes() == hostile.file_bytes(name), name


def rows(path: Path, encoding: str | None = None) -> list[tuple[int, dict[str, str], str]]:
    return [(r.number, dict(r.cells), r.problem) for r in read_member_file(path, encoding).rows]


def test_utf8_bom_semicolon_file_with_local_headers() -> None:
    found = read_member_file(FIXTURES / "utf8_bom_semicolon.csv")
    assert (found.encoding_label, found.encoding_detected, found.delimiter) == (
        "UTF-8 with BOM",
        True,
        ";",
    )
    assert found.header[0] == "E-mail"  # not "\ufeffE-mail" (Excel's UTF-8 BOM)
    assert found.columns == (
        "email",
        "first_name",
        "last_name",
        "organization",
        "country",
        "language",
        "tier",
        "topics",
        "consent_source",
        "consent_date",
        "consent_wording",
    )
    got = list(found.rows)
    assert [r.number for r in got] == [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16]  # 12 empty
    by_row = {r.number: r for r in got}
    assert by_row[7].cells["first_name"] == '=HYPERLINK("http://evil.example";"click")'
    assert by_row[8].cells["first_name"] == "Jelena\r\nMarija"
    assert not any(r.problem for r in got)


@pytest.mark.parametrize(
    ("name", "label", "delimiter", "first"),
    [
        ("cp1250_latin.csv", "Windows-1250", ",", ("Žarko", "Šćekić")),
        ("cp1251_cyrillic.csv", "Windows-1251", ";", ("Петар", "Петровић")),
    ],
)
def test_legacy_code_pages_are_detected(
    name: str, label: str, delimiter: str, first: tuple[str, str]
) -> None:
    found = read_member_file(FIXTURES / name)
    assert (found.encoding_label, found.encoding_detected, found.delimiter) == (
        label,
        True,
        delimiter,
    )
    row = next(found.rows)
    assert (row.cells["first_name"], row.cells["last_name"]) == first


def test_ambiguous_file_asks_for_encoding_and_names_the_file() -> None:
    path = FIXTURES / "ambiguous.csv"
    with pytest.raises(ImportFileError) as info:
        read_member_file(path)
    assert str(path) in str(info.value) and "--encoding" in str(info.value)
    assert rows(path, "cp1250") == [
        (2, {"email": "x@klaster.example", "first_name": "š", "last_name": "ž"}, "")
    ]


def test_a_wrong_encoding_given_is_reported_with_the_line() -> None:
    path = FIXTURES / "cp1250_latin.csv"
    with pytest.raises(ImportFileError, match=r"cp1250_latin\.csv:2: not valid utf-8"):
        read_member_file(path, "utf-8")
    with pytest.raises(ImportFileError, match="unknown encoding 'klingon'"):
        read_member_file(path, "klingon")


def test_broken_quotes_reject_the_row_and_resume_on_the_next_line() -> None:
    got = rows(FIXTURES / "broken_quotes.csv")
    assert [(n, c.get("email"), p) for n, c, p in got] == [
        (2, "ana@klaster.example", ""),
        (
            3,
            "hana@klaster.example",
            "a quoted cell runs over the following lines: an unbalanced quote?",
        ),
        (
            4,
            "ivo@klaster.example",
            "4 cells but the header has 3 (a line break or a delimiter inside an unquoted cell?)",
        ),
        (5, "eva@klaster.example", "broken quoting (',' expected after '\"')"),
        (6, "fil@klaster.example", ""),
        (7, "jan@klaster.example", ""),
        (8, "bob@klaster.example", "broken quoting (unexpected end of data)"),
        (9, "cara@klaster.example", ""),
    ]
    assert got[5][1]["first_name"] == "Jan\r\nMarek"  # a legit line break stays one cell


def test_rows_with_the_wrong_number_of_cells_are_rejected() -> None:
    got = rows(FIXTURES / "structure.csv")
    assert [(n, bool(p)) for n, _, p in got] == [
        (2, False),
        (3, True),
        (4, True),
        (5, False),
        (6, True),
        (7, True),
    ]


def test_a_one_megabyte_cell_reaches_the_cell_check(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text(
        "email,first_name\nbig@klaster.example," + "x" * 1_048_576 + "\nok@klaster.example,Ok\n",
        encoding="utf-8",
    )
    got = rows(path)
    assert [(n, len(c["first_name"]), p) for n, c, p in got] == [(2, 1_048_576, ""), (3, 2, "")]


def test_limits_and_odd_files(tmp_path: Path) -> None:
    big = tmp_path / "huge.csv"
    big.write_bytes(b"email\n" + b"a" * (MAX_BYTES + 1))
    with pytest.raises(ImportFileError, match="the limit is"):
        read_member_file(big)
    xls = tmp_path / "old.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    with pytest.raises(ImportFileError, match=r"old Excel \.xls"):
        read_member_file(xls)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(ImportFileError, match="empty"):
        read_member_file(empty)
    with pytest.raises(ImportFileError, match="not found"):
        read_member_file(tmp_path / "missing.csv")


def make_xlsx(path: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(
        [
            "Имейл",
            "Име",
            "Фамилия",
            "Организация",
            "Държава",
            "Език",
            "Tier",
            "Теми",
            "Consent",
            "Consent date",
            None,
        ]
    )
    sheet.append(
        [
            "ivan@sofia-cluster.example",
            "Иван",
            "Иванов",
            "Клъстер София",
            "BG",
            "bg",
            "member",
            "calls;events",
            "membership-agreement",
            dt.datetime(2014, 5, 6),
        ]
    )
    sheet.append([])
    sheet.append(["IVAN@sofia-cluster.example", "Иван", "Иванов", None, "BG", "bg", "member"])
    sheet.append(["formula@sofia-cluster.example", "=1+1", "Формула"])
    sheet.append(["num@sofia-cluster.example", 42, 3.0, None, "BG"])
    book.save(path)
    return path


def test_xlsx_reads_typed_cells_as_text(tmp_path: Path) -> None:
    found = read_member_file(make_xlsx(tmp_path / "bg.xlsx"))
    assert found.kind == "xlsx" and found.columns[:3] == ("email", "first_name", "last_name")
    got = {r.number: dict(r.cells) for r in found.rows}
    assert sorted(got) == [2, 4, 5, 6]  # row 3 is empty
    assert got[2]["consent_date"] == "2014-05-06" and got[2]["topics"] == "calls;events"
    assert got[5]["first_name"] == "=1+1"  # the formula text, never a computed value
    assert (got[6]["first_name"], got[6]["last_name"]) == ("42", "3")


def test_rejects_file_has_the_original_headers_bom_and_guarded_cells(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    target = write_rejects(
        source,
        ["E-mail", "Ime", "row"],
        ["email", "first_name", None],
        [(7, "first_name: formula", {"email": "eve@evil.example", "first_name": "=1+1"})],
    )
    assert target == rejects_path(source) == tmp_path / "in.rejects.csv"
    assert target.read_bytes().decode("utf-8") == (
        "\ufeffE-mail,Ime,row,reason\r\neve@evil.example,'=1+1,7,first_name: formula\r\n"
    )


# -- hostile workbooks ---------------------------------------------------------------


def _with_sheet(path: Path, sheet: bytes | None = None, *, fill: int = 0) -> Path:
    """A real workbook (from openpyxl) with its first sheet's XML replaced by ``sheet``, or
    (``fill``) padded with that many bytes of blanks that deflate about a thousandfold."""
    import zipfile

    import openpyxl

    plain = path.with_suffix(".plain.xlsx")
    book = openpyxl.Workbook()
    book.active.append(["email", "first_name"])  # type: ignore[union-attr]
    book.save(plain)
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                if sheet is not None:
                    data = sheet
                elif fill:
                    with out.open(item.filename, "w") as part:
                        part.write(data.replace(b"</worksheet>", b""))
                        chunk = b" " * (1024 * 1024)
                        for _ in range(fill // len(chunk)):
                            part.write(chunk)
                        part.write(b"</worksheet>")
                    continue
            out.writestr(item, data)
    return path


def _bounded(path: Path) -> tuple[str, float, int]:
    """Read the whole file as an import would; the error (if any), seconds and peak bytes."""
    import time
    import tracemalloc

    tracemalloc.start()
    started = time.perf_counter()
    error = ""
    try:
        found = read_member_file(path)
        for _ in found.rows:
            pass
    except ImportFileError as exc:
        error = str(exc)
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return error, time.perf_counter() - started, peak


def test_an_xlsx_zip_bomb_is_refused_before_it_is_inflated(tmp_path: Path) -> None:
    bomb = _with_sheet(tmp_path / "bomb.xlsx", fill=300 * 1024 * 1024)
    assert bomb.stat().st_size < 2 * 1024 * 1024
    error, seconds, peak = _bounded(bomb)
    assert "inflate" in error
    assert seconds < 2 and peak < 16 * 1024 * 1024


def test_an_xlsx_declaring_16384_columns_reads_only_the_header_columns(tmp_path: Path) -> None:
    rows = "".join(
        f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>a{n}@x.example</t></is></c>'
        f'<c r="XFD{n}" t="inlineStr"><is><t>x</t></is></c></row>'
        for n in range(2, 5002)
    )
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<dimension ref="A1:XFD5001"/><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>email</t></is></c></row>'
        f"{rows}</sheetData></worksheet>"
    ).encode()
    wide = _with_sheet(tmp_path / "wide.xlsx", sheet)
    assert wide.stat().st_size < 64 * 1024
    started = time.perf_counter()
    found = read_member_file(wide)
    assert found.header == ["email"]
    assert sum(1 for _ in found.rows) == 5000
    assert time.perf_counter() - started < 3  # 16,384 cells a row took ~10 s here


@pytest.mark.parametrize(
    "sheet",
    [
        b"<worksheet><sheetData><row r='1'><c r='A1' t='inlineStr'><is><t>email",
        b"\x00\x01 not xml at all",
        b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]><worksheet>&a;&a;</worksheet>",
    ],
)
def test_a_broken_sheet_is_the_usual_import_error(tmp_path: Path, sheet: bytes) -> None:
    error, seconds, _ = _bounded(_with_sheet(tmp_path / "broken.xlsx", sheet))
    assert error and seconds < 5
