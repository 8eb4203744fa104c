"""The member store's contract, run on the in-memory fake (tests/fakes/members.py) and on the
SQL store on SQLite and PostgreSQL: imports, segments, unsubscribes, suppressions, erasure and
exports through the ``MemberStore`` port alone."""

from __future__ import annotations

import dataclasses

import pytest

from newsletter.audiences.domain.segments import AllRule, FieldRule, Segment, TagRule
from newsletter.audiences.domain.sources import UpdatePolicy
from newsletter.audiences.ports.members import Incoming, UpsertOutcome
from tests.conftest import CONTRACT_BACKENDS
from tests.fakes.contract import NOW, Stores, add, member_id, person

pytestmark = pytest.mark.parametrize("database_url", CONTRACT_BACKENDS, indirect=True)

EVENTS = Segment(name="events", topic="events", rule=None)


def _again(s: Stores, rows: list[Incoming], policy: UpdatePolicy = "overwrite") -> UpsertOutcome:
    with s.members.importing(tag="autumn", now=NOW, dry_run=False, policy=policy) as session:
        return session.upsert(rows)


def _renamed(row: Incoming, **changes: str) -> Incoming:
    return Incoming(dataclasses.replace(row.record, **changes), row.given)


def test_an_import_inserts_updates_and_reports_by_row(stores: Stores) -> None:
    ana = person("ana@x.example", first_name="Ana", language="sr-Cyrl")
    add(stores.members, ana, person("ion@x.example"))
    outcome = _again(
        stores,
        [
            _renamed(ana, first_name="Анa", language="sr-Latn"),
            person("ion@x.example"),
            person("new@x.example", topics=frozenset({"events", "news"})),
        ],
    )
    assert outcome.imported == [2]
    assert outcome.updated[0] == (
        "first_name: 'Ana' → 'Анa'",
        "language: 'sr-Cyrl' → 'sr-Latn'",
        "tag +autumn",
    )
    assert outcome.updated[1] == ("tag +autumn",) and outcome.unchanged == []
    assert _again(stores, [person("ion@x.example")]).unchanged == [0]
    facts = stores.members.facts("ANA@x.example")
    assert facts is not None and facts[1] == "active"
    assert facts[0].fields["first_name"] == "Анa" and facts[0].tags == {"autumn"}
    assert stores.members.language_counts(EVENTS, None) == {"sr-Latn": 1, "en": 2}


def test_the_update_policy_keeps_held_values_and_says_which(stores: Stores) -> None:
    held = person("ana@x.example", first_name="Ана", country="")
    add(stores.members, held)
    file_row = _renamed(held, first_name="Ana", country="BG")
    never = _again(stores, [file_row], policy="never")
    assert never.kept[0] == (
        "first_name: kept 'Ана' (the file has 'Ana')",
        "country: kept '' (the file has 'BG')",
    )
    empty = _again(stores, [file_row], policy="empty")
    assert empty.updated[0] == ("country: '' → 'BG'",)
    assert empty.kept[0] == ("first_name: kept 'Ана' (the file has 'Ana')",)
    # A column the file did not have never erases a value.
    blank = Incoming(dataclasses.replace(held.record, first_name=""), frozenset({"email"}))
    assert _again(stores, [blank]).unchanged == [0]
    found = stores.members.facts("ana@x.example")
    assert found is not None and found[0].fields["first_name"] == "Ана"


def test_an_unsubscribe_stays_through_later_imports(stores: Stores) -> None:
    add(stores.members, person("ana@x.example"))
    ana = member_id(stores.members, "ana@x.example")
    assert stores.members.unsubscribe(ana, "events", source="one-click", now=NOW)
    outcome = _again(stores, [person("ana@x.example", topics=frozenset({"events", "news"}))])
    assert outcome.updated[0] == ("topic +news", "tag +autumn")
    assert outcome.notes[0] == ("stays unsubscribed from events",)
    assert stores.members.count(EVENTS, None) == 0
    assert stores.members.count(EVENTS, "news") == 1


def test_a_dry_run_or_a_failed_import_leaves_nothing(stores: Stores) -> None:
    with stores.members.importing(tag=None, now=NOW, dry_run=True) as session:
        assert session.upsert([person("dry@x.example")]).imported == [0]
        session.suppress({"hash-1": "bounced"})
    with (
        pytest.raises(RuntimeError, match="disk gone"),
        stores.members.importing(tag=None, now=NOW, dry_run=False) as session,
    ):
        session.upsert([person("half@x.example")])
        raise RuntimeError("disk gone")
    assert stores.members.facts("dry@x.example") is None
    assert stores.members.facts("half@x.example") is None
    assert stores.members.suppression("hash-1") is None


def test_new_people_without_topics_get_the_files_only_with_consent(stores: Stores) -> None:
    rows = [
        person("with@x.example", topics=frozenset()),
        person("without@x.example", topics=frozenset(), consent_source=""),
    ]
    topics = frozenset({"news"})
    with stores.members.importing(tag=None, now=NOW, dry_run=False, topics=topics) as session:
        outcome = session.upsert(rows)
    assert outcome.imported == [0, 1] and outcome.idle == [1]
    news = Segment(name="news", topic="news")
    assert [m["email"] for m in stores.members.sample(news, None, 10)] == ["with@x.example"]


def test_a_suppression_only_ever_gets_worse(stores: Stores) -> None:
    for reason in ("unsubscribed", "complained", "bounced", "unsubscribed"):
        with stores.members.importing(tag=None, now=NOW, dry_run=False) as session:
            session.suppress({"h": reason})
    assert stores.members.suppression("h") == "complained"
    with stores.members.importing(tag=None, now=NOW, dry_run=True) as session:
        assert session.suppressed(["h", "other"]) == {"h": "complained"}


def test_segments_count_sample_and_export_alike(stores: Stores) -> None:
    add(
        stores.members,
        person("a@x.example", first_name="Ђорђе", country="RS"),
        person("b@x.example", first_name="Borislav", country="BG", tier="friend"),
        person("c@x.example", first_name="Ðorđe", country="RS", topics=frozenset({"news"})),
    )
    add(stores.members, person("b@x.example", country="BG", tier="friend"), tag="vip")
    named = FieldRule(field="first_name", op="contains", value="ђорђе")
    assert stores.members.count(Segment(name="n", rule=named), None) == 1
    vip = Segment(name="v", topic="events", rule=AllRule(all=[TagRule(tag="vip")]))
    assert [m["email"] for m in stores.members.sample(vip, None, 5)] == ["b@x.example"]
    rows = list(stores.members.export_rows(None))
    assert [(r["email"], r["topics"], r["status"]) for r in rows] == [
        ("a@x.example", "events", "active"),
        ("b@x.example", "events", "active"),
        ("c@x.example", "news", "active"),
    ]
    assert [r["email"] for r in stores.members.export_rows(EVENTS)] == [
        "a@x.example",
        "b@x.example",
    ]


def test_erasure_deletes_the_person_and_keeps_only_the_hash(stores: Stores) -> None:
    add(stores.members, person("ana@x.example"))
    held = stores.members.person("ana@x.example", "hash-ana")
    assert held is not None and held.profile["email"] == "ana@x.example"
    assert [s.topic for s in held.subscriptions] == ["events"]
    assert [c.action for c in held.consent] == ["subscribed"]
    assert stores.members.erase("ana@x.example", "hash-ana", now=NOW)
    assert stores.members.person("ana@x.example", "hash-ana") is None
    assert stores.members.suppression("hash-ana") == "erased"
    assert not stores.members.erase("ana@x.example", "hash-ana", now=NOW)


def test_import_presets_are_kept_per_system(stores: Stores) -> None:
    assert stores.members.import_preset("mailchimp") == {}
    stores.members.save_import_preset("mailchimp", {"Email Address": "email"}, by="e", now=NOW)
    stores.members.save_import_preset("mailchimp", {"First Name": "first_name"}, by="e", now=NOW)
    assert stores.members.import_preset("mailchimp") == {"First Name": "first_name"}
