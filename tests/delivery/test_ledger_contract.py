"""The ledger's contract, run on the in-memory fake (tests/fakes/ledger.py) and on the SQL
ledger on SQLite and PostgreSQL: the same calls through the ``Ledger`` port, the same answers.
The fast tier's service tests trust the fake because of this module."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from newsletter.audiences.domain.deliveries import DeliveryStatus, FailureKind
from newsletter.audiences.domain.segments import FieldRule, Segment
from newsletter.content.domain.campaigns import CampaignState
from newsletter.content.files.project_files import ProjectFiles
from newsletter.delivery.domain.claims import ClaimOwner
from newsletter.delivery.sql.owners import this_process
from tests.conftest import CONTRACT_BACKENDS, REPO
from tests.fakes.contract import NOW, Stores, add, member_id, person

pytestmark = pytest.mark.parametrize("database_url", CONTRACT_BACKENDS, indirect=True)

S = DeliveryStatus
EVENTS = Segment(name="events-audience", topic="events", rule=None)
VARIANTS = {"sr-Cyrl": "sr-Cyrl", "sr-Latn": "sr-Cyrl", "bg": "bg"}
LATER = NOW + dt.timedelta(minutes=5)


def _campaign(s: Stores) -> int:
    files = ProjectFiles(REPO / "templates", REPO / "audiences", REPO / "campaigns")
    campaign, _ = files.campaign("days-of-clusters-2015")
    return s.ledger.ensure_campaign(campaign, now=NOW)


def _planned(s: Stores) -> int:
    """Five members: three read English, two Serbian; one follows news only."""
    add(
        s.members,
        person("ana@x.example"),
        person("ivan@x.example", language="sr-Cyrl"),
        person("mila@x.example", language="sr-Latn", country="BG"),
        person("john@x.example", country="BG"),
        person("only-news@x.example", topics=frozenset({"news"})),
    )
    cid = _campaign(s)
    assert s.ledger.plan(cid, "main", EVENTS, "events", VARIANTS, "en", now=NOW) == 4
    return cid


def test_a_campaign_row_is_made_once_and_found_by_slug(stores: Stores) -> None:
    cid = _campaign(stores)
    assert _campaign(stores) == cid
    assert stores.ledger.campaign_id("days-of-clusters-2015") == cid
    assert stores.ledger.campaign_id("no-such-campaign") is None
    assert stores.ledger.sending_campaigns() == []
    stores.ledger.set_state(cid, CampaignState.SENDING, now=NOW)
    assert stores.ledger.sending_campaigns() == [(cid, "days-of-clusters-2015")]


def test_planning_takes_the_segment_now_in_variants_and_never_twice(stores: Stores) -> None:
    cid = _planned(stores)
    assert stores.ledger.pending_languages(cid, "main") == {"en": 2, "sr-Cyrl": 2}
    assert stores.ledger.plan(cid, "main", EVENTS, "events", VARIANTS, "en", now=NOW) == 0
    add(stores.members, person("late@x.example", language="bg"))
    assert stores.ledger.plan(cid, "main", EVENTS, "events", VARIANTS, "en", now=LATER) == 1
    assert stores.ledger.pending_languages(cid, "main") == {"bg": 1, "en": 2, "sr-Cyrl": 2}
    assert stores.ledger.has_pending(cid, "main") and not stores.ledger.has_pending(cid, "other")
    # ``only`` narrows who this run plans (the scheduler's time-zone groups).
    serbia = FieldRule(field="country", op="eq", value="RS")
    assert stores.ledger.plan(cid, "r", EVENTS, "events", {}, "en", now=NOW, only=serbia) == 3
    assert stores.ledger.counts(cid, "r").pending == 3
    assert stores.ledger.counts(cid).pending == 8


def test_a_claim_takes_one_variant_in_id_order_after_the_cursor(stores: Stores) -> None:
    cid = _planned(stores)
    first, suppressed = stores.ledger.claim(cid, "main", "en", "events", 1, now=NOW)
    assert suppressed == 0 and [r.email for r in first] == ["ana@x.example"]
    assert first[0].first_name == "Ana" and first[0].language == "en"
    assert first[0].member_id == member_id(stores.members, "ana@x.example")
    after = first[0].delivery_id
    rest, _ = stores.ledger.claim(cid, "main", "en", "events", 10, now=NOW, after=after)
    assert [r.email for r in rest] == ["john@x.example"]
    assert stores.ledger.claim(cid, "main", "en", "events", 10, now=NOW)[0] == []
    serbian, _ = stores.ledger.claim(cid, "main", "sr-Cyrl", "events", 10, now=NOW)
    assert [(r.email, r.language) for r in serbian] == [
        ("ivan@x.example", "sr-Cyrl"),
        ("mila@x.example", "sr-Latn"),  # the member's own language, the variant's rows
    ]
    assert stores.ledger.counts(cid, "main").sending == 4


def test_a_member_unsubscribed_since_planning_is_suppressed_at_the_claim(stores: Stores) -> None:
    cid = _planned(stores)
    ana = member_id(stores.members, "ana@x.example")
    assert stores.members.unsubscribe(ana, "events", source="test", now=NOW)
    assert not stores.members.unsubscribe(ana, "events", source="test", now=NOW)
    claimed, suppressed = stores.ledger.claim(cid, "main", "en", "events", 10, now=LATER)
    assert suppressed == 1 and [r.email for r in claimed] == ["john@x.example"]
    assert stores.ledger.counts(cid, "main").suppressed == 1
    # Planning again does not bring the row back.
    assert stores.ledger.plan(cid, "main", EVENTS, "events", VARIANTS, "en", now=LATER) == 0


def test_outcomes_move_rows_only_from_the_states_they_may_leave(stores: Stores) -> None:
    cid = _planned(stores)
    ledger = stores.ledger
    rows, _ = ledger.claim(cid, "main", "en", "events", 10, now=NOW)
    sr, _ = ledger.claim(cid, "main", "sr-Cyrl", "events", 10, now=NOW)
    a, b = (r.delivery_id for r in rows)
    c, d = (r.delivery_id for r in sr)
    ledger.mark_sent([a], "msg-1", now=NOW)
    ledger.mark_unknown([a], "too late", now=LATER)  # sent stays sent
    ledger.mark_failed([b], "550 no such user", now=NOW)
    ledger.mark_unknown([c], "connection dropped", now=NOW)
    ledger.mark_failed([d], "421 try later", now=NOW, kind=FailureKind.TRANSIENT)
    counts = ledger.counts(cid, "main")
    assert (counts.sent, counts.failed, counts.unknown, counts.total) == (1, 2, 1, 4)
    assert ledger.failure_kinds(cid, "main") == {"permanent": 1, "transient": 1}
    assert ledger.first_sent_at(cid) == NOW
    assert ledger.unknown_ids(cid, "main") == [c]
    [row] = ledger.unknown_rows(cid)
    assert (row["id"], row["email"], row["attempts"]) == (c, "ivan@x.example", 1)
    assert ledger.retry_failed(cid, "main", now=LATER) == 1  # the transient one only
    assert ledger.counts(cid, "main").pending == 1
    assert ledger.resolve_unknown(cid, None, S.SENT, now=LATER) == 1
    assert ledger.counts(cid, "main").sent == 2 and ledger.unknown_ids(cid, "main") == []
    with pytest.raises(ValueError, match="pending or sent"):
        ledger.resolve_unknown(cid, None, S.FAILED, now=LATER)


def test_release_counts_attempts_until_they_are_used_up(stores: Stores) -> None:
    cid = _planned(stores)
    ledger = stores.ledger
    for attempt in range(1, 4):
        rows, _ = ledger.claim(cid, "main", "en", "events", 1, now=NOW)
        assert len(rows) == 1, attempt
        ledger.release([rows[0].delivery_id], "503", now=NOW, max_attempts=3)
    # Three attempts used: the third release failed the row for good (transient).
    assert ledger.failure_kinds(cid, "main") == {"transient": 1}
    rows, _ = ledger.claim(cid, "main", "en", "events", 1, now=NOW)
    assert [r.email for r in rows] == ["john@x.example"]
    for _ in range(5):  # a refund (429: slow down) costs no attempt
        ledger.release([rows[0].delivery_id], "429", now=NOW, max_attempts=1, refund=True)
        rows, _ = ledger.claim(cid, "main", "en", "events", 1, now=NOW)
    assert ledger.counts(cid, "main").sending == 1
    ledger.release([rows[0].delivery_id], "503", now=NOW, max_attempts=1)
    assert ledger.failure_kinds(cid, "main") == {"transient": 2}


def test_unknown_rows_are_requeued_settled_or_failed_by_attempts(stores: Stores) -> None:
    cid = _planned(stores)
    ledger = stores.ledger
    rows, _ = ledger.claim(cid, "main", "sr-Cyrl", "events", 10, now=NOW)
    ids = [r.delivery_id for r in rows]
    ledger.mark_unknown(ids, "timeout", now=NOW)
    assert ledger.requeue_unknown(cid, "main", older_than=NOW, now=LATER) == 0  # not older
    assert ledger.requeue_unknown(cid, "main", older_than=LATER, now=LATER, max_attempts=1) == 0
    assert ledger.failure_kinds(cid, "main") == {"transient": 2}  # one attempt each, used
    rows, _ = ledger.claim(cid, "main", "en", "events", 10, now=NOW)
    ids = [r.delivery_id for r in rows]
    ledger.mark_unknown(ids, "timeout", now=NOW)
    assert ledger.requeue_unknown(cid, "main", older_than=LATER, now=LATER) == 2
    rows, _ = ledger.claim(cid, "main", "en", "events", 10, now=LATER)
    ledger.mark_unknown([r.delivery_id for r in rows], "timeout", now=LATER)
    ledger.settle_unknown([ids[0]], [ids[1]], now=LATER)
    counts = ledger.counts(cid, "main")
    assert (counts.sent, counts.pending, counts.unknown) == (1, 1, 0)


def test_a_request_starts_only_on_rows_still_ours(stores: Stores) -> None:
    cid = _planned(stores)
    ledger = stores.ledger
    me = ledger.owner()
    rows, _ = ledger.claim(cid, "main", "en", "events", 10, now=NOW, owner=me)
    ids = [r.delivery_id for r in rows]
    assert not ledger.start_request(ids, "someone else", now=NOW)
    assert ledger.start_request(ids, me, now=NOW)
    ledger.release(ids[:1], "not sent", now=NOW)
    assert not ledger.start_request(ids, me, now=NOW)  # one is no longer claimed
    assert ledger.start_request([], me, now=NOW)


def test_a_dead_owners_rows_are_settled_at_once_a_live_ones_after_its_lease(
    stores: Stores,
) -> None:
    cid = _planned(stores)
    ledger = stores.ledger
    dead = replace(this_process(), started="1").token()  # this pid, an earlier process
    rows, _ = ledger.claim(cid, "main", "en", "events", 10, now=NOW, owner=dead)
    assert ledger.start_request([rows[0].delivery_id], dead, now=NOW)
    live = ledger.owner()
    mine, _ = ledger.claim(cid, "main", "sr-Cyrl", "events", 10, now=NOW, owner=live)
    found = ledger.recover_claims(cid, "main", now=NOW, lease_seconds=60)
    assert (found.unknown, found.released) == (1, 1)
    assert found.held == {ClaimOwner.parse(live).describe(): 2}  # type: ignore[union-attr]
    assert len(found.dead_owners) == 1
    counts = ledger.counts(cid, "main")
    assert (counts.unknown, counts.pending, counts.sending) == (1, 1, 2)
    # The released row's attempt was refunded: it may still be tried the full five times.
    again, _ = ledger.claim(cid, "main", "en", "events", 10, now=NOW, owner=live)
    assert [r.email for r in again] == ["john@x.example"]
    # The live owner renews its lease; once it stops, the lease runs out.
    ledger.renew([r.delivery_id for r in mine], now=NOW + dt.timedelta(seconds=50), owner=live)
    held = ledger.recover_claims(cid, "main", now=NOW + dt.timedelta(seconds=100), lease_seconds=60)
    assert (held.unknown, held.released) == (0, 1)  # john's claim (NOW) ran out, not mine
    late = ledger.recover_claims(cid, "main", now=NOW + dt.timedelta(seconds=111), lease_seconds=60)
    assert (late.unknown, late.released, late.dead_owners) == (0, 2, [])
    assert ledger.counts(cid, "main").pending == 3
