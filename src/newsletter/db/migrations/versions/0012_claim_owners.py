"""claim owners: a claimed delivery row names its sender and whether its request started

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 16:40:00

- ``deliveries.claimed_by``: the sender holding a ``sending`` row (host, process id and start
  time, and on PostgreSQL its database session; see ``newsletter.delivery.domain.claims``), so
  another sender can release a provably dead owner's rows at once instead of waiting for the
  lease to run out.
- ``deliveries.request_started_at``: committed just before the row's batch goes to the
  transport. After a crash only rows whose request started become ``unknown``; claimed rows
  whose request never started go back to ``pending``.

Rows left ``sending`` before this revision have no owner and no start record: they keep the
old rule (``unknown`` once their lease ran out).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("request_started_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("request_started_at")
        batch.drop_column("claimed_by")
