"""content: calendar revisions (SEQUENCE and DTSTAMP per .ics UID)

Revision ID: 0005
Revises: 0001
Create Date: 2026-11-22 06:00:00

- ``calendar_revisions``: one row per calendar UID (``<campaign>-<event>@<domain>``) with the
  fingerprint of its significant properties (start, end, place), the SEQUENCE those properties
  went out with and the DTSTAMP of that sequence. A changed fingerprint raises the SEQUENCE, so
  calendars replace the old event (RFC 5545 §3.8.7.4); an unchanged one keeps both, so a
  preview's ``.ics`` is byte for byte the sent one.

Branches from 0001 beside 0002-0004; ``upgrade heads`` applies all of them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_revisions",
        sa.Column("uid", sa.String(length=320), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("stamp", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("uid", name=op.f("pk_calendar_revisions")),
    )


def downgrade() -> None:
    op.drop_table("calendar_revisions")
