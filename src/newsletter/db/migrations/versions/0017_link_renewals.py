"""link renewals: "email me a fresh link" requests from members whose link expired

Revision ID: 0017
Revises: 0012
Create Date: 2026-12-07 19:30:00

Unsubscribe and preference links now expire after 90 days; the page of an expired link offers
to email the member a fresh one. ``link_renewals`` records each request (a keyed hash of the
member id and of the client address, whether mail went out, when) so the per-member and
per-client limits are counted in the database, in one serialised step, across processes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "link_renewals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_hash", sa.String(length=64), nullable=False),
        sa.Column("client_hash", sa.String(length=64), nullable=False),
        sa.Column("mailed", sa.Boolean(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_renewals")),
    )
    for column in ("member_hash", "client_hash", "at"):
        op.create_index(op.f(f"ix_link_renewals_{column}"), "link_renewals", [column])


def downgrade() -> None:
    op.drop_table("link_renewals")
