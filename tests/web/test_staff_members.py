"""Staff member pages through the real app, on SQLite and PostgreSQL: search (any case, any
script), one person with consent history, deliveries and events, import with the CLI's report
(dry run, then the same bytes for real), and export byte for byte as ``members export``."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from starlette.testclient import TestClient

from newsletter.cli import main
from newsletter.db.tables import members
from newsletter.delivery.ingest import ingest_events
from newsletter.web.app import create_app
from tests.delivery.test_sending import load_samples
from tests.services import Services
from tests.synthetic import add_deliveries
from tests.web.staff_helpers import APPROVER, EDITOR, add_accounts, sign_in

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"
DJORDJE = "djordje.ciric@wine-cluster-vranje.example"
PERSON = re.compile(r'href="/staff/members/\d+"')


@pytest.fixture
def client(
    ctx: Services, project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    monkeypatch.setattr(
        "newsletter.audiences.files.uploads.default_folder", lambda: tmp_path / "up"
    )
    load_samples(ctx, project)
    add_accounts(ctx)
    with TestClient(create_app(ctx.app), follow_redirects=False) as c:
        yield c


def count_members(ctx: Services) -> int:
    with ctx.ledger.engine.connect() as conn:  # type: ignore[attr-defined]
        return int(conn.execute(select(func.count()).select_from(members)).scalar_one())


def member_link(html: str, email: str) -> str:
    found = re.search(rf'href="(/staff/members/\d+)">{re.escape(email)}<', html)
    assert found, html
    return found.group(1)


def test_search_folds_case_in_every_script_and_pages(client: TestClient, ctx: Services) -> None:
    sign_in(client, EDITOR)
    for query in ("ђорђе ћирић", "ЋИРИЋ", "wine CLUSTER vranje", "DJORDJE.CIRIC@"):
        page = client.get("/staff/members", params={"q": query})
        assert page.status_code == 200 and DJORDJE in page.text, query
    assert "1 member(s)" in client.get("/staff/members", params={"q": "ђорђе ћирић"}).text
    # LIKE wildcards in the query are literal characters.
    assert "0 member(s)" in client.get("/staff/members", params={"q": "%_"}).text
    # A Cyrillic query finds the Latin spelling too (Ćirić in sr-Latn, Ћирић in sr-Cyrl).
    both = client.get("/staff/members", params={"q": "ћирић"}).text
    assert DJORDJE in both and "Dragan Ćirić" in both
    total = count_members(ctx)
    everyone = client.get("/staff/members")
    pages = -(-total // 50)
    assert f"{total} member(s)" in everyone.text and f"page 1 of {pages}" in everyone.text
    assert len(PERSON.findall(everyone.text)) == 50
    last = client.get("/staff/members", params={"page": "999"})
    assert f"page {pages} of {pages}" in last.text
    assert len(PERSON.findall(last.text)) == total - 50 * (pages - 1)
    assert "<script" not in everyone.text and " style=" not in everyone.text


def test_one_person_with_consent_deliveries_and_events(client: TestClient, ctx: Services) -> None:
    sign_in(client, APPROVER)
    link = member_link(client.get("/staff/members", params={"q": "ђорђе"}).text, DJORDJE)
    member_id = int(link.rsplit("/", 1)[1])
    _, [delivery] = add_deliveries(
        ctx.ledger.engine,  # type: ignore[attr-defined]
        [member_id],
        slug="days-of-clusters-2015",
        at=ctx.clock.now(),
    )
    ingest_events(
        ctx,
        [
            {"email": DJORDJE, "timestamp": 1441100000, "event": "delivered",
             "sg_event_id": "d1", "nl_delivery_id": str(delivery)},
            {"email": DJORDJE, "timestamp": 1441103600, "event": "open",
             "sg_event_id": "o1", "nl_delivery_id": str(delivery)},
        ],
    )  # fmt: skip
    page = client.get(link)
    assert page.status_code == 200
    text = page.text
    assert "Ђорђе Ћирић" in text and "Wine Cluster Vranje" in text
    assert "website-signup" in text  # the consent history's source
    assert 'href="/staff/campaigns/days-of-clusters-2015">days-of-clusters-2015' in text
    # 10:33:20 UTC, shown in the office zone (Europe/Belgrade, summer time) to the minute
    assert "2015-09-01 12:33 CEST</td><td>opened" in text and "delivered" in text
    assert client.get("/staff/members/999999").status_code == 404


def upload(client: TestClient, csrf: str, name: str, data: bytes, **fields: str) -> str:
    response = client.post(
        "/staff/members/import",
        data={"csrf": csrf, **fields},
        files={"file": (name, data, "text/csv")},
    )
    assert response.status_code == 200, response.text
    return response.text


def hidden(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html))


def test_import_dry_run_then_the_same_bytes_for_real(client: TestClient, ctx: Services) -> None:
    csrf = sign_in(client, EDITOR)
    before = count_members(ctx)
    data = (FIXTURES / "cp1251_cyrillic.csv").read_bytes()
    report = upload(client, csrf, "из Ниша.csv", data, list="nis-2015")
    assert "Dry run: nothing was written yet" in report
    assert "из Ниша.csv: Windows-1251 (detected), delimiter &#39;;&#39;" in report
    assert "would import 4, updated 0, unchanged 0, rejected 1" in report
    assert "<q>Петар Петровић</q>" in report  # decoded names, to see the encoding was right
    assert "из Ниша.csv:5</td><td>rejected</td><td>email</td><td>duplicate of row 2" in report
    assert "mixes Latin and Cyrillic letters" in report
    assert count_members(ctx) == before
    form = hidden(report.split('class="confirm-import"', 1)[1])
    done = client.post("/staff/members/import/confirm", data=form)
    assert done.status_code == 200 and "Imported" in done.text
    assert count_members(ctx) == before + 4
    assert "imported 4, updated 0, unchanged 0, rejected 1" in done.text
    # The upload is gone: confirming twice imports nothing twice.
    again = client.post("/staff/members/import/confirm", data=form)
    assert again.status_code == 409 and "upload the file again" in again.text


def test_rejected_rows_are_listed_and_offered_as_a_file(client: TestClient) -> None:
    csrf = sign_in(client, EDITOR)
    report = upload(client, csrf, "structure.csv", (FIXTURES / "structure.csv").read_bytes())
    assert "structure.csv:3" in report and "cells but the header has 3" in report
    form = hidden(report.split('class="confirm-import"', 1)[1])
    tampered = client.post("/staff/members/import/confirm", data={**form, "sha256": "0" * 64})
    assert tampered.status_code == 409
    done = client.post("/staff/members/import/confirm", data=form)
    assert done.status_code == 200
    link = re.search(r'href="(/staff/members/import/[^"]+/rejects\.csv)"', done.text)
    assert link
    rejects = client.get(link.group(1))
    assert rejects.status_code == 200 and rejects.content.startswith(b"\xef\xbb\xbf")
    assert "short@klaster.example" in rejects.text and "row,reason" in rejects.text.splitlines()[0]
    assert client.get("/staff/members/import/" + "x" * 32 + "/rejects.csv").status_code == 404


def test_xlsx_and_unreadable_uploads(client: TestClient, ctx: Services) -> None:
    csrf = sign_in(client, EDITOR)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["email", "first_name", "topics", "consent_source"])
    sheet.append(["xlsx.friend@clusters.example", "Ксенија", "news", "info-day-2015"])
    buffer = io.BytesIO()
    book.save(buffer)
    report = upload(client, csrf, "friends.xlsx", buffer.getvalue())
    assert "would import 1, updated 0, unchanged 0, rejected 0" in report
    bad = client.post(
        "/staff/members/import",
        data={"csrf": csrf},
        files={"file": ("old.xls", b"\xd0\xcf\x11\xe0" + b"\0" * 64, "application/vnd.ms-excel")},
    )
    assert bad.status_code == 400 and "old Excel .xls workbook" in bad.text
    assert "/up/" not in bad.text  # the file is named as staff know it, not where it waits
    missing = client.post("/staff/members/import", data={"csrf": csrf})
    assert missing.status_code == 400 and "Choose a CSV or XLSX file" in missing.text
    forged = client.post(
        "/staff/members/import",
        data={"csrf": "x" * 43},
        files={"file": ("a.csv", b"email\na@b.example\n", "text/csv")},
    )
    assert forged.status_code == 403


def test_export_is_the_cli_export(
    client: TestClient, project: Path, tmp_path: Path, database_url: str
) -> None:
    sign_in(client, APPROVER)
    for segment in ("", "bg-rs-calls"):
        response = client.get("/staff/members/export", params={"segment": segment})
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        assert "attachment" in response.headers["content-disposition"]
        out = tmp_path / f"cli{segment}.csv"
        args = ["--config", str(project / "config.yaml"), "members", "export", "-o", str(out)]
        args += ["--segment", segment] if segment else []
        result = CliRunner().invoke(main, args, env={"NEWSLETTER_DATABASE__URL": database_url})
        assert result.exit_code == 0, result.output
        assert response.content == out.read_bytes()
        assert response.content.startswith(b"\xef\xbb\xbfemail,first_name")
    unknown = client.get("/staff/members/export", params={"segment": "nope"})
    assert unknown.status_code == 400


def test_an_upload_that_exhausts_the_reader_stops_only_its_child(
    client: TestClient, ctx: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.audiences.files.test_isolated import big_csv

    monkeypatch.setattr("newsletter.audiences.files.isolated.MEMORY_BYTES", 16 * 1024 * 1024)
    csrf = sign_in(client, EDITOR)
    before = count_members(ctx)
    data = big_csv(tmp_path / "bomb.csv").read_bytes()
    response = client.post(
        "/staff/members/import",
        data={"csrf": csrf},
        files={"file": ("bomb.csv", data, "text/csv")},
    )
    assert response.status_code == 400
    assert "bomb.csv: reading the file needed more than 16 MiB of memory" in response.text
    assert "/up/" not in response.text
    # The web app goes on serving, and nothing was imported.
    assert client.get("/staff/members").status_code == 200
    assert count_members(ctx) == before
