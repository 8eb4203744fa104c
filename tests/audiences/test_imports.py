"""Importing hostile files end to end, on SQLite and PostgreSQL: the exact per-row report, what
is stored, and what an import must never do (overwrite an unsubscribe, invent consent)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import Engine, func, select, update

from newsletter.audiences.files.member_files import read_member_file
from newsletter.audiences.imports import ImportReport, import_members
from newsletter.config import Settings
from newsletter.db.engine import make_engine
from newsletter.db.tables import consent_events, members, subscriptions
from tests import hostile
from tests.services import Services

Outcome = tuple[int, str, str, str]


def library_message(address: str) -> str:
    with pytest.raises(EmailNotValidError) as info:
        validate_email(address, check_deliverability=False)
    return str(info.value)


def run(
    ctx: Services, path: Path, *, dry_run: bool = False, tag: str | None = None
) -> ImportReport:
    found = read_member_file(path)
    return import_members(ctx, found.rows, source=str(path), dry_run=dry_run, tag=tag)


def outcomes(report: ImportReport) -> list[Outcome]:
    return [(r.row, r.outcome, r.field, r.reason) for r in report.rows]


def warnings(report: ImportReport) -> list[Outcome]:
    return [(r.row, r.outcome, r.field, r.reason) for r in report.warnings]


@pytest.fixture
def engine(settings: Settings, ctx: Services) -> Iterator[Engine]:
    built = make_engine(settings.database_url)
    yield built
    built.dispose()


def stored(engine: Engine, email: str) -> dict[str, object]:
    with engine.connect() as conn:
        row = conn.execute(select(members).where(members.c.email == email)).one()
    return dict(row._mapping)


def test_utf8_bom_semicolon_file_exact_report(ctx: Services, engine: Engine) -> None:
    report = run(ctx, hostile.FIXTURES / "utf8_bom_semicolon.csv")
    formula = '=HYPERLINK("http://evil.example";"click"'
    assert outcomes(report) == [
        (2, "imported", "", "new member"),
        (3, "rejected", "email", "duplicate of row 2 (the same address, ignoring case)"),
        (4, "imported", "", "new member"),
        (5, "rejected", "email", library_message("ana@@klaster.example")),
        (6, "imported", "", "new member"),
        (
            7,
            "rejected",
            "first_name",
            f"looks like a spreadsheet formula ({formula + '…'!r}); formulas are never imported",
        ),
        (8, "imported", "", "new member"),
        (9, "imported", "", "new member"),
        (10, "rejected", "consent_source", "topics given without a consent source"),
        (11, "imported", "", "new member"),
        (
            13,
            "rejected",
            "email",
            "The part before the @-sign is too long (65 octets; RFC 5321 allows 64).",
        ),
        (14, "imported", "", "new member"),
        (15, "rejected", "email", library_message('"Ana" <ana2@klaster.example>')),
        (16, "imported", "", "new member"),
    ]
    assert warnings(report) == [
        (
            9,
            "warning",
            "last_name",
            "'Рorрeviж' mixes Latin and Cyrillic letters (mojibake or a look-alike)",
        ),
        (
            14,
            "warning",
            "email",
            "non-ASCII before the @ needs SMTPUTF8 (RFC 6531); few providers take it",
        ),
        # Imported without it, but said: the file holds a NUL (hostile.py writes one).
        (16, "warning", "first_name", "1 NUL byte (\\x00) removed from the cell"),
    ]
    assert (report.imported, report.updated, report.unchanged, len(report.rejected)) == (8, 0, 0, 6)

    ana = stored(engine, "Ana.Petrovic@klaster-nis.example")
    assert (ana["country"], ana["language"], ana["consent_wording"]) == ("RS", "sr-Latn", "v1")
    assert stored(engine, "marko@xn--e1afmkfd.xn--90a3ac")["first_name"] == "Марко"
    stefan = stored(engine, "stefan@cluster-iasi.example")
    assert (stefan["first_name"], stefan["last_name"], stefan["organization"]) == (
        "Ștefan",
        "Țuțea",
        "Cluster Iași",
    )
    assert stored(engine, "jelena@klaster.example")["first_name"] == "Jelena Marija"
    assert stored(engine, "mila@klaster.example")["organization"] == "+381 Klaster"
    assert stored(engine, "zerowidth@klaster.example")["first_name"] == "Ana Marija"
    with engine.connect() as conn:
        events = conn.execute(
            select(
                consent_events.c.topic,
                consent_events.c.source,
                consent_events.c.wording_version,
                consent_events.c.at,
            )
            .where(consent_events.c.member_id == ana["id"])
            .order_by(consent_events.c.topic)
        ).all()
    assert [(t, s, w) for t, s, w, _ in events] == [
        ("calls", "membership-agreement", "v1"),
        ("events", "membership-agreement", "v1"),
    ]
    assert all(at.date() == dt.date(2015, 3, 2) for *_, at in events)  # dated by the source


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("cp1250_latin.csv", [(n, "imported", "", "new member") for n in (2, 3, 4, 5)]),
        (
            "cp1251_cyrillic.csv",
            [
                (2, "imported", "", "new member"),
                (3, "imported", "", "new member"),
                (4, "imported", "", "new member"),
                (5, "rejected", "email", "duplicate of row 2 (the same address, ignoring case)"),
                (6, "imported", "", "new member"),
            ],
        ),
        (
            "broken_quotes.csv",
            [
                (2, "imported", "", "new member"),
                (
                    3,
                    "rejected",
                    "row",
                    "a quoted cell runs over the following lines: an unbalanced quote?",
                ),
                (
                    4,
                    "rejected",
                    "row",
                    "4 cells but the header has 3 (a line break or a delimiter inside an unquoted "
                    "cell?)",
                ),
                (5, "rejected", "row", "broken quoting (',' expected after '\"')"),
                (6, "imported", "", "new member"),
                (7, "imported", "", "new member"),
                (8, "rejected", "row", "broken quoting (unexpected end of data)"),
                (9, "imported", "", "new member"),
            ],
        ),
    ],
)
def test_legacy_and_broken_files_exact_report(
    ctx: Services, name: str, expected: list[Outcome]
) -> None:
    assert outcomes(run(ctx, hostile.FIXTURES / name)) == expected


def test_code_page_names_are_stored_correctly(ctx: Services, engine: Engine) -> None:
    run(ctx, hostile.FIXTURES / "cp1250_latin.csv")
    report = run(ctx, hostile.FIXTURES / "cp1251_cyrillic.csv")
    assert warnings(report) == [
        (
            6,
            "warning",
            "first_name",
            "'Pера' mixes Latin and Cyrillic letters (mojibake or a look-alike)",
        ),
    ]
    assert stored(engine, "zarko@klaster-nis.example")["last_name"] == "Šćekić"
    assert stored(engine, "ion@cluster-iasi.example")["last_name"] == "Țuțea"  # cedilla fixed
    assert stored(engine, "maria@plovdiv-cluster.example")["last_name"] == "Щерева"


def test_a_one_megabyte_cell_rejects_its_row_only(ctx: Services, tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text(
        "email,first_name\nbig@klaster.example," + "x" * 1_048_576 + "\nok@klaster.example,Ok\n",
        encoding="utf-8",
    )
    assert outcomes(run(ctx, path)) == [
        (2, "rejected", "first_name", "cell is 1,048,576 characters long; the limit is 1,000"),
        (3, "imported", "", "new member"),
    ]


def test_xlsx_import(ctx: Services, engine: Engine, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(
        ["Имейл", "Име и фамилия", "Държава", "Език", "Tier", "Теми", "Consent", "Consent date"]
    )
    sheet.append(
        [
            "ivan@sofia-cluster.example",
            "Иван Петров Иванов",
            "BG",
            "bg",
            "member",
            "calls",
            "membership-agreement",
            dt.datetime(2014, 5, 6),
        ]
    )
    sheet.append(["IVAN@Sofia-Cluster.example", "Иван", "BG"])
    sheet.append(["calc@sofia-cluster.example", "=A2", "BG"])
    book.save(tmp_path / "bg.xlsx")
    report = run(ctx, tmp_path / "bg.xlsx")
    assert outcomes(report) == [
        (2, "imported", "", "new member"),
        (3, "rejected", "email", "duplicate of row 2 (the same address, ignoring case)"),
        (
            4,
            "rejected",
            "full_name",
            "looks like a spreadsheet formula ('=A2'); formulas are never imported",
        ),
    ]
    ivan = stored(engine, "ivan@sofia-cluster.example")
    assert (ivan["first_name"], ivan["last_name"], ivan["consent_date"]) == (
        "Иван Петров",
        "Иванов",
        dt.date(2014, 5, 6),
    )


BASE = (
    "email,first_name,last_name,tier,topics,consent_source\n"
    "a@klaster.example,Ana,Aničić,member,events;calls,membership-agreement\n"
    "b@klaster.example,Bojan,Bojić,member,events;calls,membership-agreement\n"
    "c@klaster.example,Cveta,Cvetić,member,events,membership-agreement\n"
)


def test_import_never_overwrites_unsubscribe_bounce_or_complaint(
    ctx: Services, engine: Engine, tmp_path: Path
) -> None:
    (tmp_path / "base.csv").write_text(BASE, encoding="utf-8")
    run(ctx, tmp_path / "base.csv")
    a_id = stored(engine, "a@klaster.example")["id"]
    assert ctx.members.unsubscribe(int(str(a_id)), "calls", source="one-click", now=ctx.clock.now())
    with engine.begin() as conn:
        for email, status in (
            ("b@klaster.example", "bounced"),
            ("c@klaster.example", "complained"),
        ):
            conn.execute(update(members).where(members.c.email == email).values(status=status))

    again = tmp_path / "again.csv"
    again.write_text(
        BASE.replace("events;calls", "events;calls;news").replace("Cveta", "Cvijeta"),
        encoding="utf-8",
    )
    report = run(ctx, again)
    assert outcomes(report) == [
        (2, "updated", "", "topic +news"),
        (3, "updated", "", "topic +news"),
        (4, "updated", "", "first_name: 'Cveta' → 'Cvijeta'"),
    ]
    assert warnings(report) == [
        (2, "warning", "", "stays unsubscribed from calls"),
        (3, "warning", "", "address is bounced: kept so, nothing will be sent to it"),
        (4, "warning", "", "address is complained: kept so, nothing will be sent to it"),
    ]
    assert [stored(engine, f"{x}@klaster.example")["status"] for x in "abc"] == [
        "active",
        "bounced",
        "complained",
    ]
    with engine.connect() as conn:
        status = conn.execute(
            select(subscriptions.c.status).where(
                subscriptions.c.member_id == a_id, subscriptions.c.topic == "calls"
            )
        ).scalar_one()
    assert status == "unsubscribed"


def test_empty_or_missing_cells_never_erase_what_is_held(
    ctx: Services, engine: Engine, tmp_path: Path
) -> None:
    (tmp_path / "base.csv").write_text(BASE, encoding="utf-8")
    run(ctx, tmp_path / "base.csv")
    partial = tmp_path / "partial.csv"
    partial.write_text("email,first_name,last_name\na@klaster.example,,Anić\n", encoding="utf-8")
    assert outcomes(run(ctx, partial)) == [(2, "updated", "", "last_name: 'Aničić' → 'Anić'")]
    ana = stored(engine, "a@klaster.example")
    assert (ana["first_name"], ana["last_name"], ana["tier"]) == ("Ana", "Anić", "member")


def test_a_status_column_never_subscribes_an_inactive_address(
    ctx: Services, tmp_path: Path
) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "email,topics,consent_source,status\n"
        "x@klaster.example,events,form,unsubscribed\ny@klaster.example,events,form,active\n",
        encoding="utf-8",
    )
    assert outcomes(run(ctx, path)) == [
        (
            2,
            "rejected",
            "status",
            "status is 'unsubscribed': an import never subscribes an address that is not active",
        ),
        (3, "imported", "", "new member"),
    ]


def count_rows(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return (
            int(conn.execute(select(func.count()).select_from(members)).scalar_one()),
            int(conn.execute(select(func.count()).select_from(consent_events)).scalar_one()),
        )


def test_dry_run_reports_the_same_and_writes_nothing(
    ctx: Services, engine: Engine, tmp_path: Path
) -> None:
    (tmp_path / "base.csv").write_text(BASE, encoding="utf-8")
    run(ctx, tmp_path / "base.csv", tag="old-list")
    before = count_rows(engine)
    path = hostile.FIXTURES / "utf8_bom_semicolon.csv"
    dry = run(ctx, path, dry_run=True, tag="dofc")
    assert count_rows(engine) == before
    real = run(ctx, path, tag="dofc")
    assert outcomes(dry) == outcomes(real) and warnings(dry) == warnings(real)
    assert count_rows(engine) != before


def test_tags_mark_list_membership_once(ctx: Services, tmp_path: Path) -> None:
    (tmp_path / "base.csv").write_text(BASE, encoding="utf-8")
    run(ctx, tmp_path / "base.csv")
    first = run(ctx, tmp_path / "base.csv", tag="registered-dofc-2015")
    assert {r.reason for r in first.rows} == {"tag +registered-dofc-2015"}
    second = run(ctx, tmp_path / "base.csv", tag="registered-dofc-2015")
    assert {r.outcome for r in second.rows} == {"unchanged"}
    facts = ctx.members.facts("A@klaster.example")
    assert facts is not None and facts[0].tags == frozenset({"registered-dofc-2015"})


def test_an_import_leaves_fresh_planner_statistics(
    ctx: Services, engine: Engine, project: Path
) -> None:
    """The first send after a large import must not be planned on stale statistics."""
    run(ctx, project / "audiences" / "members.csv")
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite: PRAGMA optimize ran (no error); it leaves nothing to observe")
    with engine.connect() as conn:
        analysed = dict(
            conn.exec_driver_sql(
                "SELECT relname, last_analyze IS NOT NULL FROM pg_stat_user_tables "
                "WHERE relname IN ('members', 'subscriptions', 'consent_events')"
            ).all()
        )
    assert analysed == {"members": True, "subscriptions": True, "consent_events": True}
