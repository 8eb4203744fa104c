"""Calendar revisions in SQL: same fingerprint, same revision; a change, the next SEQUENCE.
Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from newsletter.content.rendering.ics import Revision
from newsletter.content.sql.ics_revisions import SqlCalendarRevisions
from newsletter.db.engine import make_engine, upgrade

UID = "days-of-clusters-2015-event@clusterhouse.example"
T0 = dt.datetime(2015, 9, 1, 8, 0, 0, 123456, tzinfo=dt.UTC)


@pytest.fixture
def store(database_url: str) -> Iterator[SqlCalendarRevisions]:
    engine: Engine = make_engine(database_url)
    upgrade(engine)
    yield SqlCalendarRevisions(engine)
    engine.dispose()


def test_first_revision_is_sequence_zero_stamped_to_the_second(
    store: SqlCalendarRevisions,
) -> None:
    first = store.revision(UID, "aaa", now=T0)
    assert first == Revision(0, T0.replace(microsecond=0))


def test_the_same_fingerprint_keeps_sequence_and_stamp(store: SqlCalendarRevisions) -> None:
    first = store.revision(UID, "aaa", now=T0)
    later = store.revision(UID, "aaa", now=T0 + dt.timedelta(days=3))
    assert later == first
    assert later.stamp.tzinfo is not None and later.stamp.utcoffset() == dt.timedelta(0)


def test_a_changed_fingerprint_raises_the_sequence(store: SqlCalendarRevisions) -> None:
    store.revision(UID, "aaa", now=T0)
    moved_at = T0 + dt.timedelta(days=3)
    moved = store.revision(UID, "bbb", now=moved_at)
    assert moved == Revision(1, moved_at.replace(microsecond=0))
    # Moving it back is another revision, never an old sequence again.
    assert store.revision(UID, "aaa", now=moved_at + dt.timedelta(hours=1)).sequence == 2
    assert store.revision("other@clusterhouse.example", "aaa", now=T0).sequence == 0
