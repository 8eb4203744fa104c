"""Table definitions. Alembic migrations under ``newsletter/migrations`` create them; this
module is what the code queries against and what tests compare the migrations with."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

# Deterministic constraint names so migrations can refer to them on every backend.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)
TS = DateTime(timezone=True)

members = Table(
    "members",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("email_key", String(320), nullable=False, unique=True),
    Column("first_name", String(200), nullable=False, default=""),
    Column("last_name", String(200), nullable=False, default=""),
    Column("organization", String(200), nullable=False, default=""),
    Column("role", String(200), nullable=False, default=""),
    Column("country", String(2), nullable=False, default=""),
    Column("language", String(16), nullable=False, default="en"),
    Column("tier", String(8), nullable=False, default="friend"),
    Column("timezone", String(64), nullable=False, default=""),
    Column("consent_source", String(200), nullable=False, default=""),
    Column("consent_date", Date, nullable=True),
    Column("status", String(16), nullable=False, default="active"),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    Index(None, "country"),
    Index(None, "tier"),
    Index(None, "language"),
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("member_id", ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
    Column("topic", String(40), primary_key=True),
    Column("status", String(16), nullable=False),  # subscribed | unsubscribed
    Column("updated_at", TS, nullable=False),
    Index(None, "topic", "status"),
)

# Append-only: GDPR Art. 7(1) asks us to be able to demonstrate consent, so nothing updates or
# deletes these rows except erasure of the whole person.
consent_events = Table(
    "consent_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("member_id", ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("topic", String(40), nullable=False),
    Column("action", String(16), nullable=False),  # subscribed | unsubscribed
    Column("source", String(200), nullable=False),
    Column("wording_version", String(40), nullable=False, default=""),
    Column("at", TS, nullable=False),
    Index(None, "member_id"),
)

member_tags = Table(
    "member_tags",
    metadata,
    Column("member_id", ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
    Column("tag", String(80), primary_key=True),
    Index(None, "tag"),
)

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
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    Column("sent_at", TS, nullable=True),
    # The duplicate guard: one row per (campaign step, member), whoever plans it, however often.
    UniqueConstraint("campaign_id", "step", "member_id"),
    Index(None, "campaign_id", "step", "status", "language"),
)

# Addresses that must never be mailed again, kept as a keyed hash so an erased person's
# address is not stored, yet a re-import of it is recognised (GDPR Art. 17 with Art. 21).
suppressions = Table(
    "suppressions",
    metadata,
    Column("email_hash", String(64), primary_key=True),
    Column("reason", String(20), nullable=False),  # bounced | complained | erased | unsubscribed
    Column("created_at", TS, nullable=False),
)
