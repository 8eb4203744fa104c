"""What every use case gets: the ports and the few settings they need, built by bootstrap."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from newsletter.audiences.ports.member_directory import CampaignHistory, MemberDirectory
from newsletter.audiences.ports.preference_store import PreferenceStore
from newsletter.audiences.ports.signup_store import SignupStore
from newsletter.content.ports.catalog import CalendarRevisions, Catalog, Clock, MemberStore
from newsletter.content.ports.documents import CampaignDocuments
from newsletter.content.rendering.compose import Organisation, Sender
from newsletter.core import tokens
from newsletter.delivery.ports import (
    EventParser,
    EventStore,
    Ledger,
    LinkRenewals,
    Mailer,
    RateLimiter,
)
from newsletter.staff.ports import StaffStore

UNSUBSCRIBE = "unsubscribe"
PREFERENCES = "preferences"


def preview_purpose(purpose: str) -> str:
    """The token purpose of a link in a preview: verifies only as a preview."""
    return f"preview-{purpose}"


def test_purpose(purpose: str, language: str) -> str:
    """The token purpose of a link in a test send (in ``language``): verifies only as a test,
    so the public pages can say it was one instead of acting on anybody's subscription."""
    return f"test-{purpose}:{language}"


@dataclass(frozen=True)
class Links:
    """Builds the signed per-recipient links that go into every message."""

    base_url: str
    #: Signs every new link (NEWSLETTER_SECRET_KEY).
    secret: bytes
    #: Keys that signed links before the last rotations: those links still verify.
    previous: tuple[bytes, ...] = ()
    #: Keys the suppression and sign-up hashes (NEWSLETTER_HASH_KEY). Never rotated: a new one
    #: would unlink every stored hash. Empty: ``secret`` keys them (no rotation yet).
    hash_key: bytes = b""

    @property
    def hashing(self) -> bytes:
        return self.hash_key or self.secret

    def verify(
        self, token: str, *, purpose: str, now: int, max_age: int = tokens.DEFAULT_MAX_AGE
    ) -> tokens.TokenClaims:
        """The claims of a link signed with the current or a previous key (TokenError)."""
        keys = (self.secret, *self.previous)
        return tokens.verify_any(keys, token, purpose=purpose, now=now, max_age=max_age)

    def token(self, purpose: str, member_id: int, topic: str, issued_at: int) -> str:
        return tokens.sign(self.secret, tokens.TokenClaims(purpose, member_id, topic, issued_at))

    def unsubscribe(self, member_id: int, topic: str, issued_at: int) -> str:
        return f"{self.base_url}/u/{self.token(UNSUBSCRIBE, member_id, topic, issued_at)}"

    def builder(
        self,
        purpose: str,
        topic: str,
        issued_at: int,
        *,
        preview: bool = False,
        test_language: str | None = None,
    ) -> Callable[[int], str]:
        """member id -> the link :meth:`unsubscribe` / :meth:`preferences` would give, for a
        whole batch: the signing key and the shared part of the token are prepared once.
        ``preview``: a link of the same shape signed for :func:`preview_purpose`, which the
        public routes refuse, so a preview shown to staff holds no working member link.
        ``test_language``: signed for :func:`test_purpose` (a test send in that language)."""
        path = {UNSUBSCRIBE: "u", PREFERENCES: "p"}[purpose]
        signed_for = preview_purpose(purpose) if preview else purpose
        if test_language is not None:
            signed_for = test_purpose(purpose, test_language)
        sign = tokens.Signer(self.secret, signed_for, topic, issued_at)
        prefix = f"{self.base_url}/{path}/"
        return lambda member_id: prefix + sign(member_id)

    def preferences(self, member_id: int, topic: str, issued_at: int) -> str:
        return f"{self.base_url}/p/{self.token(PREFERENCES, member_id, topic, issued_at)}"


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
