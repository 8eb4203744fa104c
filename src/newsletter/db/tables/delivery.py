"""The delivery tables: campaigns as sent, the per-recipient ledger (``deliveries``), provider
events, and the transports' shared rate-limit counters."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from newsletter.db.tables.schema import TS, metadata

campaigns = Table(
    "campaigns",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("slug", String(80), nullable=False, unique=True),
    Column("kind", String(40), nullable=False),
    Column("title", String(300), nullable=False),
    Column("topic", String(40), nullable=False),
    Column("state", String(16), nullable=False),
    Column("definition", JSON, nullable=False),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    # Complaint count staff acknowledged when it blocked new campaigns (delivery/reporting.py);
    # migration 0003.
    Column("complaints_acknowledged", Integer, nullable=True),
    Column("complaints_acknowledged_at", TS, nullable=True),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False),
    Column("step", String(60), nullable=False),
    Column("member_id", ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("language", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("provider_message_id", String(200), nullable=True),
    Column("last_error", Text, nullable=True),
    # transient | permanent, for failed rows: only transient ones are retried; migration 0003.
    Column("failure_kind", String(16), nullable=True),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    Column("sent_at", TS, nullable=True),
    # Who holds a `sending` row, and when its batch's request started (0012; see
    # newsletter.delivery.domain.claims): a dead owner's rows are released at once, and only
    # rows whose request started become `unknown`.
    Column("claimed_by", String(200), nullable=True),
    Column("request_started_at", TS, nullable=True),
    # The duplicate guard: one row per (member, campaign step), whoever plans it, however often.
    # Led by the member, it is also a person's deliveries: `received:` rules, `members show`,
    # erasure's cascade (migration 0018; it replaced 0002's index on (member_id, status)).
    UniqueConstraint("member_id", "campaign_id", "step"),
    Index(None, "campaign_id", "step", "status", "language"),
    # The claim's index (0016): the next N pending rows of one variant in id order, without
    # sorting the backlog; claimed rows leave it, so the last batch costs what the first did.
    Index(
        "ix_deliveries_pending_claim",
        "campaign_id",
        "step",
        "language",
        "id",
        postgresql_where=text("status = 'pending'"),
        sqlite_where=text("status = 'pending'"),
    ),
    # Free room on each page, so "request started" and lease renewals (no indexed column
    # changed) are heap-only updates on PostgreSQL: no index entries written (migration 0017).
    postgresql_with={"fillfactor": 50},
)

# What providers told us happened to each message (delivery/domain/events.py), and our own one-click
# unsubscribes. Each event is stored once: unique on SendGrid's ``sg_event_id`` and on a key over
# its content, since retries may carry a new ``sg_event_id``. Migration 0003.
events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("delivery_id", ForeignKey("deliveries.id", ondelete="CASCADE"), nullable=True),
    # Erasing a member erases their events (the payload may hold an IP address or user agent).
    Column("member_id", ForeignKey("members.id", ondelete="CASCADE"), nullable=True),
    Column("event", String(24), nullable=False),
    Column("occurred_at", TS, nullable=False),
    Column("received_at", TS, nullable=False),
    Column("provider_event_id", String(100), nullable=True, unique=True),
    Column("dedupe_key", String(64), nullable=False, unique=True),
    Column("payload", JSON, nullable=False),
    Index(None, "delivery_id", "event"),
    Index(None, "member_id"),
)

# Messages handed to each transport, for the per-second and per-hour limits; shared by every
# process through the database, so the limits hold across restarts and workers. Migration 0003.
transport_usage = Table(
    "transport_usage",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("transport", String(20), nullable=False),
    Column("at", TS, nullable=False),
    Column("count", Integer, nullable=False),
    Index(None, "transport", "at"),
)

# One row per transport, locked while a process reserves its share of the limit.
transport_locks = Table(
    "transport_locks",
    metadata,
    Column("transport", String(20), primary_key=True),
)
