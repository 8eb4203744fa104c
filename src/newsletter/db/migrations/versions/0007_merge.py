"""merge the feature branches 0002-0006 into one head

Revision ID: 0007
Revises: 0002, 0003, 0004, 0005, 0006
Create Date: 2026-11-22 07:40:00

0002-0006 were written side by side and all branch from 0001; this revision joins them so every
later migration has a single parent and ``alembic heads`` names one revision again. It changes
no schema.
"""

from __future__ import annotations

revision = "0007"
down_revision = ("0002", "0003", "0004", "0005", "0006")
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to do: a merge point only."""


def downgrade() -> None:
    """Nothing to do: a merge point only."""
