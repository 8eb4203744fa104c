"""Migrations build exactly the schema ``db/tables/`` describes, and 0002 goes down and up again.
Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, func, insert, inspect, select

from newsletter.db.engine import _alembic_config, make_engine, upgrade
from newsletter.db.tables import members, metadata, subscriptions


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
    assert "ix_deliveries_member_id_status" in {
        i["name"] for i in inspect(engine).get_indexes("deliveries")
    }
    assert "consent_wording" in {c["name"] for c in inspect(engine).get_columns("members")}


def test_0002_downgrades_and_upgrades_again_keeping_data(engine: Engine) -> None:
    upgrade(engine)
    at = dt.datetime(2015, 9, 1, tzinfo=dt.UTC)
    with engine.begin() as conn:
        conn.execute(
            insert(members).values(
                id=1,
                email="a@x.example",
                email_key="a@x.example",
                first_name="",
                last_name="",
                organization="",
                role="",
                country="RS",
                language="en",
                tier="member",
                timezone="",
                consent_source="",
                consent_wording="v1",
                status="active",
                created_at=at,
                updated_at=at,
            )
        )
        conn.execute(
            insert(subscriptions).values(
                member_id=1, topic="calls", status="subscribed", updated_at=at
            )
        )
    cfg = _alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0001")
    assert "consent_wording" not in {c["name"] for c in inspect(engine).get_columns("members")}
    with engine.connect() as conn:  # nothing cascaded away with the column
        assert conn.execute(select(func.count()).select_from(subscriptions)).scalar_one() == 1
    upgrade(engine)
    assert differences(engine) == []


def test_the_migrations_have_one_head() -> None:
    # Two heads would let a new migration silently skip a sibling branch's tables.
    from alembic.script import ScriptDirectory

    assert len(ScriptDirectory.from_config(_alembic_config()).get_heads()) == 1
