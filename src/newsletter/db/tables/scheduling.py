"""The scheduling tables: due steps, moved milestones, recurring sends, the leader's lease and
APScheduler's job store; and the ``.ics`` revisions a moved milestone raises."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    Unicode,
    UniqueConstraint,
)

from newsletter.db.tables.schema import TS, metadata

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

# SEQUENCE and DTSTAMP per calendar UID of a campaign's .ics (migration 0005;
# content/sql/ics_revisions.py): a changed event fingerprint raises the sequence (RFC 5545
# §3.8.7.4).
calendar_revisions = Table(
    "calendar_revisions",
    metadata,
    Column("uid", String(320), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("stamp", TS, nullable=False),
)
