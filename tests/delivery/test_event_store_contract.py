"""The event store's contract, run on the in-memory fake (tests/fakes/events.py) and on the SQL
store on SQLite and PostgreSQL: provider events stored once, their effects on deliveries and
members, outcome counts and one-click unsubscribes, through the ports alone."""

from __future__ import annotations

import datetime as dt

import pytest

from newsletter.audiences.domain.segments import Segment
from newsletter.content.files.project_files import ProjectFiles
from newsletter.delivery.domain.events import Action, Effect, EventKind, ProviderEvent
from tests.conftest import CONTRACT_BACKENDS, REPO
from tests.fakes.contract import NOW, Stores, add, member_id, person

pytestmark = pytest.mark.parametrize("database_url", CONTRACT_BACKENDS, indirect=True)

EVENTS = Segment(name="events-audience", topic="events", rule=None)
LATER = NOW + dt.timedelta(hours=1)
Batch = list[tuple[ProviderEvent, tuple[Effect, ...]]]


def _sent(s: Stores) -> tuple[int, dict[str, int]]:
    """A campaign sent to three members (two in English, one in Bulgarian), one row left
    ``unknown``: (campaign id, email -> delivery id)."""
    add(
        s.members,
        person("ana@x.example", topics=frozenset({"events", "news"})),
        person("ion@x.example"),
        person("eva@x.example", language="bg"),
    )
    files = ProjectFiles(REPO / "templates", REPO / "audiences", REPO / "campaigns")
    campaign, _ = files.campaign("days-of-clusters-2015")
    cid = s.ledger.ensure_campaign(campaign, now=NOW)
    s.ledger.plan(cid, "main", EVENTS, "events", {"bg": "bg"}, "en", now=NOW)
    rows = [*s.ledger.claim(cid, "main", "en", "events", 10, now=NOW)[0]]
    rows += s.ledger.claim(cid, "main", "bg", "events", 10, now=NOW)[0]
    ids = {r.email: r.delivery_id for r in rows}
    s.ledger.mark_sent([ids["ana@x.example"], ids["eva@x.example"]], "msg-1", now=NOW)
    s.ledger.mark_unknown([ids["ion@x.example"]], "read timeout", now=NOW)
    return cid, ids


def _event(
    kind: EventKind, email: str, key: str, delivery: int | None = None, **extra: object
) -> ProviderEvent:
    return ProviderEvent(kind, email, LATER, key, delivery, **extra)  # type: ignore[arg-type]


def test_each_event_is_stored_once_by_either_key(stores: Stores) -> None:
    cid, ids = _sent(stores)
    ana = ids["ana@x.example"]
    opened = _event(EventKind.OPENED, "ana@x.example", "k-1", ana, provider_event_id="sg-1")
    batch: Batch = [
        (opened, ()),
        (_event(EventKind.OPENED, "ana@x.example", "k-2", ana, provider_event_id="sg-1"), ()),
        (_event(EventKind.OPENED, "ana@x.example", "k-1", ana), ()),
        (_event(EventKind.DELIVERED, "nobody@elsewhere.example", "k-3"), ()),
    ]
    outcome = stores.events.record(batch, suppression_hashes={}, now=LATER)
    assert (outcome.received, outcome.new, outcome.duplicates, outcome.unmatched) == (4, 2, 2, 1)
    assert stores.events.stats(cid).opened == 1


def test_a_confirmation_settles_only_rows_in_doubt(stores: Stores) -> None:
    cid, ids = _sent(stores)
    confirm = (Effect(Action.CONFIRM_SENT),)
    batch: Batch = [
        (_event(EventKind.DELIVERED, "", "d-1", ids["ion@x.example"]), confirm),
        (_event(EventKind.DELIVERED, "", "d-2", ids["ana@x.example"]), confirm),
    ]
    assert stores.events.record(batch, suppression_hashes={}, now=LATER).confirmed == 1
    counts = stores.ledger.counts(cid)
    assert (counts.sent, counts.unknown) == (3, 0)
    stats = stores.events.stats(cid)
    assert (stats.sent, stats.delivered) == (3, 2)


def test_a_member_status_and_suppression_only_ever_get_worse(stores: Stores) -> None:
    _, ids = _sent(stores)
    hashes = {"eva@x.example": "hash-eva"}
    eva = ids["eva@x.example"]

    def record(kind: EventKind, key: str, action: Action) -> int:
        batch: Batch = [(_event(kind, "eva@x.example", key, eva), (Effect(action),))]
        return stores.events.record(batch, suppression_hashes=hashes, now=LATER).suppressed

    assert record(EventKind.COMPLAINED, "c-1", Action.SUPPRESS_COMPLAINED) == 1
    assert record(EventKind.BOUNCED, "b-1", Action.SUPPRESS_BOUNCED) == 0
    found = stores.members.facts("eva@x.example")
    assert found is not None and found[1] == "complained"
    assert stores.members.suppression("hash-eva") == "complained"
    assert stores.members.count(EVENTS, None) == 2  # no mail at all for her now


def test_topic_changes_follow_the_order_events_happened_in(stores: Stores) -> None:
    cid, ids = _sent(stores)
    ana = ids["ana@x.example"]
    group = (
        _event(EventKind.GROUP_UNSUBSCRIBED, "ana@x.example", "g-1", ana),
        (Effect(Action.END_TOPIC),),
    )
    older = ProviderEvent(EventKind.GROUP_RESUBSCRIBED, "ana@x.example", NOW, "g-0", ana)
    outcome = stores.events.record(
        [group, (older, (Effect(Action.RESUME_TOPIC, "events"),))], suppression_hashes={}, now=LATER
    )
    assert outcome.unsubscribed == 1
    found = stores.members.facts("ana@x.example")
    assert found is not None and found[0].topics == {"news"}  # the older resubscribe is ignored
    everything = (
        _event(EventKind.UNSUBSCRIBED, "ana@x.example", "u-1"),
        (Effect(Action.END_ALL_TOPICS),),
    )
    assert stores.events.record([everything], suppression_hashes={}, now=LATER).unsubscribed == 1
    assert stores.events.stats(cid).unsubscribed == 1  # the group event carried a delivery


def test_one_click_ends_the_topic_once_and_counts_against_the_delivery(stores: Stores) -> None:
    cid, _ = _sent(stores)
    ana = member_id(stores.members, "ana@x.example")
    target = stores.events.unsubscribe_target(ana, "events", NOW)
    assert target is not None and (target.language, target.subscribed) == ("en", True)
    assert stores.events.one_click(ana, "events", NOW, now=LATER)
    assert not stores.events.one_click(ana, "events", NOW, now=LATER)
    target = stores.events.unsubscribe_target(ana, "events", NOW)
    assert target is not None and not target.subscribed
    assert stores.events.stats(cid).unsubscribed == 1
    assert stores.events.unsubscribe_target(9999, "events", NOW) is None


def test_an_old_link_cannot_undo_a_later_subscription(stores: Stores) -> None:
    _sent(stores)
    ana = member_id(stores.members, "ana@x.example")
    issued = NOW - dt.timedelta(days=3)
    stores.events.one_click(ana, "events", issued, now=NOW)
    again = (
        _event(EventKind.GROUP_RESUBSCRIBED, "ana@x.example", "r-1"),
        (Effect(Action.RESUME_TOPIC, "events"),),
    )
    stores.events.record([again], suppression_hashes={}, now=LATER)
    assert stores.events.unsubscribe_target(ana, "events", issued) is None


def test_outcomes_per_campaign_language_and_link(stores: Stores) -> None:
    cid, ids = _sent(stores)
    link = "https://clusterhouse.example/programme"
    batch: Batch = [
        (_event(EventKind.CLICKED, "", f"c-{n}", ids["ana@x.example"], payload={"url": link}), ())
        for n in range(2)
    ] + [
        (_event(EventKind.OPENED, "", "o-1", ids["eva@x.example"]), ()),
        (_event(EventKind.COMPLAINED, "", "s-1", ids["eva@x.example"]), ()),
    ]
    stores.events.record(batch, suppression_hashes={}, now=LATER)
    assert stores.events.click_urls(cid) == [(ids["ana@x.example"], link)] * 2
    outcomes = {o.language: o for o in stores.events.language_outcomes(cid)}
    assert (outcomes["en"].handed_over, outcomes["en"].clicked) == (1, 1)
    assert (outcomes["bg"].handed_over, outcomes["bg"].opened) == (1, 1)
    stats = stores.events.stats(cid)
    assert (stats.clicked, stats.complained, stats.acknowledged_complaints) == (1, 1, None)
    stores.events.acknowledge_complaints(cid, 1, now=LATER)
    assert stores.events.stats(cid).acknowledged_complaints == 1
    [(slug, recent)] = stores.events.recent_stats(NOW)
    assert slug == "days-of-clusters-2015" and recent.sent == 2
    assert stores.events.recent_stats(LATER) == []
