"""scheduling: schedule rows, moved milestones, recurring sends, the scheduler lease, job store

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-22 05:00:00

- ``schedules``: one row per (campaign, step, time-zone group) with its due time in UTC, the
  official zone, the milestone (and its version) it serves, and its state; the database is the
  source of truth for what goes out when (docs/operations.md).
- ``schedule_milestones``: milestones moved by ``campaigns reschedule``; ``version`` is the
  ``.ics`` SEQUENCE.
- ``recurring_sends``: cron rules whose occurrences become ``schedules`` rows.
- ``scheduler_lock``: one lease row; exactly one ``newsletter scheduler run`` leads.
- ``scheduler_jobs``: APScheduler 3.x ``SQLAlchemyJobStore``'s table, in its own layout.

Branches from 0001 beside 0002 and 0003; ``upgrade heads`` applies all of them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "schedules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign", sa.String(length=80), nullable=False),
        sa.Column("step", sa.String(length=60), nullable=False),
        sa.Column("zone_group", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("milestone", sa.String(length=60), nullable=True),
        sa.Column("milestone_version", sa.Integer(), nullable=True),
        sa.Column("expires_at", TS, nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("attempt_at", TS, nullable=True),
        sa.Column("fired_at", TS, nullable=True),
        sa.Column("recurrence", sa.String(length=80), nullable=True),
        sa.Column("claimed_by", sa.String(length=120), nullable=True),
        sa.Column("claimed_until", TS, nullable=True),
        sa.Column("claimed_from", sa.String(length=16), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_schedules"),
        sa.UniqueConstraint(
            "campaign", "step", "zone_group", name="uq_schedules_campaign_step_zone_group"
        ),
    )
    op.create_index("ix_schedules_state_attempt_at", "schedules", ["state", "attempt_at"])
    op.create_index("ix_schedules_due_at", "schedules", ["due_at"])
    op.create_table(
        "schedule_milestones",
        sa.Column("campaign", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("campaign", "name", name="pk_schedule_milestones"),
    )
    op.create_table(
        "recurring_sends",
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("campaign", sa.String(length=120), nullable=False),
        sa.Column("rule", sa.String(length=120), nullable=False),
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_recurring_sends"),
    )
    op.create_table(
        "scheduler_lock",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("holder", sa.String(length=120), nullable=True),
        sa.Column("lease_until", TS, nullable=True),
        sa.Column("acquired_at", TS, nullable=True),
        sa.Column("heartbeat_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("name", name="pk_scheduler_lock"),
    )
    op.create_table(
        "scheduler_jobs",
        sa.Column("id", sa.Unicode(length=191), nullable=False),
        sa.Column("next_run_time", sa.Float(precision=25), nullable=True),
        sa.Column("job_state", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_scheduler_jobs"),
    )
    op.create_index("ix_scheduler_jobs_next_run_time", "scheduler_jobs", ["next_run_time"])


def downgrade() -> None:
    op.drop_index("ix_scheduler_jobs_next_run_time", table_name="scheduler_jobs")
    op.drop_table("scheduler_jobs")
    op.drop_table("scheduler_lock")
    op.drop_table("recurring_sends")
    op.drop_table("schedule_milestones")
    op.drop_index("ix_schedules_due_at", table_name="schedules")
    op.drop_index("ix_schedules_state_attempt_at", table_name="schedules")
    op.drop_table("schedules")
