"""Migrations build exactly the schema ``db/tables/`` describes, and 0002 goes down and up again.
Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, func, insert, inspect, select
from sqlalchemy.exc import IntegrityError

from newsletter.db.engine import _alembic_config, downgrade, make_engine, upgrade
from newsletter.db.tables import campaigns, deliveries, events, members, metadata, subscriptions

# fmt: off
MEMBER = {"email": "a@x.example", "email_key": "a@x.example", "first_name": "", "last_name": "",
          "organization": "", "role": "", "country": "RS", "language": "en", "tier": "member",
          "timezone": "", "consent_source": "", "consent_wording": "v1", "status": "active"}
# fmt: on


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    built = make_engine(database_url)
    yield built
    built.dispose()


def differences(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    # SQLite reports server defaults it cannot compare; they are not schema drift.
    return [d for d in diffs if not (isinstance(d, list) and d and d[0][0] == "modify_default")]


def test_upgraded_schema_is_what_tables_py_says(engine: Engine) -> None:
    upgrade(engine)
    assert differences(engine) == []
    names = {i["name"] for i in inspect(engine).get_indexes("members")}
    assert "ix_members_country_tier_status" in names
    deliveries = inspect(engine)
    assert "ix_deliveries_pending_claim" in {
        i["name"] for i in deliveries.get_indexes("deliveries")
    }
    # A person's deliveries are found by the unique key that leads with the member (0018).
    assert {
        "name": "uq_deliveries_member_id_campaign_id_step",
        "column_names": ["member_id", "campaign_id", "step"],
    }.items() <= next(u for u in deliveries.get_unique_constraints("deliveries")).items()
    assert "consent_wording" in {c["name"] for c in inspect(engine).get_columns("members")}


def test_0002_downgrades_and_upgrades_again_keeping_data(engine: Engine) -> None:
    upgrade(engine)
    at = dt.datetime(2015, 9, 1, tzinfo=dt.UTC)
    with engine.begin() as conn:
        conn.execute(insert(members).values(id=1, **MEMBER, created_at=at, updated_at=at))
        conn.execute(
            insert(subscriptions).values(
                member_id=1, topic="calls", status="subscribed", updated_at=at
            )
        )
    downgrade(engine, "0001")
    assert "consent_wording" not in {c["name"] for c in inspect(engine).get_columns("members")}
    with engine.connect() as conn:  # nothing cascaded away with the column
        assert conn.execute(select(func.count()).select_from(subscriptions)).scalar_one() == 1
    upgrade(engine)
    assert differences(engine) == []


def test_0018_rebuilds_the_ledger_keeping_its_rows_and_their_events(engine: Engine) -> None:
    # On SQLite 0018 rebuilds `deliveries`; with foreign keys on, dropping the old table
    # cascaded into `events` and emptied it.
    at = dt.datetime(2015, 9, 1, 7, tzinfo=dt.UTC)
    upgrade(engine, "0017")
    row = {"campaign_id": 1, "step": "main", "member_id": 1, "language": "en", "attempts": 1,
           "created_at": at, "updated_at": at}  # fmt: skip
    with engine.begin() as conn:
        conn.execute(insert(members).values(id=1, **MEMBER, created_at=at, updated_at=at))
        conn.execute(
            insert(campaigns).values(
                id=1, slug="x", kind="invitation", title="X", topic="events", state="sent",
                definition={}, created_at=at, updated_at=at,
            )
        )  # fmt: skip
        conn.execute(insert(deliveries).values(id=7, status="sent", **row))
        conn.execute(
            insert(events).values(
                delivery_id=7, member_id=1, event="delivered", occurred_at=at, received_at=at,
                dedupe_key="k", payload={},
            )
        )  # fmt: skip
    for step in ("up", "down", "up"):
        upgrade(engine) if step == "up" else downgrade(engine, "0017")
        with engine.connect() as conn:
            kept = [conn.execute(select(func.count()).select_from(t)).scalar_one()
                    for t in (deliveries, events)]  # fmt: skip
        assert kept == [1, 1], step
    with engine.begin() as conn, pytest.raises(IntegrityError):  # still one row per person/step
        conn.execute(insert(deliveries).values(status="pending", **row))


def test_the_migrations_have_one_head() -> None:
    # Two heads would let a new migration silently skip a sibling branch's tables.
    from alembic.script import ScriptDirectory

    assert len(ScriptDirectory.from_config(_alembic_config()).get_heads()) == 1
