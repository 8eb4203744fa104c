"""The schedule store's contract, run on the in-memory fake (tests/fakes/schedule.py) and on the
SQL store on SQLite and PostgreSQL: saving plans, claims and their fencing, take-over, pause and
resume, milestones and recurring sends, through the ``ScheduleStore`` port alone. The scheduler
lease is SQL's own (tests/scheduling/sql/test_store.py)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from dataclasses import replace

import pytest

from newsletter.audiences.domain.segments import FieldRule, Segment
from newsletter.content.files.project_files import ProjectFiles
from newsletter.scheduling.domain.recurrence import Recurrence
from newsletter.scheduling.domain.reminders import MilestonePoint
from newsletter.scheduling.domain.rules import ScheduleEntry, ScheduleKind, ScheduleState
from newsletter.scheduling.ports import ScheduleStore
from newsletter.scheduling.sql.store import SqlScheduleStore
from tests.conftest import CONTRACT_BACKENDS, REPO
from tests.fakes.contract import NOW, Stores, add, person, sql_engine
from tests.fakes.schedule import MemoryScheduleStore

pytestmark = pytest.mark.parametrize("database_url", CONTRACT_BACKENDS, indirect=True)

S = ScheduleState
T0 = dt.datetime(2015, 9, 1, 7, 0, tzinfo=dt.UTC)
MIN = dt.timedelta(minutes=1)


@pytest.fixture
def store(database_url: str, request: pytest.FixtureRequest) -> Iterator[ScheduleStore]:
    if database_url == "memory":
        yield MemoryScheduleStore()
        return
    with sql_engine(database_url, request) as engine:
        yield SqlScheduleStore(engine)


def row(step: str, due: dt.datetime, **kw: object) -> ScheduleEntry:
    return ScheduleEntry("doc", step, ScheduleKind.REMINDER, due, "Europe/Bucharest", **kw)  # type: ignore[arg-type]


def test_save_inserts_updates_pending_and_never_overwrites_what_went_out(
    store: ScheduleStore,
) -> None:
    [first] = store.save([row("a", T0)], now=T0)
    assert first.id is not None and first.attempt_at == T0 and first.due_at.tzinfo is not None
    [moved] = store.save([row("a", T0 + MIN)], now=T0)
    assert moved.id == first.id and moved.due_at == T0 + MIN
    claimed = store.claim(first.id, "me", now=T0 + 2 * MIN, until=T0 + 10 * MIN)
    assert claimed is not None and claimed.state is S.SENDING
    assert store.finish(replace(claimed, state=S.SENT, attempt_at=None), "me", now=T0 + 3 * MIN)
    [kept] = store.save([row("a", T0 + 60 * MIN)], now=T0)
    assert kept.state is S.SENT and kept.due_at == T0 + MIN  # a new plan left it alone


def test_one_claim_wins_and_a_dead_claimers_row_is_taken_over(store: ScheduleStore) -> None:
    [entry] = store.save([row("a", T0)], now=T0)
    assert entry.id is not None
    assert store.due(T0 - MIN) == []
    assert store.claim(entry.id, "one", now=T0, until=T0 + 5 * MIN) is not None
    assert store.claim(entry.id, "two", now=T0, until=T0 + 5 * MIN) is None
    assert store.due(T0 + MIN) == []  # claimed and the claim is live
    assert store.next_attempt() == T0 + 5 * MIN  # when the claim runs out
    # "one" dies; after its claim runs out the row is due again, seen as it was before.
    [again] = store.due(T0 + 6 * MIN)
    assert again.state is S.SCHEDULED and again.fired_at == T0
    assert store.claim(entry.id, "two", now=T0 + 6 * MIN, until=T0 + 9 * MIN) is not None
    assert not store.finish(replace(again, state=S.SENT), "one", now=T0 + 7 * MIN)  # fenced off
    assert store.finish(replace(again, state=S.SENT, attempt_at=None), "two", now=T0 + 7 * MIN)
    assert store.next_attempt() is None


def test_a_new_leader_takes_over_rows_left_sending(store: ScheduleStore) -> None:
    a, b = store.save([row("a", T0), row("b", T0, state=S.SENT, attempt_at=T0)], now=T0)
    assert a.id is not None and b.id is not None
    store.claim(a.id, "old", now=T0, until=T0 + 60 * MIN)
    store.claim(b.id, "old", now=T0, until=T0 + 60 * MIN)
    assert store.take_over("new", now=T0 + MIN) == 2
    states = {e.step: e.state for e in store.entries()}
    assert states == {"a": S.SCHEDULED, "b": S.SENT}  # a catch-up stays a catch-up
    assert {e.step for e in store.due(T0 + MIN)} == {"a", "b"}


def test_concurrent_dispatchers_claim_each_row_exactly_once(store: ScheduleStore) -> None:
    stored = store.save([row(f"s{i}", T0) for i in range(60)], now=T0)
    won: dict[str, list[int]] = {}

    def work(name: str) -> None:
        mine = won.setdefault(name, [])
        for entry in stored:
            assert entry.id is not None
            if store.claim(entry.id, name, now=T0, until=T0 + 5 * MIN) is not None:
                mine.append(entry.id)

    threads = [threading.Thread(target=work, args=(f"d{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    claimed = [i for ids in won.values() for i in ids]
    assert sorted(claimed) == sorted(e.id for e in stored if e.id is not None)


def test_pause_resume_cancel(store: ScheduleStore) -> None:
    store.save([row("a", T0), row("b", T0 + MIN)], now=T0)
    assert (
        store.change_state("doc", from_states=[S.SCHEDULED], to=S.PAUSED, reason="p", now=T0) == 2
    )
    assert store.next_attempt() is None and store.due(T0 + 9 * MIN) == []
    resumed = store.change_state("doc", from_states=[S.PAUSED], to=S.SCHEDULED, reason="", now=T0)
    assert resumed == 2
    assert store.next_attempt() == T0
    n = store.change_state(
        "doc", from_states=[S.SCHEDULED], to=S.CANCELLED, reason="staff", now=T0, step="b"
    )
    assert n == 1
    [cancelled] = [e for e in store.entries() if e.state is S.CANCELLED]
    assert cancelled.step == "b" and cancelled.attempt_at is None and cancelled.reason == "staff"


def test_milestones_and_recurrences_round_trip(store: ScheduleStore) -> None:
    point = MilestonePoint("early_bird", T0, "Europe/Bucharest", 0)
    store.save_milestone("doc", point, now=T0)
    store.save_milestone("doc", MilestonePoint("early_bird", T0 + MIN, "Europe/Sofia", 1), now=T0)
    assert store.milestones("doc") == {
        "early_bird": MilestonePoint("early_bird", T0 + MIN, "Europe/Sofia", 1)
    }
    digest = Recurrence("digest", "digest-{date:%Y-%m}", "0 10 * * mon#1", "Europe/Belgrade")
    store.save_recurrence(digest, now=T0)
    assert store.recurrences() == [digest]
    assert store.delete_recurrence("digest") and not store.delete_recurrence("digest")


# -- the audience questions, answered from the same database as the ledger ----------------------

EVENTS = Segment(name="events-audience", topic="events", rule=None)


def _campaign(s: Stores) -> int:
    add(
        s.members,
        person("ana@x.example", timezone="Europe/Belgrade"),
        person("ion@x.example", language="bg", country="BG"),
        person("eva@x.example", language="sr-Latn", timezone="Europe/Sofia"),
    )
    files = ProjectFiles(REPO / "templates", REPO / "audiences", REPO / "campaigns")
    campaign, _ = files.campaign("days-of-clusters-2015")
    return s.ledger.ensure_campaign(campaign, now=NOW)


def _send(s: Stores, cid: int, step: str, variants: dict[str, str]) -> None:
    s.ledger.plan(cid, step, EVENTS, "events", variants, "en", now=NOW)
    for language in s.ledger.pending_languages(cid, step):
        rows, _ = s.ledger.claim(cid, step, language, "events", 10, now=NOW)
        s.ledger.mark_sent([r.delivery_id for r in rows], "msg", now=NOW)


def test_notices_go_to_those_reminded_in_the_language_they_read(stores: Stores) -> None:
    cid = _campaign(stores)
    assert stores.schedule.member_zones() == {"Europe/Belgrade", "Europe/Sofia", ""}
    assert stores.schedule.audience_left(cid, "r1", EVENTS, "events") == 3
    assert stores.schedule.audience_left(None, "r1", EVENTS, "events") == 3
    _send(stores, cid, "r1", {"bg": "bg"})
    assert stores.schedule.audience_left(cid, "r1", EVENTS, "events") == 0
    add(stores.members, person("late@x.example"))
    assert stores.schedule.audience_left(cid, "r1", EVENTS, "events") == 1
    assert stores.schedule.plan_from(cid, "notice", ["r1", "r0"], now=NOW) == 3
    assert stores.schedule.plan_from(cid, "notice", ["r1"], now=NOW) == 0
    assert stores.ledger.pending_languages(cid, "notice") == {"bg": 1, "en": 2}


def test_exclusions_are_written_before_the_send_plans_the_step(stores: Stores) -> None:
    cid = _campaign(stores)
    bulgaria = Segment(name="bg", rule=FieldRule(field="country", op="eq", value="BG"))
    skipped, capped = stores.schedule.suppress(
        cid,
        "r1",
        EVENTS,
        "events",
        skip=bulgaria,
        cap=None,
        reason_skip="in the skip segment",
        reason_cap="",
        now=NOW,
    )
    assert (skipped, capped) == (1, 0)
    assert stores.ledger.plan(cid, "r1", EVENTS, "events", {}, "en", now=NOW) == 2
    counts = stores.ledger.counts(cid, "r1")
    assert (counts.suppressed, counts.pending) == (1, 2)


def test_the_reminder_cap_counts_reminders_handed_over_in_the_window(stores: Stores) -> None:
    cid = _campaign(stores)
    reminder = ScheduleEntry(
        "days-of-clusters-2015", "r1", ScheduleKind.REMINDER, NOW, "Europe/Belgrade"
    )
    stores.schedule.save([reminder], now=NOW)
    _send(stores, cid, "r1", {})
    window = (1, NOW - dt.timedelta(hours=1), NOW + dt.timedelta(hours=1))
    _, capped = stores.schedule.suppress(
        cid,
        "r2",
        EVENTS,
        "events",
        skip=None,
        cap=window,
        reason_skip="",
        reason_cap="daily reminder cap",
        now=NOW,
    )
    assert capped == 3
    later = (1, NOW + dt.timedelta(hours=1), NOW + dt.timedelta(hours=2))
    _, none = stores.schedule.suppress(
        cid,
        "r3",
        EVENTS,
        "events",
        skip=None,
        cap=later,
        reason_skip="",
        reason_cap="daily reminder cap",
        now=NOW,
    )
    assert none == 0
