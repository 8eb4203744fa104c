"""The one place the fast tier builds what the use cases receive: every port an in-memory fake
(tests/fakes/), the campaigns, segments and templates read from the repository's own files.

Every fast service test starts from :func:`fake_context`; when the dependencies a use case
receives change shape, this is the one function to adapt.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from newsletter.audiences.ports.members import MemberStore
from newsletter.audiences.ports.preference_store import PreferenceStore
from newsletter.audiences.ports.signup_store import SignupStore
from newsletter.authoring.approvals import StaffApprovals
from newsletter.content.files.project_files import ProjectFiles
from newsletter.content.library import CampaignLibrary
from newsletter.content.ports.catalog import Catalog
from newsletter.content.ports.documents import CampaignDocuments
from newsletter.content.rendering.messages import Organisation, Sender
from newsletter.core.clock import Clock, VirtualClock
from newsletter.core.links import Links
from newsletter.delivery.ports import EventStore, Ledger, Mailer, RateLimiter
from newsletter.delivery.signup_mail import SignupMail
from newsletter.scheduling.ports import ScheduleStore
from newsletter.staff.ports import StaffStore
from tests.conftest import REPO
from tests.fakes.documents import MemoryCampaignDocuments
from tests.fakes.events import MemoryEventStore, MemoryRateLimiter
from tests.fakes.ledger import MemoryLedger
from tests.fakes.mailer import RecordingMailer
from tests.fakes.members import MemoryMemberStore
from tests.fakes.schedule import MemoryDeliveries, MemoryScheduleStore
from tests.fakes.schedule_audience import LedgerScheduleStore
from tests.fakes.staff import MemoryStaffStore
from tests.fakes.subscriptions import MemoryPreferenceStore, MemorySignupStore
from tests.services import Services

#: 2015-09-01 08:00 UTC, before the sample campaigns' deadlines (as tests/conftest.py's clock).
T0 = dt.datetime(2015, 9, 1, 8, 0, tzinfo=dt.UTC)
SECRET = b"fast-tier-link-signing-key-32-by"


@dataclass
class Fakes:
    """The context and the fakes behind it, for a test to arrange and to read."""

    ctx: Services
    clock: VirtualClock
    members: MemoryMemberStore
    ledger: MemoryLedger
    events: MemoryEventStore
    mailer: RecordingMailer
    limiter: MemoryRateLimiter
    staff: MemoryStaffStore
    schedule: MemoryScheduleStore
    library: CampaignLibrary
    signups: MemorySignupStore
    preferences: MemoryPreferenceStore
    #: The transports handed out (one per ``ctx.mailer()`` call; all the same recorder).
    mailers_built: list[RecordingMailer] = field(default_factory=list)


def fake_context(
    *,
    now: dt.datetime = T0,
    batch_size: int = 1000,
    max_in_flight: int = 1,
    per_second: int | None = None,
    approve_files: bool = False,
    lease_seconds: float = 60.0,
    mailer: RecordingMailer | None = None,
    deliveries: MemoryDeliveries | None = None,
) -> Fakes:
    clock = VirtualClock(now)
    members = MemoryMemberStore()
    ledger = MemoryLedger(members)
    events = MemoryEventStore(ledger)
    recorder = mailer or RecordingMailer()
    limiter = MemoryRateLimiter(per_second)
    staff = MemoryStaffStore()
    # The schedule's audience questions go to the ledger and members above, unless a test
    # keeps who got which step itself (``deliveries``, tests/scheduling/test_dispatch_fast.py).
    schedule = (
        MemoryScheduleStore(deliveries) if deliveries is not None else LedgerScheduleStore(ledger)
    )
    files = ProjectFiles(REPO / "templates", REPO / "audiences", REPO / "campaigns")
    library = CampaignLibrary(files, MemoryCampaignDocuments(staff, schedule))
    built: list[RecordingMailer] = []
    signups, preferences = MemorySignupStore(members), MemoryPreferenceStore(members)

    def make_mailer() -> Mailer:
        built.append(recorder)
        return recorder

    # Each fake under the name of its port: were one to stop matching its Protocol, mypy (which
    # checks tests/fakes/, pyproject.toml) fails here.
    catalog: Catalog = library
    member_store: MemberStore = members
    the_ledger: Ledger = ledger
    the_clock: Clock = clock
    event_store: EventStore = events
    rate_limiter: RateLimiter = limiter
    staff_store: StaffStore = staff
    documents: CampaignDocuments = library
    signup_store: SignupStore = signups
    preference_store: PreferenceStore = preferences
    sender = Sender("news@clusterhouse.example", "Cluster House", "office@clusterhouse.example")
    organisation = Organisation(
        "Balkan & Black Sea Cluster Network",
        "Cluster House, Niš, Serbia",
        "https://clusterhouse.example",
    )
    # The real gate over the fake staff store: the fast tier checks approvals as sending does.
    gate = StaffApprovals(
        catalog=catalog,
        sender=sender,
        organisation=organisation,
        staff=staff_store,
        approve_files=approve_files,
    )
    ctx = Services(
        catalog=catalog,
        members=member_store,
        ledger=the_ledger,
        clock=the_clock,
        links=Links("https://news.clusterhouse.example", SECRET),
        sender=sender,
        organisation=organisation,
        mailer=make_mailer,
        transport=recorder.name,
        batch_size=batch_size,
        max_in_flight=max_in_flight,
        list_domain="clusterhouse.example",
        events=event_store,
        limiter=rate_limiter,
        lease_seconds=lease_seconds,
        staff=staff_store,
        approve_files=approve_files,
        campaign_documents=documents,
        signups=signup_store,
        preferences=preference_store,
        approvals=gate,
        # The real confirmation email over the recording mailer, as bootstrap wires it.
        confirmations=SignupMail(
            catalog=catalog,
            organisation=organisation,
            sender=sender,
            clock=the_clock,
            limiter=rate_limiter,
            mailer=make_mailer,
        ),
    )
    return Fakes(
        ctx,
        clock,
        members,
        ledger,
        events,
        recorder,
        limiter,
        staff,
        schedule,
        library,
        signups,
        preferences,
        built,
    )


def _as_port(schedule: MemoryScheduleStore) -> ScheduleStore:
    """The schedule store reaches the use cases through ``Scheduling`` (scheduling/ports.py),
    not the context: mypy checks its Protocol here."""
    return schedule
