"""What the contract tests share: the same stores, in memory or in SQL, behind the ports, and
members written through the port alone (``MemberStore.importing``), so a contract test never
reaches behind either implementation.

A contract test module parametrises ``database_url`` with :data:`tests.conftest.CONTRACT_BACKENDS`
(indirect) and takes the :func:`stores` fixture.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine

from newsletter.audiences.domain.members import MemberRecord
from newsletter.audiences.ports.members import Incoming, MemberStore
from newsletter.audiences.sql.members import SqlMemberStore
from newsletter.core.addresses import normalize_address
from newsletter.db.engine import make_engine, upgrade
from newsletter.delivery.ports import EventStore, Ledger
from newsletter.delivery.sql.event_store import SqlEventStore
from newsletter.delivery.sql.ledger import SqlLedger
from newsletter.scheduling.ports import ScheduleStore
from newsletter.scheduling.sql.store import SqlScheduleStore
from tests.fakes.events import MemoryEventStore
from tests.fakes.ledger import MemoryLedger
from tests.fakes.schedule_audience import LedgerScheduleStore

NOW = dt.datetime(2015, 9, 1, 8, 0, tzinfo=dt.UTC)


@dataclass
class Stores:
    backend: str
    members: MemberStore
    ledger: Ledger
    events: EventStore
    schedule: ScheduleStore


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite database with every migration applied, copied for each contract test: the
    migrations cost more than a contract test itself."""
    path = tmp_path_factory.mktemp("contract") / "migrated.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as conn:  # everything into the main file before it is copied
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture
def stores(database_url: str, request: pytest.FixtureRequest) -> Iterator[Stores]:
    if database_url == "memory":
        ledger = MemoryLedger()
        schedule = LedgerScheduleStore(ledger)
        yield Stores("memory", ledger.members, ledger, MemoryEventStore(ledger), schedule)
        return
    with sql_engine(database_url, request) as engine:
        sql_ledger = SqlLedger(engine)
        try:
            yield Stores(
                engine.dialect.name,
                SqlMemberStore(engine),
                sql_ledger,
                SqlEventStore(engine),
                SqlScheduleStore(engine),
            )
        finally:
            sql_ledger.close()


@contextmanager
def sql_engine(database_url: str, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A migrated database for a contract test's SQL side: on SQLite a copy of
    :func:`migrated_sqlite`, on PostgreSQL the fresh database migrated."""
    if database_url.startswith("sqlite:///"):
        target = Path(database_url.removeprefix("sqlite:///"))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(request.getfixturevalue("migrated_sqlite"), target)
    engine = make_engine(database_url)
    try:
        upgrade(engine)  # nothing left to apply on the copy; the whole chain on PostgreSQL
        yield engine
    finally:
        engine.dispose()


def person(
    email: str,
    *,
    language: str = "en",
    topics: frozenset[str] = frozenset({"events"}),
    country: str = "RS",
    first_name: str = "",
    tier: str = "member",
    consent_source: str = "membership-agreement",
    timezone: str = "",
) -> Incoming:
    """One validated row as an import hands it to the store, every column given."""
    stored, key = normalize_address(email)
    record = MemberRecord(
        stored,
        key,
        first_name=first_name or stored.split("@")[0].capitalize(),
        country=country,
        language=language,
        tier=tier,  # type: ignore[arg-type]
        topics=topics,
        consent_source=consent_source,
        timezone=timezone,
    )
    given = frozenset({"email", "first_name", "country", "language", "tier", "topics", "timezone"})
    return Incoming(record, given)


def add(members: MemberStore, *people: Incoming, tag: str | None = None) -> None:
    with members.importing(tag=tag, now=NOW, dry_run=False) as session:
        session.upsert(list(people))


def member_id(members: MemberStore, email: str) -> int:
    found = members.facts(email)
    assert found is not None, email
    return int(found[0].fields["id"])
