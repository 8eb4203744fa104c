"""Table definitions. Alembic migrations under ``newsletter/db/migrations`` create them; this
module is what the code queries against and what tests compare the migrations with."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    Unicode,
    UniqueConstraint,
    text,
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
    # The duplicate guard: one row per (campaign step, member), whoever plans it, however often.
    UniqueConstraint("campaign_id", "step", "member_id"),
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
    # A person's deliveries: `received:` rules, `members show`, and erasure's cascade; 0002.
    Index(None, "member_id", "status"),
    # Free room on each page, so "request started" and lease renewals (no indexed column
    # changed) are heap-only updates on PostgreSQL: no index entries written (fillfactor migration).
    postgresql_with={"fillfactor": 50},
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


# -- Scheduling (migration 0004; scheduling/sql/store.py). The database is the source of truth
# for what goes out when (docs/operations.md); APScheduler only wakes the dispatcher.
schedules = Table(
    "schedules",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign", String(80), nullable=False),
    Column("step", String(60), nullable=False),
    # "" = the whole audience; a zone name = members living there (per-member local time).
    Column("zone_group", String(64), nullable=False, default=""),
    Column("kind", String(16), nullable=False),  # send | reminder | notice | recurring
    Column("due_at", TS, nullable=False),
    Column("zone", String(64), nullable=False),  # the official zone the time was decided in
    Column("milestone", String(60), nullable=True),
    Column("milestone_version", Integer, nullable=True),
    Column("expires_at", TS, nullable=True),  # never fires at or after (its milestone)
    # scheduled|sending|sent|cancelled|paused|skipped|held
    Column("state", String(16), nullable=False),
    Column("reason", Text, nullable=False, default=""),
    Column("attempt_at", TS, nullable=True),  # next look: due, retry, late-joiner catch-up
    Column("fired_at", TS, nullable=True),
    Column("recurrence", String(80), nullable=True),
    Column("claimed_by", String(120), nullable=True),
    Column("claimed_until", TS, nullable=True),
    Column("claimed_from", String(16), nullable=True),  # state to restore if the claimer died
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    UniqueConstraint("campaign", "step", "zone_group"),
    Index(None, "state", "attempt_at"),
    Index(None, "due_at"),
)

# Milestones as moved by `campaigns reschedule`; version is the .ics SEQUENCE (RFC 5545).
schedule_milestones = Table(
    "schedule_milestones",
    metadata,
    Column("campaign", String(80), primary_key=True),
    Column("name", String(60), primary_key=True),
    Column("at", TS, nullable=False),
    Column("zone", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", TS, nullable=False),
)

recurring_sends = Table(
    "recurring_sends",
    metadata,
    Column("name", String(80), primary_key=True),
    Column("campaign", String(120), nullable=False),  # slug pattern, e.g. digest-{date:%Y-%m}
    Column("rule", String(120), nullable=False),  # crontab syntax (scheduling/domain/recurrence.py)
    Column("zone", String(64), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", TS, nullable=False),
)

# One row: who leads, until when. Taken with an atomic UPDATE ... WHERE lease expired, which
# works the same on SQLite and PostgreSQL (scheduling/sql/leader_lease.py).
scheduler_lock = Table(
    "scheduler_lock",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("holder", String(120), nullable=True),
    Column("lease_until", TS, nullable=True),
    Column("acquired_at", TS, nullable=True),
    Column("heartbeat_at", TS, nullable=True),
)

# APScheduler 3.x SQLAlchemyJobStore's own layout (jobstores/sqlalchemy.py), created by our
# migration so the schema stays migration-owned; the job store then finds it in place.
scheduler_jobs = Table(
    "scheduler_jobs",
    metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)

# SEQUENCE and DTSTAMP per calendar UID of a campaign's .ics (migration 0005; db/
# calendar.py): a changed event fingerprint raises the sequence (RFC 5545 §3.8.7.4).
calendar_revisions = Table(
    "calendar_revisions",
    metadata,
    Column("uid", String(320), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("stamp", TS, nullable=False),
)

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
