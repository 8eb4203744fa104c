"""What staff choose for a whole file, on SQLite and PostgreSQL: the update policy (never /
empty / overwrite, every change old -> new), the consent statement recorded per person,
topics for new people, and opted-out people becoming suppressions."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from newsletter.audiences.data_rights import person_data, suppression_of
from newsletter.audiences.imports import FileConsent, ImportChoices, import_members
from newsletter.db.tables import consent_events, members
from newsletter.errors import InputError
from tests.services import Services

HELD = {
    "email": "branislav@klaster-nis.example",
    "first_name": "Бранислав",
    "last_name": "Ристић",
    "organization": "",
    "language": "sr-Cyrl",
    "topics": "news",
    "consent_source": "membership-agreement",
}
LATIN = {
    "email": "Branislav@klaster-nis.example",
    "first_name": "Branislav",
    "last_name": "Ristić",
    "organization": "Klaster Niš",
}
CONSENT = FileConsent("Days of Clusters 2015 registration", dt.date(2015, 3, 2), "ana@ch.example")


@pytest.fixture
def held(ctx: Services) -> Services:
    assert import_members(ctx, [(2, HELD)], source="ours").imported == 1
    return ctx


@pytest.mark.parametrize(
    ("policy", "changes", "kept"),
    [
        ("never", [], ["first_name", "last_name", "organization"]),
        ("empty", ["organization: '' → 'Klaster Niš'"], ["first_name", "last_name"]),
        (
            "overwrite",
            [
                "first_name: 'Бранислав' → 'Branislav', last_name: 'Ристић' → 'Ristić', "
                "organization: '' → 'Klaster Niš'"
            ],
            [],
        ),
    ],
)
def test_update_policy(held: Services, policy: str, changes: list[str], kept: list[str]) -> None:
    choices = ImportChoices(policy=policy)  # type: ignore[arg-type]
    report = import_members(held, [(2, LATIN)], source="f.csv", choices=choices)
    assert [r.reason for r in report.rows if r.outcome == "updated"] == changes
    assert [r.reason.split(":")[0] for r in report.kept] == kept
    if "first_name" in kept:
        assert "first_name: kept 'Бранислав' (the file has 'Branislav')" in [
            r.reason for r in report.kept
        ]
    profile = person_data(held, HELD["email"])
    assert profile is not None
    stored = profile.as_json()["profile"]
    assert stored["first_name"] == ("Branislav" if policy == "overwrite" else "Бранислав")
    assert stored["organization"] == ("" if policy == "never" else "Klaster Niš")


def test_file_consent_and_topics_for_new_people(held: Services) -> None:
    rows = [
        (2, {"email": "new@sofia-cluster.example", "first_name": "Елена"}),
        (3, {"email": "own@sofia-cluster.example", "topics": "calls",
             "consent_source": "web form", "consent_date": "2020-01-02"}),
        (4, dict(LATIN)),
    ]  # fmt: skip
    choices = ImportChoices(CONSENT, frozenset({"events", "news"}), "never")
    report = import_members(held, rows, source="f.csv", choices=choices)
    assert (report.imported, report.unchanged, report.idle) == (2, 1, 0)
    engine = held.ledger.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        found = conn.execute(
            select(members.c.email, consent_events.c.topic, consent_events.c.source,
                   consent_events.c.at)
            .join(members, members.c.id == consent_events.c.member_id)
            .order_by(members.c.email, consent_events.c.topic)
        ).all()  # fmt: skip
    by = "Days of Clusters 2015 registration (confirmed by ana@ch.example)"
    assert [(e, t, s, a.date()) for e, t, s, a in found] == [
        (HELD["email"], "news", "membership-agreement", found[0].at.date()),
        ("new@sofia-cluster.example", "events", by, dt.date(2015, 3, 2)),
        ("new@sofia-cluster.example", "news", by, dt.date(2015, 3, 2)),
        # Its own consent and topics: the file's topics are for rows that name none.
        ("own@sofia-cluster.example", "calls", "web form", dt.date(2020, 1, 2)),
    ]


def test_without_topics_new_people_are_warned_about(held: Services) -> None:
    report = import_members(
        held, [(2, {"email": "idle@x.example"})], source="f.csv", choices=ImportChoices(CONSENT)
    )
    assert [(w.row, w.field, w.reason) for w in report.no_topics] == [
        (2, "topics", "subscribed to no topic: will receive nothing until topics are chosen")
    ]
    assert report.summary().endswith("; 1 new without any topic")
    with pytest.raises(InputError, match="need the consent statement"):
        import_members(held, [], source="f", choices=ImportChoices(topics=frozenset({"news"})))
    with pytest.raises(InputError, match="must confirm"):
        FileConsent("form", dt.date(2020, 1, 1), " ")


def test_opted_out_people_become_suppressions_never_subscriptions(held: Services) -> None:
    rows = [
        (2, {"email": HELD["email"], "standing": "unsubscribed"}),
        (3, {"email": "gone@x.example", "cleaned_at": "2023-01-01 10:00:00"}),
        (4, {"email": "fine@x.example", "standing": "enabled"}),
    ]
    choices = ImportChoices(CONSENT, frozenset({"news"}))
    dry = import_members(held, rows, source="f", dry_run=True, choices=choices)
    assert [(r.row, r.outcome) for r in dry.rows] == [
        (2, "suppressed"),
        (3, "suppressed"),
        (4, "imported"),
    ]
    assert suppression_of(held, "gone@x.example") is None  # a dry run writes nothing
    report = import_members(held, rows, source="f", choices=choices)
    assert report.opted_out == 2 and report.imported == 1
    assert suppression_of(held, HELD["email"]) == "unsubscribed"
    assert suppression_of(held, "gone@x.example") == "bounced"
    assert person_data(held, "gone@x.example") is None
    again = import_members(held, rows, source="f", choices=choices)
    assert [(r.row, r.outcome) for r in again.rows] == [
        (2, "suppressed"),
        (3, "suppressed"),
        (4, "unchanged"),
    ]
