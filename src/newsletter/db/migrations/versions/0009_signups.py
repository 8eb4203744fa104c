"""signups: friends' subscription requests awaiting double opt-in, and their rate limits

Revision ID: 0009
Revises: 0007
Create Date: 2026-11-23 09:00:00

- ``signup_requests``: one row per request through the public form (``/subscribe``). A row in
  state ``mailed`` holds what the person typed until they confirm (then the member row holds
  it and the row keeps no personal data) or until the link expires (7 days; rows older than
  that are deleted as new ones come in). The address and the client address are kept only as
  keyed hashes, for the per-address and per-client limits against list bombing, which
  therefore survive restarts and hold across worker processes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signup_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("address_hash", sa.String(length=64), nullable=False),
        sa.Column("client_hash", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("first_name", sa.String(length=200), nullable=False),
        sa.Column("last_name", sa.String(length=200), nullable=False),
        sa.Column("organization", sa.String(length=200), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("topics", sa.String(length=400), nullable=False),
        sa.Column("wording_version", sa.String(length=40), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signup_requests")),
    )
    op.create_index(
        op.f("ix_signup_requests_address_hash_requested_at"),
        "signup_requests",
        ["address_hash", "requested_at"],
    )
    op.create_index(
        op.f("ix_signup_requests_client_hash_requested_at"),
        "signup_requests",
        ["client_hash", "requested_at"],
    )
    op.create_index(op.f("ix_signup_requests_requested_at"), "signup_requests", ["requested_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_signup_requests_requested_at"), table_name="signup_requests")
    op.drop_index(op.f("ix_signup_requests_client_hash_requested_at"), table_name="signup_requests")
    op.drop_index(
        op.f("ix_signup_requests_address_hash_requested_at"), table_name="signup_requests"
    )
    op.drop_table("signup_requests")
