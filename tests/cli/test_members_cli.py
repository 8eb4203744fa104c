"""``newsletter members ...`` and ``segments show/explain`` as staff meet them."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from newsletter.cli import main
from tests import hostile

Run = Callable[..., Result]


@pytest.fixture
def run(project: Path) -> Run:
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Result:
        return runner.invoke(main, ["--config", str(project / "config.yaml"), *args], input=input)

    return invoke


@pytest.fixture
def hostile_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    shutil.copytree(hostile.FIXTURES, folder)
    return folder


def test_import_report_and_rejects_file(run: Run, hostile_copy: Path) -> None:
    path = hostile_copy / "utf8_bom_semicolon.csv"
    result = run("members", "import", str(path))
    assert result.exit_code == 3, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"{path}: UTF-8 with BOM (detected), delimiter ';'"
    assert lines[1] == f"{path}: read as spreadsheet; members already held: fill empty fields only"
    assert lines[2] == (
        f"{path}: imported 8, updated 0, unchanged 0, rejected 6; 5 new without any topic"
    )
    assert f"  {path}:3: email: duplicate of row 2 (the same address, ignoring case)" in lines
    assert (
        f"  {path}:9: warning: last_name: 'Рorрeviж' mixes Latin and Cyrillic letters "
        "(mojibake or a look-alike)" in lines
    )
    rejects = hostile_copy / "utf8_bom_semicolon.rejects.csv"
    assert lines[-1] == f"rejected rows written to {rejects}"
    text = rejects.read_bytes().decode("utf-8")
    assert text.startswith("\ufeffE-mail,Ime,Prezime,Organizacija,Država,")
    assert text.count("\r\n") == 7  # header + 6 rejected rows
    assert ",'=HYPERLINK(" in text.replace('"', "")  # guarded, never a live formula


def test_dry_run_writes_nothing_not_even_rejects(run: Run, hostile_copy: Path) -> None:
    path = hostile_copy / "utf8_bom_semicolon.csv"
    dry = run("members", "import", str(path), "--dry-run", "--json")
    assert dry.exit_code == 3
    report = json.loads(dry.stdout)
    assert (report["dry_run"], report["imported"], report["rejects_file"]) == (True, 8, None)
    assert not (hostile_copy / "utf8_bom_semicolon.rejects.csv").exists()
    assert run("members", "export").stdout_bytes.count(b"\r\n") == 1  # the header only
    assert "dry run: nothing was written" in run("members", "import", str(path), "--dry-run").stdout


def test_legacy_code_page_shows_decoded_names(run: Run, hostile_copy: Path) -> None:
    result = run("members", "import", str(hostile_copy / "cp1251_cyrillic.csv"))
    assert result.exit_code == 3
    assert "Windows-1251 (detected), delimiter ';'" in result.stdout
    assert "  e.g. Петар Петровић" in result.stdout.splitlines()


def test_ambiguous_encoding_asks_for_encoding(run: Run, hostile_copy: Path) -> None:
    path = hostile_copy / "ambiguous.csv"
    result = run("members", "import", str(path))
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert str(path) in result.stderr and "--encoding" in result.stderr
    ok = run("members", "import", str(path), "--encoding", "cp1250", "--json")
    assert ok.exit_code == 0 and json.loads(ok.stdout)["encoding"] == "Windows-1250"


def test_every_row_in_verbose_and_json(run: Run, hostile_copy: Path) -> None:
    path = hostile_copy / "cp1250_latin.csv"
    verbose = run("members", "import", str(path), "-v")
    assert f"  {path}:2: imported zarko@klaster-nis.example: new member" in verbose.stdout
    again = json.loads(run("members", "import", str(path), "--json").stdout)
    assert [(r["row"], r["outcome"]) for r in again["rows"]] == [
        (2, "unchanged"),
        (3, "unchanged"),
        (4, "unchanged"),
        (5, "unchanged"),
    ]


def test_show_erase_and_person_export(run: Run, project: Path, tmp_path: Path) -> None:
    assert run("members", "import", str(project / "audiences" / "members.csv")).exit_code == 0
    email = "a.lovric@dental-tourism-cluster-varazdin.example"
    shown = run("members", "show", email.upper())
    assert shown.exit_code == 0, shown.output
    for expected in ("Lovrić", "membership-agreement", "calls", "subscribed", "suppression: -"):
        assert expected in shown.stdout
    out = tmp_path / "person.json"
    assert run("members", "export", "--person", email, "--output", str(out)).exit_code == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["profile"]["last_name"] == "Lovrić" and doc["suppression"] is None
    assert {s["topic"] for s in doc["subscriptions"]} == {"calls", "news"}

    refused = run("members", "erase", email)  # not a terminal and no --yes
    assert refused.exit_code == 2 and "--yes" in refused.stderr
    erased = run("members", "erase", email, "--yes")
    assert erased.exit_code == 0 and "erased" in erased.stdout
    gone = run("members", "show", email)
    assert gone.exit_code == 2 and "suppressed: erased" in gone.stderr
    back = run("members", "import", str(project / "audiences" / "members.csv"), "--json")
    report = json.loads(back.stdout)
    assert back.exit_code == 3 and report["suppressed"] == 1
    assert report["rejected"][0]["reason"] == "erased at the person's request"


def test_export_segment_csv_is_excel_safe(run: Run, project: Path, tmp_path: Path) -> None:
    for name in ("members.csv", "friends.csv"):
        assert run("members", "import", str(project / "audiences" / name)).exit_code == 0
    out = tmp_path / "bg-rs.csv"
    result = run("members", "export", "--segment", "bg-rs-calls", "--output", str(out))
    assert result.exit_code == 0 and "84 members written" in result.stderr
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfemail,first_name,last_name,") and b"\r\n" in data
    assert data.decode("utf-8").count("\r\n") == 85
    stdout = run("members", "export", "--segment", "friends-romania")
    assert stdout.stdout_bytes.startswith(b"\xef\xbb\xbf")
    assert stdout.stdout_bytes.count(b"\r\n") == 19
    assert run("members", "export", "--segment", "nope").exit_code == 2


def test_segments_show_and_explain(run: Run, project: Path) -> None:
    assert run("members", "import", str(project / "audiences" / "members.csv")).exit_code == 0
    shown = run("segments", "show", "bg-rs-calls", "--limit", "3")
    assert shown.exit_code == 0 and shown.stdout.count(".example") == 3
    email = "a.lovric@dental-tourism-cluster-varazdin.example"  # HR, calls
    explained = run("segments", "explain", "bg-rs-calls", email)
    assert explained.exit_code == 0
    assert explained.stdout.splitlines() == [
        f"{email} is OUT of segment bg-rs-calls",
        "  ✓ subscribed to the topic 'calls'",
        "  ✗ all of:",
        "    ✓ subscribed to topic 'calls'",
        "    ✓ tier eq 'member' (is 'member')",
        "    ✗ country in ['BG', 'RS'] (is 'HR')",
    ]


def test_nul_bytes_are_removed_with_a_warning_naming_each_row_and_column(
    run: Run, tmp_path: Path
) -> None:
    # As a broken export writes it: fixed-width fields padded with NUL, CRLF line ends.
    path = tmp_path / "padded.csv"
    path.write_bytes(
        b"email,first_name,last_name,organization\r\n"
        b"ana@klaster.example,Ana,Petrovic,Klaster Nis\r\n"
        b"bojan@klaster.example,Bo\x00jan,Ilic,Klaster Nis\r\n"
        b"vera@klaster.example\x00\x00,Vera,Jovanovic,Klaster\x00\x00\x00\x00\r\n"
    )
    result = run("members", "import", str(path), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [(r["row"], r["outcome"], r["email"]) for r in report["rows"]] == [
        (2, "imported", "ana@klaster.example"),
        (3, "imported", "bojan@klaster.example"),
        (4, "imported", "vera@klaster.example"),
    ]
    assert [(w["row"], w["field"], w["reason"]) for w in report["warnings"]] == [
        (3, "first_name", "1 NUL byte (\\x00) removed from the cell"),
        (4, "email", "2 NUL bytes (\\x00) removed from the cell"),
        (4, "organization", "4 NUL bytes (\\x00) removed from the cell"),
    ]
    shown = run("members", "show", "bojan@klaster.example")
    assert shown.exit_code == 0, shown.output
    assert "\x00" not in shown.stdout and "Bojan" in shown.stdout
    text = run("members", "import", str(path)).stdout  # the same file again, as people read it
    assert f"{path}:3: warning: first_name: 1 NUL byte (\\x00) removed" in text, text


def test_importing_a_folder_says_it_is_a_folder(run: Run, tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    result = run("members", "import", str(folder))
    assert result.exit_code == 2, result.output
    assert f"{folder}: this is a folder, not a member file" in result.stderr
    assert "not found" not in result.output and "Traceback" not in result.output
    missing = run("members", "import", str(tmp_path / "nowhere.csv"))
    assert missing.exit_code == 2 and "file not found" in missing.stderr
