"""Segments in SQL and in Python give the same people, and the sample segments give the counts
computed by hand from the sample CSVs. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, update

from newsletter.audiences.domain.segments import Segment, explain_member
from newsletter.audiences.files.member_files import read_member_file
from newsletter.audiences.imports import import_members
from newsletter.config import Settings
from newsletter.db.engine import make_engine
from newsletter.db.tables import members
from tests.deliveries_helper import record_sent
from tests.services import Services

SAMPLES = ("members.csv", "friends.csv")


def sample_rows(project: Path) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for name in SAMPLES:
        with (project / "audiences" / name).open(encoding="utf-8", newline="") as fh:
            rows.extend(csv.DictReader(fh))
    return rows


def load(ctx: Services, path: Path, tag: str | None = None) -> None:
    report = import_members(ctx, read_member_file(path).rows, source=str(path), tag=tag)
    assert not report.rejected, report.rejected


@pytest.fixture
def engine(settings: Settings, ctx: Services) -> Iterator[Engine]:
    built = make_engine(settings.database_url)
    yield built
    built.dispose()


def test_sample_segment_counts_match_the_csvs(ctx: Services, project: Path) -> None:
    for name in SAMPLES:
        load(ctx, project / "audiences" / name)
    rows = sample_rows(project)

    def topics(r: dict[str, str]) -> set[str]:
        return set(r["topics"].split(";"))

    member = [r for r in rows if r["tier"] == "member"]
    friend = [r for r in rows if r["tier"] == "friend"]
    # The figures the helper who generated the CSVs reported, re-derived here in plain Python.
    assert (len(rows), len(member), len(friend)) == (403, 263, 140)
    for topic, split in (("events", (234, 120)), ("calls", (143, 49)), ("news", (218, 120))):
        assert (
            sum(topic in topics(r) for r in member),
            sum(topic in topics(r) for r in friend),
        ) == split
    calls = [r for r in member if "calls" in topics(r)]
    assert (sum(r["country"] == "RS" for r in calls), sum(r["country"] == "BG" for r in calls)) == (
        48,
        36,
    )
    romania = [r for r in friend if r["country"] == "RO"]
    assert (len(romania), sum("events" in topics(r) for r in romania)) == (22, 18)

    expected: dict[str, Any] = {
        "events-audience": lambda r: "events" in topics(r),
        "bg-rs-calls": lambda r: (
            "calls" in topics(r) and r["tier"] == "member" and r["country"] in ("BG", "RS")
        ),
        "cluster-managers-bg-rs-calls": lambda r: (
            "calls" in topics(r)
            and "cluster manager" in r["role"].casefold()
            and r["country"] in ("BG", "RS")
        ),
        "all-news": lambda r: "news" in topics(r),
        "friends-romania": lambda r: (
            "events" in topics(r) and r["tier"] == "friend" and r["country"] == "RO"
        ),
        "dofc-2015-not-registered": lambda r: "events" in topics(r),  # nobody registered yet
    }
    segments = ctx.catalog.segments()
    assert set(segments) == set(expected)
    by_hand = {name: sum(map(test, rows)) for name, test in expected.items()}
    assert by_hand == {
        "events-audience": 354,
        "bg-rs-calls": 84,
        "cluster-managers-bg-rs-calls": 12,
        "all-news": 338,
        "friends-romania": 18,
        "dofc-2015-not-registered": 354,
    }
    assert {name: ctx.members.count(seg, None) for name, seg in segments.items()} == by_hand


EXTRA_SEGMENTS: list[dict[str, Any]] = [
    {"name": "everyone"},
    {"name": "news-no-rule", "topic": "news"},
    {"name": "not-rs", "rule": {"field": "country", "ne": "RS"}},
    {"name": "balkan", "rule": {"field": "country", "not_in": ["RS", "BG", "RO"]}},
    {"name": "cyr-name", "rule": {"field": "last_name", "contains": "ПЕТРОВ"}},
    {"name": "cyr-start", "rule": {"field": "first_name", "startswith": "ан"}},
    {"name": "latin-fold", "rule": {"field": "organization", "contains": "CLUSTER"}},
    {"name": "wildcards", "rule": {"field": "email", "contains": "_%"}},
    {"name": "sr", "rule": {"field": "language", "startswith": "sr-"}},
    {"name": "tagged", "topic": "events", "rule": {"tag": "registered-dofc-2015"}},
    {"name": "got-invitation", "rule": {"received": "days-of-clusters-2015"}},
    {"name": "calls-not-news", "rule": {"all": [{"topic": "calls"}, {"not": {"topic": "news"}}]}},
    {
        "name": "tree",
        "topic": "calls",
        "rule": {
            "any": [
                {"all": [{"field": "tier", "eq": "member"}, {"field": "country", "in": ["BG"]}]},
                {
                    "not": {
                        "any": [
                            {"field": "role", "contains": "manager"},
                            {"tag": "registered-dofc-2015"},
                        ]
                    }
                },
            ]
        },
    },
]


def test_sql_and_pure_evaluator_agree_on_every_member_and_segment(
    ctx: Services, project: Path, engine: Engine, tmp_path: Path
) -> None:
    for name in SAMPLES:
        load(ctx, project / "audiences" / name)
    rows = sample_rows(project)
    emails = [r["email"] for r in rows]
    # Make the data interesting: a registration list, unsubscribes, bounces, sent deliveries.
    registered = tmp_path / "registered.csv"
    registered.write_text("email\n" + "\n".join(emails[::7]) + "\n", encoding="utf-8")
    load(ctx, registered, tag="registered-dofc-2015")
    for email in emails[::5]:
        facts = ctx.members.facts(email)
        assert facts is not None
        ctx.members.unsubscribe(
            int(facts[0].fields["id"]), "events", source="t", now=ctx.clock.now()
        )
    with engine.begin() as conn:
        conn.execute(
            update(members).where(members.c.email.in_(emails[::11])).values(status="bounced")
        )
    record_sent(engine, "days-of-clusters-2015", emails[3::9])

    facts = {email: ctx.members.facts(email) for email in emails}
    segments = [*ctx.catalog.segments().values()]
    segments += [Segment.model_validate(s) for s in EXTRA_SEGMENTS]
    for segment in segments:
        for topic in (None, "calls"):
            in_sql = {r["email"] for r in ctx.members.sample(segment, topic, 100_000)}
            in_python = {
                email
                for email, found in facts.items()
                if found is not None and explain_member(segment, *found, topic)[0]
            }
            assert in_sql == in_python, (segment.name, topic, in_sql ^ in_python)
            assert ctx.members.count(segment, topic) == len(in_sql)
    cyrillic = next(s for s in segments if s.name == "cyr-name")
    assert ctx.members.count(cyrillic, None) > 0  # the Unicode fold is exercised, not vacuous
