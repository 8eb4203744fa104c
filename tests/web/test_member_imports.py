"""The import page through the real app: templates to download, the mapping step on a
spreadsheet with a column we do not keep, and a consent statement that is not confirmed."""

from __future__ import annotations

import html
import io

import openpyxl
from starlette.testclient import TestClient

from newsletter.audiences.domain.members import COLUMNS
from tests.web.staff_helpers import EDITOR, sign_in
from tests.web.test_staff_members import client, hidden, upload

__all__ = ["client"]  # the fixture, shared with the other staff member tests

SHEET = (
    "E-mail;Ime;Prezime;Omiljena boja;Teme\r\n"
    "ana@klaster-nis.example;Ana;Petrović;plava;events\r\n"
    "marko@klaster-nis.example;Marko;Ilić;zelena;\r\n"
).encode("utf-8-sig")


def test_templates_are_our_columns(client: TestClient) -> None:
    sign_in(client, EDITOR)
    page = client.get("/staff/members/import")
    assert "audiences/members.csv" not in page.text  # office staff cannot open that
    assert 'href="/staff/members/import/template.xlsx"' in page.text
    csv_file = client.get("/staff/members/import/template.csv")
    assert csv_file.status_code == 200
    assert csv_file.content == ("\ufeff" + ",".join(COLUMNS) + "\r\n").encode("utf-8")
    assert 'filename="members.csv"' in csv_file.headers["content-disposition"]
    xlsx = client.get("/staff/members/import/template.xlsx")
    assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK\x03\x04")
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content), read_only=True)
    first, notes = book.worksheets
    assert [c for c in next(first.iter_rows(values_only=True))] == list(COLUMNS)
    explained = {row[0]: row[1] for row in notes.iter_rows(min_row=2, values_only=True)}
    assert set(explained) == set(COLUMNS)
    assert "YYYY-MM-DD" in str(explained["consent_date"])
    book.close()
    assert client.get("/staff/members/import/template.pdf").status_code == 404


def test_mapping_step_lists_left_out_columns_and_needs_a_confirmed_consent(
    client: TestClient,
) -> None:
    csrf = sign_in(client, EDITOR)
    page = upload(client, csrf, "partneri.csv", SHEET)
    text = html.unescape(page)
    assert 'class="source-system">spreadsheet<' in page
    assert "ignored 1 column(s): 'Omiljena boja' (not a field we keep)" in text
    # The row with a topic but no consent source is refused until consent is stated.
    assert "would import 1, updated 0, unchanged 0, rejected 1; 1 new without any topic" in text
    assert "topics given without a consent source" in text
    form = hidden(page.split('class="confirm-import"', 1)[1])
    assert form["col_3"] == "" and form["col_4"] == "topics"

    stated = {**form, "consent_source": "Days of Clusters 2015 registration"}
    unconfirmed = client.post("/staff/members/import/check", data=stated)
    assert unconfirmed.status_code == 400
    assert "tick the box to confirm" in unconfirmed.text
    assert 'class="mapping-step"' in unconfirmed.text  # the choices stay on screen
    assert 'value="Days of Clusters 2015 registration"' in unconfirmed.text

    confirmed = {**stated, "consent_confirmed": "yes", "topic": "news", "col_3": "role"}
    checked = client.post("/staff/members/import/check", data=confirmed)
    assert checked.status_code == 200, checked.text
    shown = html.unescape(checked.text)
    assert "would import 2, updated 0, unchanged 0, rejected 0" in shown
    assert f"Days of Clusters 2015 registration (confirmed by {EDITOR})" in shown
    assert "topics for new people: news" in shown
    assert "ignored" not in shown.split("would import", 1)[0].split("read as", 1)[1]


def test_our_own_export_keeps_its_status_column_through_the_mapping_step(
    client: TestClient,
) -> None:
    csrf = sign_in(client, EDITOR)
    data = (
        b"email,first_name,status\r\nleft@x.example,Left,unsubscribed\r\nin@x.example,In,active\r\n"
    )
    page = upload(client, csrf, "export.csv", data)
    form = hidden(page.split('class="confirm-import"', 1)[1])
    assert form["col_2"] == "status"
    checked = client.post("/staff/members/import/check", data=form)
    shown = html.unescape(checked.text)
    assert "would import 1, updated 0, unchanged 0, rejected 1" in shown
    assert "an import never subscribes an address that is not active" in shown


def test_a_check_that_cannot_read_the_file_is_an_error_page_not_a_crash(
    client: TestClient,
) -> None:
    csrf = sign_in(client, EDITOR)
    cyrillic = "email;ime\r\nana@x.example;Ана Петровић\r\n".encode("cp1251")
    page = upload(client, csrf, "cp1251.csv", cyrillic)
    assert "would import 1" in page
    form = hidden(page.split('class="confirm-import"', 1)[1])
    wrong = client.post("/staff/members/import/check", data={**form, "encoding": "utf-8"})
    assert wrong.status_code == 400
    assert "cp1251.csv:2: not valid utf-8: byte 0xc0" in html.unescape(wrong.text)
    bad_date = client.post(
        "/staff/members/import/check",
        data={**form, "consent_source": "x", "consent_confirmed": "yes", "consent_date": "May"},
    )
    assert bad_date.status_code == 400 and "not a date: 'May'" in html.unescape(bad_date.text)
    assert 'class="mapping-step"' in bad_date.text


def test_a_file_without_an_email_column_is_mapped_by_hand(client: TestClient) -> None:
    csrf = sign_in(client, EDITOR)
    data = "Kontakt;Ime i prezime\r\nana@x.example;Ana Petrović\r\n".encode()
    page = upload(client, csrf, "kontakti.csv", data)
    text = html.unescape(page)
    assert "kontakti.csv: no column means email" in text
    assert 'class="import-report"' not in page and 'class="confirm-import"' not in page
    form = hidden(page.split('class="mapping"', 1)[1].split("</form>", 1)[0])
    checked = client.post(
        "/staff/members/import/check", data={**form, "col_0": "email", "col_1": "full_name"}
    )
    assert checked.status_code == 200
    shown = html.unescape(checked.text)
    assert "would import 1, updated 0, unchanged 0, rejected 0" in shown
    assert "ana@x.example" in shown
