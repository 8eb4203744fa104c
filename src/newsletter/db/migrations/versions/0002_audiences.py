"""audiences: consent wording on members, segment and per-person indexes, append-only consent

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 03:20:00

- ``members.consent_wording``: version id of the consent text the person saw (GDPR Art. 7(1)).
- ``ix_members_country_tier_status``: segment counts over a million members stay well under
  half a second on SQLite (benchmarks/audiences.py). It replaces ``ix_members_country`` (its
  prefix) and ``ix_members_tier`` (two values, never selective): fewer indexes, faster imports.
- ``ix_deliveries_member_id_status``: ``received:`` segment rules, ``members show`` and the
  ``ON DELETE CASCADE`` of an erasure look deliveries up by member.
- A trigger refusing UPDATE on ``consent_events`` (GDPR Art. 7(1) record).
  DELETE stays allowed: erasure (Art. 17) removes the whole person.

Hand-written; ``batch_alter_table`` keeps it working on SQLite, which cannot ALTER most things.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_MESSAGE = "consent_events is append-only (GDPR Art. 7(1)): insert a new event instead"


def upgrade() -> None:
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("consent_wording", sa.String(length=40), nullable=False, server_default="")
        )
        batch_op.create_index(
            batch_op.f("ix_members_country_tier_status"),
            ["country", "tier", "status"],
            unique=False,
        )
        batch_op.drop_index(batch_op.f("ix_members_country"))
        batch_op.drop_index(batch_op.f("ix_members_tier"))
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deliveries_member_id_status"), ["member_id", "status"], unique=False
        )

    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION consent_events_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{_MESSAGE}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER consent_events_no_update BEFORE UPDATE ON consent_events "
            "FOR EACH ROW EXECUTE FUNCTION consent_events_append_only()"
        )
    else:
        op.execute(
            "CREATE TRIGGER consent_events_no_update BEFORE UPDATE ON consent_events "
            f"BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS consent_events_no_update ON consent_events")
        op.execute("DROP FUNCTION IF EXISTS consent_events_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS consent_events_no_update")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deliveries_member_id_status"))
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_members_tier"), ["tier"], unique=False)
        batch_op.create_index(batch_op.f("ix_members_country"), ["country"], unique=False)
        batch_op.drop_index(batch_op.f("ix_members_country_tier_status"))
    # Not through batch mode: on SQLite that copies and drops ``members``, and with foreign
    # keys on, dropping it cascades to every subscription. SQLite >= 3.35 drops a column itself.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE members DROP COLUMN consent_wording")
    else:
        op.drop_column("members", "consent_wording")
