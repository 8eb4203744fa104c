"""merge the branches 0008 (campaign documents) and 0009 (sign-ups)

Revision ID: 0010
Revises: 0008, 0009
Create Date: 2026-11-22 07:40:00

0008 and 0009 were written side by side, both on 0007; this revision joins them so every
later migration has a single parent and ``alembic heads`` names one revision again. It changes
no schema.
"""

from __future__ import annotations

revision = "0010"
down_revision = ("0008", "0009")
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to do: a merge point only."""


def downgrade() -> None:
    """Nothing to do: a merge point only."""
