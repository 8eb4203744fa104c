"""import presets: the column mapping last used for each source system

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 19:20:00

- ``import_presets``: one row per source system (``mailchimp``, ``listmonk``, ``generic``)
  with the column -> field mapping staff last confirmed on the import page, as JSON, and who
  saved it when. The next file from that system opens with this mapping.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_presets",
        sa.Column("system", sa.String(20), primary_key=True),
        sa.Column("mapping", sa.Text(), nullable=False),
        sa.Column("saved_by", sa.String(320), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("import_presets")
