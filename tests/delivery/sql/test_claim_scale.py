"""Claims at scale, on SQLite and PostgreSQL: planning in chunks, and a claim whose plan reads
the partial index ``ix_deliveries_pending_claim`` in order (no sort and no join over the
backlog), so the last batch of a large send costs what the first did."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.engine import Connection

from newsletter.audiences.domain.segments import AnyRule, ReceivedRule, Segment, TagRule, TopicRule
from newsletter.content.files.project_files import ProjectFiles
from newsletter.db.tables import deliveries
from newsletter.delivery.sql import ledger as ledger_module
from newsletter.delivery.sql.claims import claim_query
from newsletter.delivery.sql.ledger import SqlLedger
from newsletter.delivery.sql.planning import plan_source
from tests.delivery.sql.test_ledger import REPO
from tests.synthetic import add_members

NOW = dt.datetime(2015, 9, 1, 8, 0, tzinfo=dt.UTC)
MEMBERS = 24_000
BATCH = 1000
INDEX = "ix_deliveries_pending_claim"
EVERYONE = Segment(name="everyone", topic="events")
VARIANTS = {"en": "en", "sr-Cyrl": "sr-Cyrl"}


def _planned(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> tuple[SqlLedger, int]:
    """MEMBERS members in two languages, planned for the main step in chunks of 5000."""
    add_members(engine, MEMBERS, languages=("en", "sr-Cyrl"))
    files = ProjectFiles(REPO / "templates", REPO / "audiences", REPO / "campaigns")
    campaign, _ = files.campaign("days-of-clusters-2015")
    ledger = SqlLedger(engine)
    cid = ledger.ensure_campaign(campaign, now=NOW)
    monkeypatch.setattr(ledger_module, "PLAN_CHUNK", 5000)
    planned = ledger.plan(cid, "main", EVERYONE, "events", VARIANTS, "en", now=NOW)
    assert planned == MEMBERS
    return ledger, cid


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _explain(conn: Connection, query: Any, *, analyze: bool = False) -> list[dict[str, Any]]:
    """The plan's nodes (PostgreSQL) or EXPLAIN QUERY PLAN's lines as {"detail": ...} (SQLite)."""
    sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    if conn.dialect.name == "sqlite":
        return [{"detail": str(r[-1])} for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")]
    options = "ANALYZE, BUFFERS, FORMAT JSON" if analyze else "FORMAT JSON"
    raw = conn.exec_driver_sql(f"EXPLAIN ({options}) {sql}").scalar_one()
    doc = raw if isinstance(raw, list) else json.loads(raw)
    return list(_nodes(doc[0]["Plan"]))


def _assert_index_no_sort(nodes: list[dict[str, Any]]) -> None:
    if "detail" in nodes[0]:  # SQLite
        details = [n["detail"] for n in nodes]
        # SQLite ends every index entry with the rowid (the id here), so either index of the
        # step's pending rows hands them out in id order from the cursor on; both are fine.
        search = [d for d in details if d.startswith("SEARCH deliveries USING")]
        assert len(search) == 1, details
        assert INDEX in search[0] or "status=? AND language=?" in search[0], details
        assert "language=?" in search[0] and "rowid>?" in search[0], details
        assert not any("TEMP B-TREE" in d for d in details), details  # no sort
        assert not any(d.startswith("SCAN deliveries") for d in details), details
        return
    kinds = [n["Node Type"] for n in nodes]
    assert "Sort" not in kinds and "Incremental Sort" not in kinds, kinds
    on_deliveries = [n for n in nodes if n.get("Relation Name") == "deliveries"]
    assert [n.get("Index Name") for n in on_deliveries] == [INDEX], on_deliveries
    assert all(n["Node Type"] in ("Index Scan", "Index Only Scan") for n in on_deliveries)
    # The lock and the limit apply to the index's first entries, before any join: only the
    # picked rows meet members (the planner then reads members by key, or hashes a small
    # table whole, as its costs say).
    limit = next(n for n in nodes if n["Node Type"] == "Limit")
    assert limit["Plan Rows"] <= BATCH
    assert [n["Node Type"] for n in _nodes(limit)][:2] == ["Limit", "LockRows"]
    assert any(n.get("Index Name") == INDEX for n in _nodes(limit))


def test_plan_in_chunks_counts_each_row_once_and_resumes(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger, cid = _planned(engine, monkeypatch)
    # Planning again (a rerun after a crash mid-plan) adds nothing and counts nothing.
    assert ledger.plan(cid, "main", EVERYONE, "events", VARIANTS, "en", now=NOW) == 0
    more = add_members(engine, 7, prefix="late", languages=("en",))
    assert ledger.plan(cid, "main", EVERYONE, "events", VARIANTS, "en", now=NOW) == 7
    with engine.connect() as conn:
        late = conn.execute(
            select(func.count()).where(deliveries.c.member_id.in_(more))
        ).scalar_one()
        assert late == 7
        assert ledger.pending_languages(cid, "main") == {"en": MEMBERS // 2 + 7,
                                                          "sr-Cyrl": MEMBERS // 2}  # fmt: skip


@pytest.mark.parametrize(
    "segment",
    [EVERYONE, Segment(name="tagged", topic="events", rule=AnyRule(any=[TagRule(tag="x"),
     TopicRule(topic="calls"), ReceivedRule(received="days-of-clusters-2015")]))],
    ids=["topic", "tag-topic-received"],
)  # fmt: skip
def test_a_plan_chunk_reads_only_its_range_of_the_lookup_tables(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, segment: Segment
) -> None:
    # One chunk of 1,000 members out of 24,000: joined with a whole-table scan of
    # subscriptions (PostgreSQL's choice when the range was on members.id alone), every chunk
    # read what the whole audience did, and planning 1M members cost 50 times the table.
    _planned(engine, monkeypatch)
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO member_tags (member_id, tag) SELECT id, 'x' FROM members")
        conn.exec_driver_sql("ANALYZE")
        source = plan_source(2, "other", segment, "events", VARIANTS, "en", now=NOW)
        chunk = source.params(plan_lo=12_001, plan_hi=13_000)
        nodes = _explain(conn, chunk)
    if "detail" in nodes[0]:  # SQLite
        details = [n["detail"] for n in nodes]
        assert not [d for d in details if d.startswith("SCAN")], details
        return
    whole = {n.get("Relation Name") for n in nodes if n["Node Type"] == "Seq Scan"}
    assert not whole & {"members", "subscriptions", "member_tags", "deliveries"}, nodes


@pytest.mark.parametrize("analysed", [False, True])
def test_claim_plan_reads_the_partial_index_without_sorting_the_backlog(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, analysed: bool
) -> None:
    _, cid = _planned(engine, monkeypatch)
    with engine.begin() as conn:
        if analysed:  # and without fresh statistics (right after a plan) the same shape
            conn.exec_driver_sql("ANALYZE")
        for after in (0, 15_000):
            query = claim_query(conn.dialect.name, cid, "main", "sr-Cyrl", "events", BATCH, after)
            _assert_index_no_sort(_explain(conn, query))


def test_last_claim_costs_what_the_first_did(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every row is claimed batch by batch through the real claim; the first and the last
    claim read about as much (PostgreSQL: buffers touched by EXPLAIN ANALYZE, in a
    transaction rolled back, of the very query the claim runs; SQLite removes claimed rows'
    index entries at once, so its plan alone says it)."""
    ledger, cid = _planned(engine, monkeypatch)
    dialect = engine.dialect.name

    def buffers(after: int) -> int:
        with engine.connect() as conn:
            query = claim_query(dialect, cid, "main", "en", "events", BATCH, after)
            nodes = _explain(conn, query, analyze=dialect == "postgresql")
            conn.rollback()
        _assert_index_no_sort(nodes)
        if dialect != "postgresql":
            return 1
        top = nodes[0]
        return int(top["Shared Hit Blocks"]) + int(top["Shared Read Blocks"])

    first = buffers(0)
    after, claimed, last = 0, 0, 0
    while True:
        if claimed == MEMBERS // 2 - BATCH:
            last = buffers(after)
        got, suppressed = ledger.claim(
            cid, "main", "en", "events", BATCH, now=NOW, owner="test", after=after
        )
        assert suppressed == 0
        if not got:
            break
        ids = [r.delivery_id for r in got]
        assert ids == sorted(ids) and ids[0] > after
        claimed += len(got)
        after = ids[-1]
    assert claimed == MEMBERS // 2
    assert 0 < last <= 2 * first, (first, last)
    with engine.connect() as conn:
        left = conn.execute(
            select(func.count()).where(
                deliveries.c.language == "en", deliveries.c.status == "pending"
            )
        ).scalar_one()
    assert left == 0


def test_request_started_stays_on_the_page_of_the_claimed_row(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL: the deliveries table leaves room on its pages (fillfactor), so recording
    that a batch's request started - an UPDATE of no indexed column - writes each row's new
    version beside the claimed one: a heap-only update, with no new index entries. At
    fillfactor 100 (before) most of them moved to another page."""
    if engine.dialect.name != "postgresql":
        pytest.skip("heap-only updates are PostgreSQL's; SQLite rewrites rows in place")
    ledger, cid = _planned(engine, monkeypatch)
    # A row version's place is its ctid, (block, item): the block is the page.
    where = text("SELECT id, (ctid::text::point)[0] FROM deliveries WHERE id = ANY(:ids)")

    def pages(ids: list[int]) -> dict[int, float]:
        with engine.connect() as conn:
            return {int(i): float(p) for i, p in conn.execute(where, {"ids": ids})}

    after, moved, total = 0, 0, 0
    for _ in range(MEMBERS // 2 // BATCH):
        got, _ = ledger.claim(cid, "main", "en", "events", BATCH, now=NOW, owner="o", after=after)
        ids = [r.delivery_id for r in got]
        claimed = pages(ids)
        assert ledger.start_request(ids, "o", now=NOW)
        started = pages(ids)
        moved += sum(1 for i in ids if started[i] != claimed[i])
        total += len(ids)
        after = ids[-1]
    assert total == MEMBERS // 2
    assert moved <= total // 10, f"{moved} of {total} row versions left their page"
