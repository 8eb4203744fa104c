"""The composition root: Settings -> adapters -> one bundle per capability, carried by an
:class:`App`. The only place that chooses concrete adapters; everything above it sees ports."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import Engine

from newsletter.audiences.ports.services import AudienceServices
from newsletter.audiences.sql.member_search import SqlDirectory
from newsletter.audiences.sql.members import SqlMemberStore
from newsletter.audiences.sql.signups import SqlSignupStore
from newsletter.audiences.sql.subscriptions import SqlPreferenceStore
from newsletter.authoring.approvals import StaffApprovals
from newsletter.authoring.ports import AuthoringServices
from newsletter.authoring.sql.stored_campaigns import SqlCampaignDocuments
from newsletter.config import Settings, secrets
from newsletter.content.files.project_files import ProjectFiles
from newsletter.content.library import CampaignLibrary
from newsletter.content.ports.services import ContentServices
from newsletter.content.rendering.compose import Organisation, Sender
from newsletter.content.sql.ics_revisions import SqlCalendarRevisions
from newsletter.core.clock import Clock, SystemClock
from newsletter.core.links import Links
from newsletter.db.engine import make_engine, upgrade
from newsletter.delivery.ports import DeliveryServices, Mailer
from newsletter.delivery.signup_mail import SignupMail
from newsletter.delivery.sql.event_store import SqlEventStore
from newsletter.delivery.sql.history import SqlCampaignHistory
from newsletter.delivery.sql.ledger import SqlLedger
from newsletter.delivery.sql.ratelimit import SqlRateLimiter
from newsletter.delivery.sql.renewals import SqlLinkRenewals
from newsletter.delivery.transports.sendgrid import events as sendgrid_events
from newsletter.delivery.transports.sendgrid.signature import SignedEventWebhook
from newsletter.errors import ConfigError
from newsletter.keyring import link_keys
from newsletter.scheduling.milestones import ScheduledCatalog
from newsletter.scheduling.ports import Scheduling
from newsletter.scheduling.sql.store import SqlScheduleStore
from newsletter.staff.ports import StaffServices
from newsletter.staff.sql.store import SqlStaffStore

if TYPE_CHECKING:  # imported when used: APScheduler loads only for the scheduler
    from newsletter.scheduling.leader import SchedulerProcess


def organisation(settings: Settings) -> Organisation:
    """The organisation's identity, with its name and address in each configured language."""
    org = settings.organisation
    translations = tuple(
        (lang, text.name, text.postal_address) for lang, text in org.translations.items()
    )
    return Organisation(org.name, org.postal_address, org.website, translations)


@dataclass(frozen=True)
class App:
    """Each capability's bundle, built once from the same ports and shared values (the clock,
    the signed links, the settings); what the CLI and the web app carry. A use case gets the
    bundle of its own capability (or the narrow ports it names), never this aggregate."""

    staff: StaffServices
    audiences: AudienceServices
    content: ContentServices
    delivery: DeliveryServices
    authoring: AuthoringServices
    #: Releases pooled connections; call when done (the CLI and tests do).
    close: Callable[[], None]

    def __post_init__(self) -> None:
        # "Unapproved text never reaches members": every bundle that can send carries the
        # gate over the staff store's approvals, never a stand-in, and the gate judges the
        # campaigns that bundle composes (its catalog) under the same approval.files setting.
        for bundle in (self.delivery, self.authoring):
            gate = bundle.approvals
            if not (
                isinstance(gate, StaffApprovals)
                and gate.staff is self.staff.staff
                and gate.catalog is bundle.catalog
                and gate.approve_files == self.authoring.approve_files
            ):
                raise ConfigError("the delivery bundle must carry the staff store's approval gate")


B = TypeVar("B")


def narrowed(bundle: type[B], widest: AuthoringServices) -> B:
    """The ``bundle`` a capability's use cases get: the same port objects as ``widest``, only
    the fields that capability declares."""
    return bundle(**{f.name: getattr(widest, f.name) for f in fields(bundle)})  # type: ignore[arg-type]


def build_app(settings: Settings, *, clock: Clock | None = None, migrate: bool = True) -> App:
    engine = make_engine(settings.database_url)
    if migrate:
        upgrade(engine)  # the database is created and migrated on first use
    clock = clock or SystemClock()
    files = ProjectFiles(
        settings.path(settings.paths.templates),
        settings.path(settings.paths.audiences),
        settings.path(settings.paths.campaigns),
    )
    sender = Sender(settings.sender.email, settings.sender.name, settings.sender.reply_to)
    org = organisation(settings)
    delivery = settings.delivery
    # Campaign files and campaigns written in the browser, read alike.
    library = CampaignLibrary(files, SqlCampaignDocuments(engine))
    catalog = ScheduledCatalog(library, SqlScheduleStore(engine))  # moved milestones
    ledger = SqlLedger(engine)
    staff = SqlStaffStore(engine)
    events = SqlEventStore(engine)
    limiter = SqlRateLimiter(
        engine,
        delivery.transport,
        per_second=delivery.rate_per_second,
        per_hour=delivery.rate_per_hour,
    )

    def mailer() -> Mailer:
        return build_mailer(settings, clock)

    def close() -> None:
        ledger.close()  # its PostgreSQL session anchor first, then the pool
        engine.dispose()

    gate = StaffApprovals(
        catalog=catalog,
        sender=sender,
        organisation=org,
        staff=staff,
        approve_files=settings.approval.files,
    )
    widest = AuthoringServices(
        clock=clock,
        links=links(settings),
        members=SqlMemberStore(engine),
        catalog=catalog,
        events=events,
        preferences=SqlPreferenceStore(engine),
        directory=SqlDirectory(engine),
        signups=SqlSignupStore(engine),
        confirmations=SignupMail(
            catalog=catalog,
            organisation=org,
            sender=sender,
            clock=clock,
            limiter=limiter,
            mailer=mailer,
        ),
        sender=sender,
        organisation=org,
        list_domain=sender.email.rsplit("@", 1)[-1],
        calendar=SqlCalendarRevisions(engine),
        campaign_documents=library,
        history=SqlCampaignHistory(engine),
        image_hosts=settings.content.image_hosts,
        ledger=ledger,
        mailer=mailer,
        transport=delivery.transport,
        batch_size=delivery.batch_size,
        max_in_flight=delivery.max_in_flight,
        limiter=limiter,
        approvals=gate,
        lease_seconds=delivery.lease_seconds,
        resend_unknown_after=delivery.resend_unknown_after_minutes * 60,
        unsubscribe_groups=dict(settings.sendgrid.unsubscribe_groups),
        parse_event=sendgrid_events.parse,
        renewals=SqlLinkRenewals(engine),
        staff=staff,
        approve_files=settings.approval.files,
        office_zone=settings.scheduling.timezone,
    )
    return assemble(widest, close)


def assemble(widest: AuthoringServices, close: Callable[[], None]) -> App:
    """The App whose bundles are ``widest``'s ports, each narrowed to its capability's fields."""
    return App(
        staff=narrowed(StaffServices, widest),
        audiences=narrowed(AudienceServices, widest),
        content=narrowed(ContentServices, widest),
        delivery=narrowed(DeliveryServices, widest),
        authoring=narrowed(AuthoringServices, widest),
        close=close,
    )


def webhook_verifier(settings: Settings) -> SignedEventWebhook | None:
    """The SendGrid Event Webhook signature check, or None when no key is configured (the
    endpoint then refuses every request)."""
    key = settings.sendgrid.webhook_public_key.strip()
    if not key:
        return None
    return SignedEventWebhook(key, max_age=settings.sendgrid.webhook_max_age)


def links(settings: Settings) -> Links:
    """The link builder with the installation's keys (``keyring.py``)."""
    keys = link_keys(settings)
    return Links(settings.web.base_url, keys.signing, keys.previous, keys.hashing)


def engine_for(settings: Settings) -> Engine:
    return make_engine(settings.database_url)


def build_mailer(settings: Settings, clock: Clock) -> Mailer:
    transport = settings.delivery.transport
    if transport == "outbox":
        from newsletter.delivery.transports.outbox import OutboxMailer

        return OutboxMailer(settings.path(settings.delivery.outbox_dir), clock.now)
    settings.require_sending_ready()
    if transport == "smtp":
        from newsletter.delivery.transports.smtp import SmtpMailer

        smtp = settings.smtp
        password = secrets().smtp_password
        return SmtpMailer(
            smtp.host,
            smtp.port,
            security=smtp.security,
            username=smtp.username,
            password=password.get_secret_value() if password else "",
            timeout=smtp.timeout,
            now=clock.now,
        )
    from newsletter.delivery.transports.sendgrid.transport import SendGridMailer

    key = secrets().sendgrid_api_key
    assert key is not None  # require_sending_ready checked it
    sg = settings.sendgrid
    return SendGridMailer(
        key.get_secret_value(),
        host=sg.api_host,
        timeout=sg.timeout,
        sandbox_mode=sg.sandbox_mode,
        unsubscribe_groups=dict(sg.unsubscribe_groups),
    )


def outbox_dir(settings: Settings) -> Path:
    return settings.path(settings.delivery.outbox_dir)


# -- Scheduling: the dispatcher's bundle, the scheduler process, rehearsals. ------------------


def build_scheduling(settings: Settings, ctx: DeliveryServices) -> Scheduling:
    """The scheduling use cases' bundle over a delivery bundle built by :func:`build_app`."""
    from datetime import timedelta

    from newsletter.scheduling.domain.calendar_rules import rules_for
    from newsletter.scheduling.domain.rules import ScheduleKind as K
    from newsletter.scheduling.domain.rules import SchedulePolicy

    if not isinstance(ctx.catalog, ScheduledCatalog):
        raise ConfigError(
            "scheduling needs a delivery bundle built by newsletter.bootstrap.build_app"
        )
    sc = settings.scheduling
    rules = rules_for(
        sc.holidays, quiet=sc.quiet_hours, skip_weekends=sc.skip_weekends, extra=sc.extra_holidays
    )
    hours = {
        K.SEND: sc.max_late_send_hours,
        K.RECURRING: sc.max_late_send_hours,
        K.REMINDER: sc.max_late_reminder_hours,
        K.NOTICE: sc.max_late_notice_hours,
    }
    policy = SchedulePolicy(
        max_staleness={k: timedelta(hours=v) for k, v in hours.items()},
        reminder_cap=sc.reminder_cap_per_day,
        catch_up=sc.catch_up_late_joiners,
        retry_after=timedelta(minutes=sc.retry_minutes),
    )
    return Scheduling(ctx, ctx.catalog.store, rules, policy, sc.timezone)


def scheduler_process(
    settings: Settings, *, holder: str | None = None, clock: Clock | None = None
) -> tuple[SchedulerProcess, App]:
    """``newsletter scheduler run`` (and ``serve``): waits for the lease, then leads."""
    import socket
    import uuid
    from datetime import timedelta

    from newsletter.scheduling.leader import SchedulerProcess, SchedulerRuntime
    from newsletter.scheduling.sql.leader_lease import SchedulerLease

    clock = clock or SystemClock()
    app = build_app(settings, clock=clock)
    sched = build_scheduling(settings, app.delivery)
    store = sched.store
    assert isinstance(store, SqlScheduleStore)
    name = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
    lease = SchedulerLease(store.engine, name, timedelta(seconds=settings.scheduling.lease_seconds))

    def runtime(on_lost: Callable[[], None]) -> SchedulerRuntime:
        return SchedulerRuntime(
            sched,
            store.engine,
            lease,
            clock=clock,
            sweep_seconds=settings.scheduling.sweep_seconds,
            on_lost=on_lost,
        )

    return SchedulerProcess(runtime, lease, clock), app


def start_in_process(settings: Settings) -> SchedulerProcess:
    """For ``newsletter serve``: the scheduler in a background thread of the web process.
    Call ``.stop()`` on shutdown. Only the lease holder sends, so several web processes each
    calling this still make exactly one leader (the others wait)."""
    process, _ = scheduler_process(settings)
    return process.start_background()


def build_simulation(
    settings: Settings, folder: Path, clock: Clock
) -> tuple[Scheduling, dict[str, int], App]:
    """A rehearsal: a SQLite copy of the configured database in ``folder/rehearsal.db`` and an
    outbox in ``folder/outbox``, so nothing real is sent or recorded. Close the App when done."""
    from newsletter.config import DatabaseSettings
    from newsletter.db.snapshot import copy_database

    folder.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{folder / 'rehearsal.db'}"
    target = make_engine(url)
    upgrade(target)
    source = make_engine(settings.database_url)
    upgrade(source)
    try:
        copied = copy_database(source, target)
    finally:
        source.dispose()
        target.dispose()
    rehearsal = settings.model_copy(
        update={
            "database": DatabaseSettings(url=url),
            "delivery": settings.delivery.model_copy(
                update={"transport": "outbox", "outbox_dir": folder / "outbox"}
            ),
        }
    )
    app = build_app(rehearsal, clock=clock)
    return build_scheduling(rehearsal, app.delivery), copied, app
