"""Member search and filters in SQL, on SQLite and PostgreSQL: a name is found from either
script and any spelling through the search-term table, whose index answers each query word;
the terms follow every write (import, re-import, profile edit, erasure, the migration)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, insert, select, text

from newsletter.audiences.data_rights import erase_person
from newsletter.audiences.directory import Filters, search_members
from newsletter.audiences.imports import import_members
from newsletter.audiences.member_edits import edit_profile
from newsletter.db.engine import downgrade, upgrade
from newsletter.db.tables import member_search_terms, members
from tests.delivery.test_sending import load_samples
from tests.services import Services

HEAD = "email,first_name,last_name,organization,country,language,tier,topics,consent_source"
PEOPLE = f"""{HEAD}
b.ristic@klaster-nis.example,Бранислав,Ристић,Кластер Ниш,RS,sr-Cyrl,member,calls,form
djordje@vino.example,Ђорђе,Јовановић,Винарски кластер,RS,sr-Cyrl,member,events,form
dj.lat@vino.example,Đorđe,Petrović,Vinski klaster,RS,sr-Latn,friend,events,form
gjorgji@skopje.example,Ѓорѓи,Ќосев,ИТ кластер Скопје,MK,mk,member,calls,form
zhechev@sofia.example,Жечо,Жечев,Клъстер София,BG,bg,member,calls,form
ana@ruse.example,Ana,Ristova,Ruse Cluster,BG,en,friend,news,form
"""


def engine_of(ctx: Services) -> Engine:
    return ctx.ledger.engine  # type: ignore[attr-defined,no-any-return]


def load(ctx: Services, data: str = PEOPLE, source: str = "people.csv") -> None:
    rows = [(n, r) for n, r in enumerate(csv.DictReader(io.StringIO(data)), start=2)]
    assert not import_members(ctx, rows, source=source).rejected


def found(ctx: Services, query: str = "", **filters: str) -> set[str]:
    page = search_members(ctx, Filters(query, **filters))
    assert page.total == len(page.rows)  # small lists: one page
    return {m.email for m in page.rows}


@pytest.mark.parametrize("query", ["Djordje", "Đorđe", "Ђорђе", "Dordje", "DJORDJE", "đorđe"])
def test_every_spelling_finds_both_scripts(ctx: Services, query: str) -> None:
    load(ctx)
    assert found(ctx, query) == {"djordje@vino.example", "dj.lat@vino.example"}


def test_latin_finds_cyrillic_and_every_word_must_match(ctx: Services) -> None:
    load(ctx)
    assert found(ctx, "Ristić") == {"b.ristic@klaster-nis.example"}
    assert found(ctx, "ristic") == {"b.ristic@klaster-nis.example"}
    assert found(ctx, "Branislav Ristić") == {"b.ristic@klaster-nis.example"}
    assert found(ctx, "Бранислав Ристић") == {"b.ristic@klaster-nis.example"}
    assert found(ctx, "Rist") == {"b.ristic@klaster-nis.example", "ana@ruse.example"}
    assert found(ctx, "Branislav Ristova") == set()
    # Macedonian and Bulgarian, in their own romanisations
    assert found(ctx, "Gjorgji Kjosev") == {"gjorgji@skopje.example"}
    assert found(ctx, "Zhechev") == {"zhechev@sofia.example"}
    assert found(ctx, "klaster nis") == {"b.ristic@klaster-nis.example"}  # organisation
    assert found(ctx, "dj.lat@vino") == {"dj.lat@vino.example"}  # address words
    assert found(ctx, "%_") == set()  # no word at all: nobody, not everyone


def test_filters_combine_with_the_query_and_a_segment_lists_its_audience(ctx: Services) -> None:
    load(ctx)
    assert found(ctx, country="BG") == {"zhechev@sofia.example", "ana@ruse.example"}
    assert found(ctx, "rist", country="BG") == {"ana@ruse.example"}
    assert found(ctx, language="sr-Cyrl", tier="member") == {
        "b.ristic@klaster-nis.example",
        "djordje@vino.example",
    }
    assert found(ctx, tier="friend", status="active") == {"dj.lat@vino.example", "ana@ruse.example"}
    # bg-rs-calls: members in BG or RS following calls (audiences/segments.yaml)
    assert found(ctx, segment="bg-rs-calls") == {
        "b.ristic@klaster-nis.example",
        "zhechev@sofia.example",
    }
    assert ctx.members.count(ctx.catalog.segment("bg-rs-calls"), None) == 2


def test_terms_follow_reimports_edits_and_erasure(ctx: Services) -> None:
    load(ctx)
    engine = engine_of(ctx)
    with engine.connect() as conn:
        held = conn.execute(select(func.count()).select_from(members)).scalar_one()
        with_terms = conn.execute(
            select(func.count(func.distinct(member_search_terms.c.member_id)))
        ).scalar_one()
    assert held == with_terms == 6
    # A re-import that renames someone: the old name no longer finds them, the new one does.
    load(ctx, f"{HEAD}\nana@ruse.example,Ana,Petkova,Ruse Cluster,BG,en,friend,news,form\n")
    assert found(ctx, "Ristova") == set()
    assert found(ctx, "Петкова") == {"ana@ruse.example"}
    # A profile edit in the browser's use case.
    [ana] = search_members(ctx, "Petkova").rows
    assert edit_profile(ctx, ana.id, {"last_name": "Иванова", "organization": "Русе"}) == [
        "Last name",
        "Organisation",
    ]
    assert found(ctx, "Ivanova Ruse") == {"ana@ruse.example"}
    assert found(ctx, "Petkova") == set()
    # Erasure takes the terms with the member (ON DELETE CASCADE).
    erase_person(ctx, "ana@ruse.example")
    assert found(ctx, "Ivanova") == set()
    with engine.connect() as conn:
        orphans = conn.execute(
            select(func.count())
            .select_from(member_search_terms)
            .where(member_search_terms.c.member_id == ana.id)
        ).scalar_one()
    assert orphans == 0


def test_each_query_word_is_an_index_range(ctx: Services) -> None:
    load(ctx)
    engine = engine_of(ctx)
    sql = "SELECT member_id FROM member_search_terms WHERE term >= 'rist' AND term < 'risu'"
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
            assert "ix_member_search_terms_term_member_id" in plan and "term>?" in plan, plan
        else:
            # A six-row table is cheaper to scan; forbid that to see which index the range
            # can use (only one in "C" collation can serve a byte-order range).
            conn.execute(text("SET enable_seqscan = off"))
            plan = " ".join(r[0] for r in conn.exec_driver_sql(f"EXPLAIN {sql}"))
            assert "ix_member_search_terms_term_member_id" in plan, plan
        assert {r[0] for r in conn.exec_driver_sql(sql)} == {
            m.id for m in search_members(ctx, "rist").rows
        }


def test_pages_of_a_filtered_list(ctx: Services, project: Path) -> None:
    load_samples(ctx, project)
    everyone = search_members(ctx, Filters(status="active"))
    assert everyone.total > 50 and len(everyone.rows) == 50 and everyone.pages > 1
    second = search_members(ctx, Filters(status="active"), 2)
    assert second.page == 2 and not {m.id for m in second.rows} & {m.id for m in everyone.rows}
    last = search_members(ctx, Filters(status="active"), 999)
    assert last.page == everyone.pages


def test_the_migration_backfills_members_held_before_it(ctx: Services) -> None:
    engine = engine_of(ctx)
    downgrade(engine, "0012")
    at = dt.datetime(2015, 9, 1, tzinfo=dt.UTC)
    with engine.begin() as conn:
        conn.execute(
            insert(members),
            [
                {"email": f"p{i}@x.example", "email_key": f"p{i}@x.example",
                 "first_name": "Ђорђе", "last_name": f"Ристић{i}", "organization": "",
                 "role": "", "country": "RS", "language": "sr-Cyrl", "tier": "member",
                 "timezone": "", "consent_source": "", "consent_wording": "",
                 "status": "active", "created_at": at, "updated_at": at}
                for i in range(7)
            ],
        )  # fmt: skip
    upgrade(engine)
    assert found(ctx, "Djordje") == {f"p{i}@x.example" for i in range(7)}
    assert found(ctx, "Ristic3") == {"p3@x.example"}


def test_a_search_counts_exactly_up_to_a_thousand_then_says_more(ctx: Services) -> None:
    rows = "".join(
        f"m{i}@marko.example,Марко,Марковић{i},,RS,sr-Cyrl,member,,\n" for i in range(1005)
    )
    load(ctx, f"{HEAD}\n{rows}")
    many = search_members(ctx, "Marko")
    assert many.total == 1001 and many.more and many.pages == 20 and len(many.rows) == 50
    assert search_members(ctx, "Marko", 999).page == 20  # past the end: the last page
    few = search_members(ctx, "Marko Markovic100")  # Marković100 .. Marković1004
    assert (few.total, few.more) == (6, False)
    assert search_members(ctx, Filters(country="RS")).total == 1005  # lists count exactly
