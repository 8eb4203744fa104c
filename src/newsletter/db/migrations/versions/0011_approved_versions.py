"""approved versions: an approval keeps the version it approved

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 15:40:00

- ``campaign_approvals.version``: the approved version itself (campaign document, segment rule,
  sender; see ``newsletter.authoring.domain.approvals``), so a reviewer sees what changed since the
last
  approval. An edit no longer deletes the approval row: the fingerprint no longer matching is
  what withdraws it, and the old version stays to compare against.
- ``campaign_approvals.note``: how the approval was given when not by the web app's button,
  e.g. an operator's ``campaigns send --without-approval`` (who, from where).

Approvals recorded before this revision have no version; their fingerprints were computed
over the campaign document alone, so they no longer match and such campaigns need approving
once more (the safe direction: nothing goes out on an approval of unknown content).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("campaign_approvals") as batch:
        batch.add_column(sa.Column("version", sa.JSON(), nullable=True))
        batch.add_column(
            sa.Column("note", sa.String(length=300), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("campaign_approvals") as batch:
        batch.drop_column("note")
        batch.drop_column("version")
