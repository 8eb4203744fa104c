"""What every use case gets: the ports and the few settings they need, built by bootstrap."""

from __future__ import annotations

__all__ = ["PREFERENCES", "UNSUBSCRIBE", "Context", "Links", "preview_purpose", "test_purpose"]

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from newsletter.audiences.ports.member_directory import CampaignHistory, MemberDirectory
from newsletter.audiences.ports.members import MemberStore
from newsletter.audiences.ports.preference_store import PreferenceStore
from newsletter.audiences.ports.signup_store import SignupStore
from newsletter.content.ports.catalog import CalendarRevisions, Catalog
from newsletter.content.ports.documents import CampaignDocuments
from newsletter.content.rendering.compose import Organisation, Sender
from newsletter.core.clock import Clock
from newsletter.core.links import PREFERENCES, UNSUBSCRIBE, Links, preview_purpose, test_purpose
from newsletter.delivery.ports import (
    EventParser,
    EventStore,
    Ledger,
    LinkRenewals,
    Mailer,
    RateLimiter,
)
from newsletter.staff.ports import StaffStore


@dataclass(frozen=True)
class Context:
    catalog: Catalog
    members: MemberStore
    ledger: Ledger
    clock: Clock
    links: Links
    sender: Sender
    organisation: Organisation
    #: Builds the configured transport; called only when something is really sent.
    mailer: Callable[[], Mailer]
    transport: str
    batch_size: int
    max_in_flight: int
    list_domain: str
    #: Provider events, one-click unsubscribes and campaign outcome counts.
    events: EventStore
    #: The configured transport's per-second / per-hour limit (shared through the database).
    limiter: RateLimiter
    #: Releases pooled connections; call when done (the CLI and tests do).
    close: Callable[[], None] = lambda: None
    #: Seconds a ``sending`` row stays claimed without renewal before it counts as crashed.
    lease_seconds: float = 60.0
    #: Seconds an ``unknown`` reminder row waits for provider events before it is resent.
    resend_unknown_after: float = 1800.0
    #: SendGrid unsubscribe group id per topic (events map groups back to topics).
    unsubscribe_groups: Mapping[str, int] = field(default_factory=dict)
    #: One raw provider event -> ours (None for a test send's); raises EventProblem. The
    #: provider's vocabulary stays in its transport (delivery/transports/sendgrid/events.py).
    parse_event: EventParser | None = None
    #: SEQUENCE/DTSTAMP per calendar UID; None composes without the .ics attachment.
    calendar: CalendarRevisions | None = None
    #: Staff accounts, sessions and approvals for the web app; None where no web app runs.
    staff: StaffStore | None = None
    #: File campaigns need an approval too (``approval.files``); database campaigns always do.
    approve_files: bool = False
    #: Members' own choices through the signed preference link.
    preferences: PreferenceStore | None = None
    #: Campaigns written in the browser or imported (the catalog reads them too); None where
    #: campaigns come from files only.
    campaign_documents: CampaignDocuments | None = None
    #: Member search and one member's events for the staff pages.
    directory: MemberDirectory | None = None
    #: Campaign outcomes per day and first sends, for reports and the public archive.
    history: CampaignHistory | None = None
    #: "Email me a fresh link" requests from expired links' pages; None: not offered.
    renewals: LinkRenewals | None = None
    #: Hosts emails may load images from besides ``links.base_url``'s (``content.image_hosts``).
    image_hosts: tuple[str, ...] = ()
    #: Friends' subscription requests awaiting double opt-in (the public /subscribe form).
    signups: SignupStore | None = None
    #: The IANA zone staff read times in (``scheduling.timezone``): the staff pages show
    #: stamps in it.
    office_zone: str = "Europe/Belgrade"
