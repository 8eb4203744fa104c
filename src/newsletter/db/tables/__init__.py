"""Table definitions. Alembic migrations under ``newsletter/db/migrations`` create them; this
package is what the code queries against and what tests compare the migrations with.

One module per capability, all on the one ``metadata`` of ``schema.py``; every name is
imported from here (``from newsletter.db.tables import members``), so importing this package
defines every table before any foreign key between them is resolved.
"""

from __future__ import annotations

from newsletter.db.tables.audiences import (
    SEARCH_TERM,
    consent_events,
    import_presets,
    member_search_terms,
    member_tags,
    members,
    signup_requests,
    subscriptions,
    suppressions,
)
from newsletter.db.tables.delivery import (
    campaigns,
    deliveries,
    events,
    transport_locks,
    transport_usage,
)
from newsletter.db.tables.scheduling import (
    calendar_revisions,
    recurring_sends,
    schedule_milestones,
    scheduler_jobs,
    scheduler_lock,
    schedules,
)
from newsletter.db.tables.schema import TS, metadata
from newsletter.db.tables.staff import (
    campaign_approvals,
    campaign_documents,
    login_attempts,
    mail_requests,
    staff_sessions,
    staff_users,
)

__all__ = [
    "SEARCH_TERM",
    "TS",
    "calendar_revisions",
    "campaign_approvals",
    "campaign_documents",
    "campaigns",
    "consent_events",
    "deliveries",
    "events",
    "import_presets",
    "login_attempts",
    "mail_requests",
    "member_search_terms",
    "member_tags",
    "members",
    "metadata",
    "recurring_sends",
    "schedule_milestones",
    "scheduler_jobs",
    "scheduler_lock",
    "schedules",
    "signup_requests",
    "staff_sessions",
    "staff_users",
    "subscriptions",
    "suppressions",
    "transport_locks",
    "transport_usage",
]
