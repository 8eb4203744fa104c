"""delivery: provider events, failure kinds, complaint acknowledgements, transport rate limits

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-22 04:10:00

- ``events``: provider events and one-click unsubscribes, unique on ``provider_event_id``
  (SendGrid's ``sg_event_id``) and on ``dedupe_key`` (a hash over message id, event, timestamp,
  address and URL: retries may carry a new ``sg_event_id``).
- ``deliveries.failure_kind``: ``transient`` | ``permanent``; ``campaigns retry --failed``
  re-queues transient failures only.
- ``campaigns.complaints_acknowledged[_at]``: the complaint count staff acknowledged when the
  complaint rate blocked new campaigns (delivery/reporting.py).
- ``transport_usage`` / ``transport_locks``: messages handed to each transport, so the per-second
  and per-hour limits hold across restarts and across worker processes.

Branches from 0001 beside 0002 (audiences); ``upgrade heads`` applies both.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failure_kind", sa.String(length=16), nullable=True))
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("complaints_acknowledged", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("complaints_acknowledged_at", sa.DateTime(timezone=True), nullable=True)
        )
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=True),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("event", sa.String(length=24), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("provider_event_id", sa.String(length=100), nullable=True),
        sa.Column("dedupe_key", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["deliveries.id"],
            name=op.f("fk_events_delivery_id_deliveries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_events_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_events_dedupe_key")),
        sa.UniqueConstraint("provider_event_id", name=op.f("uq_events_provider_event_id")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_events_delivery_id_event"), ["delivery_id", "event"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_events_member_id"), ["member_id"], unique=False)
    op.create_table(
        "transport_usage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("transport", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transport_usage")),
    )
    with op.batch_alter_table("transport_usage", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_transport_usage_transport_at"), ["transport", "at"], unique=False
        )
    op.create_table(
        "transport_locks",
        sa.Column("transport", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("transport", name=op.f("pk_transport_locks")),
    )


def downgrade() -> None:
    op.drop_table("transport_locks")
    with op.batch_alter_table("transport_usage", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transport_usage_transport_at"))
    op.drop_table("transport_usage")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_member_id"))
        batch_op.drop_index(batch_op.f("ix_events_delivery_id_event"))
    op.drop_table("events")
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_column("complaints_acknowledged_at")
        batch_op.drop_column("complaints_acknowledged")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_column("failure_kind")
