"""pending claims: a partial index that serves "the next N pending rows of one variant"

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 19:10:00

A sender claims the next batch of a step's language variant in id order. The index of 0003,
``(campaign_id, step, status, language)``, finds those rows but not in id order on PostgreSQL,
so every claim sorted the whole remaining backlog of the variant (an external merge sort at
50,000 rows): a send cost about N^2/1000 row visits. ``ix_deliveries_pending_claim`` holds only
``pending`` rows, keyed ``(campaign_id, step, language, id)``: a claim reads the first N
entries after the sender's cursor (the last id it claimed), so the first batch and the last
cost the same (on PostgreSQL claimed rows stay in the index, dead, until vacuum; the cursor
starts past them). SQLite ends every index entry with the rowid, here the id, so there the
older index already served the id order and its planner may pick either. Partial indexes
exist on both databases (PostgreSQL ``CREATE INDEX ... WHERE``; SQLite since 3.8.0,
https://sqlite.org/partialindex.html).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

NAME = "ix_deliveries_pending_claim"
PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    op.create_index(
        NAME,
        "deliveries",
        ["campaign_id", "step", "language", "id"],
        postgresql_where=PENDING,
        sqlite_where=PENDING,
    )


def downgrade() -> None:
    op.drop_index(NAME, table_name="deliveries")
