"""A person's rights on SQLite and PostgreSQL: show, erase (and stay erased), export."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text, update
from sqlalchemy.exc import DBAPIError

from newsletter.audiences.data_rights import erase_person, export_members, person_data
from newsletter.audiences.domain.members import COLUMNS
from newsletter.audiences.domain.segments import ReceivedRule, Segment, explain_member
from newsletter.audiences.files.member_files import read_member_file
from newsletter.audiences.files.spreadsheets import write_csv
from newsletter.audiences.imports import ImportReport, import_members
from newsletter.config import Settings
from newsletter.db.engine import make_engine
from newsletter.db.tables import (
    consent_events,
    deliveries,
    member_tags,
    members,
    subscriptions,
    suppressions,
)
from newsletter.errors import InputError
from tests.deliveries_helper import record_sent
from tests.services import Services

PEOPLE = (
    "email,first_name,last_name,organization,country,language,tier,topics,consent_source,"
    "consent_date,consent_wording\n"
    "Ana.Petrovic@klaster-nis.example,Ana,Petrović,Klaster Niš,RS,sr-Latn,member,events;calls,"
    "membership-agreement,2015-03-02,v3\n"
    "ivan@sofia-cluster.example,Иван,Иванов,Клъстер София,BG,bg,member,events,"
    "membership-agreement,2014-05-06,\n"
    "eve@evil.example,=cmd,Ştefănescu,-,RO,ro,friend,events,web-form,,\n"
)


@pytest.fixture
def engine(settings: Settings, ctx: Services) -> Iterator[Engine]:
    built = make_engine(settings.database_url)
    yield built
    built.dispose()


def load(ctx: Services, tmp_path: Path, body: str = PEOPLE, tag: str | None = None) -> ImportReport:
    path = tmp_path / "people.csv"
    path.write_text(body.replace("=cmd", "Eva"), encoding="utf-8")
    found = read_member_file(path)
    return import_members(ctx, found.rows, source=str(path), tag=tag)


def send_to_everyone(engine: Engine) -> int:
    with engine.connect() as conn:
        emails = conn.execute(select(members.c.email)).scalars().all()
    return record_sent(engine, "days-of-clusters-2015", emails)


def test_show_holds_everything_and_export_person_is_exact_json(
    ctx: Services, engine: Engine, tmp_path: Path
) -> None:
    load(ctx, tmp_path, tag="registered-dofc-2015")
    send_to_everyone(engine)
    data = person_data(ctx, "ANA.PETROVIC@KLASTER-NIS.EXAMPLE")
    assert data is not None
    doc = data.as_json()
    assert doc["profile"]["email"] == "Ana.Petrovic@klaster-nis.example"
    assert doc["profile"]["consent_wording"] == "v3"
    assert [(s["topic"], s["status"]) for s in doc["subscriptions"]] == [
        ("calls", "subscribed"),
        ("events", "subscribed"),
    ]
    assert [
        (c["topic"], c["action"], c["wording_version"], c["at"]) for c in doc["consent_history"]
    ] == [
        ("calls", "subscribed", "v3", "2015-03-02T00:00:00+00:00"),
        ("events", "subscribed", "v3", "2015-03-02T00:00:00+00:00"),
    ]
    assert doc["tags"] == ["registered-dofc-2015"]
    assert [
        (d["campaign"], d["step"], d["status"], d["provider_message_id"]) for d in doc["deliveries"]
    ] == [("days-of-clusters-2015", "main", "sent", "msg-1")]
    assert doc["suppression"] is None
    assert person_data(ctx, "nobody@klaster.example") is None


def test_received_rule_counts_and_explains_alike(
    ctx: Services, engine: Engine, tmp_path: Path
) -> None:
    load(ctx, tmp_path)
    segment = Segment(name="got-it", rule=ReceivedRule(received="days-of-clusters-2015"))
    assert ctx.members.count(segment, None) == 0
    assert send_to_everyone(engine) == 3
    assert ctx.members.count(segment, None) == 3
    facts = ctx.members.facts("ivan@sofia-cluster.example")
    assert facts is not None
    ok, lines = explain_member(segment, *facts)
    assert ok and lines[-1] == "✓ received campaign 'days-of-clusters-2015'"
    other = Segment(name="x", rule=ReceivedRule(received="chairmans-letter"))
    assert ctx.members.count(other, None) == 0


def test_erase_removes_everything_and_blocks_every_variant_on_reimport(
    ctx: Services, engine: Engine, tmp_path: Path, settings: Settings
) -> None:
    load(ctx, tmp_path, tag="registered-dofc-2015")
    send_to_everyone(engine)
    ana = person_data(ctx, "ana.petrovic@klaster-nis.example")
    assert ana is not None
    sqlite = settings.database_url.startswith("sqlite")
    if sqlite:  # the grep below must be able to see the address before erasure
        assert database_holds(ctx, engine, settings, b"ana.petrovic@klaster-nis")
    done = erase_person(ctx, "ana.petrovic@KLASTER-NIS.example")
    assert done.deleted
    mid = ana.profile["id"]
    with engine.connect() as conn:
        for table in (subscriptions, consent_events, member_tags, deliveries):
            assert (
                conn.execute(
                    select(func.count()).select_from(table).where(table.c.member_id == mid)
                ).scalar_one()
                == 0
            ), table.name
        assert conn.execute(select(func.count()).select_from(members)).scalar_one() == 2
        held = conn.execute(select(suppressions)).all()
    # Only a keyed hash, a reason and a date; nothing that could hold an address.
    assert [(len(h.email_hash), h.reason) for h in held] == [(64, "erased")]
    assert re.fullmatch("[0-9a-f]{64}", held[0].email_hash)
    assert [c.name for c in suppressions.c] == ["email_hash", "reason", "created_at"]

    again = tmp_path / "again.csv"
    again.write_text(
        "email,first_name\nANA.PETROVIC@klaster-nis.example,Ana\nivan@sofia-cluster.example,И\n"
        "Ana.Petrovic@KLASTER-NIS.EXAMPLE,Ana\n",
        encoding="utf-8",
    )
    found = read_member_file(again)
    report = import_members(ctx, found.rows, source=str(again))
    assert [(r.row, r.outcome, r.reason) for r in report.rows] == [
        (2, "rejected", "erased at the person's request"),
        (3, "updated", "first_name: 'Иван' → 'И'"),
        (4, "rejected", "duplicate of row 2 (the same address, ignoring case)"),
    ]
    assert report.suppressed == 1
    assert erase_person(ctx, "ana.petrovic@klaster-nis.example").deleted is False  # idempotent

    if sqlite:  # GDPR Art. 17: the address is not left readable anywhere in the database files
        assert not database_holds(ctx, engine, settings, b"ana.petrovic@klaster-nis")


def database_holds(ctx: Services, engine: Engine, settings: Settings, needle: bytes) -> bool:
    ctx.close()  # release pooled connections, so the files are what a copy of them would hold
    engine.dispose()
    database = Path(settings.database_url.removeprefix("sqlite:///"))
    return any(needle in p.read_bytes().lower() for p in database.parent.glob(database.name + "*"))


def test_erasing_someone_unknown_still_suppresses(ctx: Services, tmp_path: Path) -> None:
    assert erase_person(ctx, "Stranger@Klaster.example").deleted is False
    path = tmp_path / "s.csv"
    path.write_text("email\nstranger@klaster.example\n", encoding="utf-8")
    report = import_members(ctx, read_member_file(path).rows, source=str(path))
    assert report.suppressed == 1 and report.imported == 0
    with pytest.raises(InputError, match="not an email address"):
        erase_person(ctx, "not an address")


def test_consent_history_is_append_only(ctx: Services, engine: Engine, tmp_path: Path) -> None:
    load(ctx, tmp_path)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(update(consent_events).values(source="forged"))
    with engine.connect() as conn:
        assert "forged" not in conn.execute(select(consent_events.c.source)).scalars().all()
        assert conn.execute(text("SELECT count(*) FROM consent_events")).scalar_one() == 4


def test_export_is_excel_safe_and_round_trips(ctx: Services, tmp_path: Path) -> None:
    load(ctx, tmp_path)
    rows = list(export_members(ctx, None))
    assert [r["email"] for r in rows] == [
        "Ana.Petrovic@klaster-nis.example",
        "ivan@sofia-cluster.example",
        "eve@evil.example",
    ]
    assert rows[0]["topics"] == "calls;events" and rows[0]["consent_date"] == "2015-03-02"
    assert rows[2]["organization"] == "-" and rows[2]["last_name"] == "Ștefănescu"
    buffer = io.StringIO(newline="")
    write_csv(buffer, [*COLUMNS, "status"], ([r[c] for c in [*COLUMNS, "status"]] for r in rows))
    data = buffer.getvalue()
    assert data.startswith("\ufeffemail,first_name,")
    cells = [c for row in csv.reader(io.StringIO(data[1:], newline="")) for c in row]
    assert "'-" in cells and not any(c.startswith(("=", "+", "-", "@")) for c in cells)

    exported = tmp_path / "export.csv"
    exported.write_text(data, encoding="utf-8")  # what staff open in Excel and save back
    report = import_members(ctx, read_member_file(exported).rows, source=str(exported))
    assert {r.outcome for r in report.rows} == {"unchanged"}, report.rows


def test_export_of_a_segment(ctx: Services, tmp_path: Path) -> None:
    load(ctx, tmp_path)
    rows = list(export_members(ctx, "bg-rs-calls"))
    assert [r["email"] for r in rows] == ["Ana.Petrovic@klaster-nis.example"]
