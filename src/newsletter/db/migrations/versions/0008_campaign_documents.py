"""campaign documents: campaigns written in the staff web app

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 09:00:00

- ``campaign_documents``: one row per campaign created (or imported) in the web app or with
  ``newsletter campaigns import``. ``document`` is the same mapping a ``campaigns/*.yaml`` file
  holds (validated as ``CampaignDefinition`` before it is stored), so a campaign made in the
  browser and one in a file are the same thing; ``updated_by`` is the staff address or
  ``cli`` that wrote the current version.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "campaign_documents",
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=320), nullable=False),
        sa.PrimaryKeyConstraint("slug", name=op.f("pk_campaign_documents")),
    )


def downgrade() -> None:
    op.drop_table("campaign_documents")
