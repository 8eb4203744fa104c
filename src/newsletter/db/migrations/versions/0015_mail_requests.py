"""mail requests and disabled staff accounts

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 19:30:00

- ``mail_requests``: each request that may send an email on someone's behalf - a member's
  "email me a fresh link" from an expired link's page, a staff "forgot my password" - with a
  keyed hash of its subject (member, address) and of the client address, whether mail went out
  and when, so the per-subject and per-client limits are counted in the database, in one
  serialised step, across processes.
- ``staff_users.disabled_at``: an approver disabled the account in the browser; it cannot sign
  in and its sessions ended. Enabling clears it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mail_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("subject_hash", sa.String(length=64), nullable=False),
        sa.Column("client_hash", sa.String(length=64), nullable=False),
        sa.Column("mailed", sa.Boolean(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_requests")),
    )
    for column in ("subject_hash", "client_hash", "at"):
        op.create_index(op.f(f"ix_mail_requests_{column}"), "mail_requests", [column])
    with op.batch_alter_table("staff_users") as batch:
        batch.add_column(sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("staff_users") as batch:
        batch.drop_column("disabled_at")
    op.drop_table("mail_requests")
