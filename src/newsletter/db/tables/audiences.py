"""The audiences' tables: members, their subscriptions, consent record, tags and search terms;
suppressed addresses; sign-ups waiting for confirmation; the import presets."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from newsletter.db.tables.schema import TS, metadata

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
    # Version id of the consent text shown (GDPR Art. 7(1)); added by migration 0002.
    Column("consent_wording", String(40), nullable=False, default="", server_default=""),
    Column("status", String(16), nullable=False, default="active"),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    Index(None, "language"),
    # Segment counts filter on these together (benchmarks/audiences.py). Migration 0002 adds
    # it and drops the single-column country index (its prefix) and tier index (two values:
    # never selective), which only slowed every insert.
    Index(None, "country", "tier", "status"),
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
# deletes these rows except erasure of the whole person. Migration 0002 adds a trigger that
# refuses UPDATE on both backends (GDPR Art. 7(1) record); DELETE stays possible for erasure.
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

# The words each member is found by in the staff search (core/search_keys.py: name,
# organisation and address folded across scripts and diacritics), written with the member by
# every insert and update of those fields; migration 0014. A query word is a range scan of
# (term, member_id), never a scan of members; the key (member_id, term) serves the rewrites.
# "C" collation on PostgreSQL so that the range of a prefix is byte order
# (core/search_keys.prefix_range); SQLite's BINARY already is.
SEARCH_TERM = String(64).with_variant(String(64, collation="C"), "postgresql")
member_search_terms = Table(
    "member_search_terms",
    metadata,
    Column("member_id", ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
    Column("term", SEARCH_TERM, primary_key=True),
    Index(None, "term", "member_id"),
    # On SQLite the rows live in the primary key's b-tree (no separate rowid table to keep up
    # to date): a fifth less work per term written (https://sqlite.org/withoutrowid.html).
    sqlite_with_rowid=False,
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

# -- Public signup with double opt-in (migration 0009; audiences/sql/signups.py) ---------------
# What a friend typed waits here until the address owner confirms; address and client address
# only as keyed hashes, for the list-bombing limits (audiences/domain/signup.py).
signup_requests = Table(
    "signup_requests",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("state", String(16), nullable=False),  # mailed | dropped | confirmed
    Column("address_hash", String(64), nullable=False),
    Column("client_hash", String(64), nullable=False),
    Column("email", String(320), nullable=False),  # "" once confirmed or when dropped
    Column("first_name", String(200), nullable=False),
    Column("last_name", String(200), nullable=False),
    Column("organization", String(200), nullable=False),
    Column("language", String(16), nullable=False),
    Column("topics", String(400), nullable=False),  # ";"-joined
    Column("wording_version", String(40), nullable=False),
    Column("requested_at", TS, nullable=False),
    Column("confirmed_at", TS, nullable=True),
    Index(None, "address_hash", "requested_at"),
    Index(None, "client_hash", "requested_at"),
    Index(None, "requested_at"),
)

# The column mapping staff last confirmed for files from each source system (mailchimp,
# listmonk, generic), so the next file from there opens with it. Migration 0013.
import_presets = Table(
    "import_presets",
    metadata,
    Column("system", String(20), primary_key=True),
    Column("mapping", Text, nullable=False),  # JSON: column name -> field ("" = ignored)
    Column("saved_by", String(320), nullable=False),
    Column("saved_at", TS, nullable=False),
)
