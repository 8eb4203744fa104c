"""The staff web app's tables: accounts, sessions, sign-in attempts, requests that mail
someone (with their limits), approvals, and the campaigns written in the app."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
)

from newsletter.db.tables.schema import TS, metadata

# -- Staff web app (migration 0006) ------------------------------------------------------------

staff_users = Table(
    "staff_users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    Column("created_at", TS, nullable=False),
    # Migration 0015: an approver disabled the account (it cannot sign in; its sessions ended).
    Column("disabled_at", TS, nullable=True),
)

staff_sessions = Table(
    "staff_sessions",
    metadata,
    Column("key", String(64), primary_key=True),  # sha256 of the cookie value
    Column("user_id", ForeignKey("staff_users.id", ondelete="CASCADE"), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created_at", TS, nullable=False),
    Column("expires_at", TS, nullable=False),
)

login_attempts = Table(
    "login_attempts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(320), nullable=False, index=True),
    Column("ip", String(64), nullable=False, index=True),
    Column("at", TS, nullable=False),
)

# -- Requests that may send an email, with limits (migration 0015) -----------------------------

#: One row per request that may send an email on someone's behalf: a member's "email me a
#: fresh link" (kind ``link-renewal``), a staff "forgot my password" (``staff-reset``). The
#: subject (member or address) and the client address are keyed hashes, so the per-subject and
#: per-client limits are counted in SQL, in one serialised step. Old rows go as new ones come.
mail_requests = Table(
    "mail_requests",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(24), nullable=False),
    Column("subject_hash", String(64), nullable=False, index=True),
    Column("client_hash", String(64), nullable=False, index=True),
    Column("mailed", Boolean, nullable=False),
    Column("at", TS, nullable=False, index=True),
)

campaign_approvals = Table(
    "campaign_approvals",
    metadata,
    Column("slug", String(200), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("approved_by", String(320), nullable=False),
    Column("approved_at", TS, nullable=False),
    # Migration 0011: the approved version itself, and how it was approved if not in the app.
    Column("version", JSON, nullable=True),
    Column("note", String(300), nullable=False, server_default=""),
)

# Campaigns written in the staff web app or imported with ``campaigns import`` (migration
# 0008; content/sql/stored_campaigns.py): the same mapping a campaigns/*.yaml file holds.
campaign_documents = Table(
    "campaign_documents",
    metadata,
    Column("slug", String(80), primary_key=True),
    Column("document", JSON, nullable=False),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    Column("updated_by", String(320), nullable=False),
)
