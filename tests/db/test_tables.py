"""``newsletter.db.tables`` is one schema, though written in one module per capability: every
table is on the one ``metadata`` Alembic compares with, and every one is importable from the
package under its own name (stores, migrations and tests import nothing else)."""

from __future__ import annotations

import importlib
import pkgutil

from sqlalchemy import Table

import newsletter.db.tables as tables
from newsletter.audiences.domain.members import PROFILE_FIELDS
from newsletter.db.tables import metadata


def _capability_modules() -> list[str]:
    return [
        f"newsletter.db.tables.{info.name}"
        for info in pkgutil.iter_modules(tables.__path__)
        if info.name != "schema"
    ]


def test_every_table_of_every_module_is_on_the_one_metadata_and_exported() -> None:
    defined: dict[str, Table] = {}
    for name in _capability_modules():
        module = importlib.import_module(name)
        for attribute, value in vars(module).items():
            if isinstance(value, Table):
                assert value.metadata is metadata, f"{name}.{attribute} has its own MetaData"
                assert attribute == value.name, f"{name}.{attribute} names table {value.name}"
                defined[attribute] = value
    assert set(defined) == set(metadata.tables)
    for attribute, table in defined.items():
        assert getattr(tables, attribute) is table, f"newsletter.db.tables lacks {attribute}"
        assert attribute in tables.__all__


def test_foreign_keys_across_modules_resolve() -> None:
    # deliveries (delivery.py) -> members (audiences.py); staff_sessions -> staff_users.
    referred = {
        (fk.parent.table.name, fk.column.table.name)
        for table in metadata.tables.values()
        for fk in table.foreign_keys
    }
    assert ("deliveries", "members") in referred
    assert ("deliveries", "campaigns") in referred
    assert ("events", "deliveries") in referred
    assert ("staff_sessions", "staff_users") in referred
    assert len(metadata.sorted_tables) == len(metadata.tables)


def test_the_member_profile_is_columns_of_members() -> None:
    # Staff edits and import updates write these by name (audiences/domain/members.py).
    assert set(PROFILE_FIELDS) <= set(tables.members.c.keys())
