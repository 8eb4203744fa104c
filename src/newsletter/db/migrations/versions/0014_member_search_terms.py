"""member search terms: the words each member is found by, across scripts and diacritics

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 19:10:00

- ``member_search_terms(member_id, term)``: the folded words of a member's name and
  organisation, and the address whole (``newsletter.core.search_keys.member_terms``:
  ``Ђорђе``, ``Đorđe``, ``Djordje`` and ``Dordje`` are all ``dorde``), with an index on
  ``(term, member_id)``: a search word is a range of that index instead of a scan of every
  member. "C" collation on PostgreSQL, so that
  a prefix's range is byte order whatever the database's locale.
- Backfilled here from the members already held, a chunk of ids at a time. The folding is the
  application's own function, so the terms match what the code writes for new members.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from newsletter.core.search_keys import member_terms

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_CHUNK = 5000


def upgrade() -> None:
    term = sa.String(64).with_variant(sa.String(64, collation="C"), "postgresql")
    terms = op.create_table(
        "member_search_terms",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("term", term, nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name="fk_member_search_terms_member_id_members",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("member_id", "term", name="pk_member_search_terms"),
        # SQLite: the rows live in the key's b-tree, no rowid table beside it.
        sqlite_with_rowid=False,
    )
    members = sa.table(
        "members",
        sa.column("id", sa.Integer()),
        sa.column("email", sa.String()),
        sa.column("first_name", sa.String()),
        sa.column("last_name", sa.String()),
        sa.column("organization", sa.String()),
    )
    conn = op.get_bind()
    last = 0
    while True:
        rows = conn.execute(
            sa.select(
                members.c.id,
                members.c.first_name,
                members.c.last_name,
                members.c.organization,
                members.c.email,
            )
            .where(members.c.id > last)
            .order_by(members.c.id)
            .limit(_CHUNK)
        ).all()
        if not rows:
            break
        values = [
            {"member_id": r.id, "term": t}
            for r in rows
            for t in sorted(member_terms(r.first_name, r.last_name, r.organization, r.email))
        ]
        if values:
            conn.execute(sa.insert(terms), values)
        last = rows[-1].id
    # After the backfill: one sorted build instead of an index update per row.
    op.create_index(
        "ix_member_search_terms_term_member_id", "member_search_terms", ["term", "member_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_member_search_terms_term_member_id", table_name="member_search_terms")
    op.drop_table("member_search_terms")
