"""The composition root: Settings -> adapters -> a services Context. The only place that
chooses concrete adapters; everything above it sees ports."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from newsletter.audiences.sql.member_search import SqlDirectory
from newsletter.audiences.sql.members import SqlMemberStore
from newsletter.audiences.sql.signups import SqlSignupStore
from newsletter.audiences.sql.subscriptions import SqlPreferenceStore
from newsletter.authoring.sql.stored_campaigns import SqlCampaignDocuments
from newsletter.config import Settings, secrets
from newsletter.content.files.project_files import ProjectFiles
from newsletter.content.library import CampaignLibrary
from newsletter.content.rendering.compose import Organisation, Sender
from newsletter.content.sql.ics_revisions import SqlCalendarRevisions
from newsletter.context import Context
from newsletter.core.clock import Clock, SystemClock
from newsletter.core.links import Links
from newsletter.db.engine import make_engine, upgrade
from newsletter.delivery.ports import Mailer
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


def build(settings: Settings, *, clock: Clock | None = None, migrate: bool = True) -> Context:
    engine = make_engine(settings.database_url)
    if migrate:
        upgrade(engine)  # the database is created and migrated on first use
    clock = clock or SystemClock()
    files = ProjectFiles(
        settings.path(settings.paths.templates),
        settings.path(settings.paths.audiences),
        settings.path(settings.paths.campaigns),
    )
    sender = settings.sender
    delivery = settings.delivery
    # Campaign files and campaigns written in the browser, read alike.
    library = CampaignLibrary(files, SqlCampaignDocuments(engine))
    ledger = SqlLedger(engine)

    def close() -> None:
        ledger.close()  # its PostgreSQL session anchor first, then the pool
        engine.dispose()

    return Context(
        catalog=ScheduledCatalog(library, SqlScheduleStore(engine)),  # moved milestones
        members=SqlMemberStore(engine),
        ledger=ledger,
        clock=clock,
        links=links(settings),
        sender=Sender(sender.email, sender.name, sender.reply_to),
        organisation=organisation(settings),
        mailer=lambda: build_mailer(settings, clock),
        transport=settings.delivery.transport,
        batch_size=settings.delivery.batch_size,
        max_in_flight=settings.delivery.max_in_flight,
        list_domain=sender.email.rsplit("@", 1)[-1],
        events=SqlEventStore(engine),
        limiter=SqlRateLimiter(
            engine,
            delivery.transport,
            per_second=delivery.rate_per_second,
            per_hour=delivery.rate_per_hour,
        ),
        close=close,
        lease_seconds=delivery.lease_seconds,
        resend_unknown_after=delivery.resend_unknown_after_minutes * 60,
        unsubscribe_groups=dict(settings.sendgrid.unsubscribe_groups),
        parse_event=sendgrid_events.parse,
        calendar=SqlCalendarRevisions(engine),
        staff=SqlStaffStore(engine),
        approve_files=settings.approval.files,
        preferences=SqlPreferenceStore(engine),
        campaign_documents=library,
        directory=SqlDirectory(engine),
        history=SqlCampaignHistory(engine),
        signups=SqlSignupStore(engine),
        image_hosts=settings.content.image_hosts,
        renewals=SqlLinkRenewals(engine),
        office_zone=settings.scheduling.timezone,
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


def build_scheduling(settings: Settings, ctx: Context) -> Scheduling:
    """The scheduling use cases' bundle over a Context built by :func:`build`."""
    from datetime import timedelta

    from newsletter.scheduling.domain.calendar_rules import rules_for
    from newsletter.scheduling.domain.rules import ScheduleKind as K
    from newsletter.scheduling.domain.rules import SchedulePolicy

    if not isinstance(ctx.catalog, ScheduledCatalog):
        raise ConfigError("scheduling needs a Context built by newsletter.bootstrap.build")
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
) -> tuple[SchedulerProcess, Context]:
    """``newsletter scheduler run`` (and ``serve``): waits for the lease, then leads."""
    import socket
    import uuid
    from datetime import timedelta

    from newsletter.scheduling.leader import SchedulerProcess, SchedulerRuntime
    from newsletter.scheduling.sql.leader_lease import SchedulerLease

    clock = clock or SystemClock()
    ctx = build(settings, clock=clock)
    sched = build_scheduling(settings, ctx)
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

    return SchedulerProcess(runtime, lease, clock), ctx


def start_in_process(settings: Settings) -> SchedulerProcess:
    """For ``newsletter serve``: the scheduler in a background thread of the web process.
    Call ``.stop()`` on shutdown. Only the lease holder sends, so several web processes each
    calling this still make exactly one leader (the others wait)."""
    process, _ = scheduler_process(settings)
    return process.start_background()


def build_simulation(
    settings: Settings, folder: Path, clock: Clock
) -> tuple[Scheduling, dict[str, int]]:
    """A rehearsal: a SQLite copy of the configured database in ``folder/rehearsal.db`` and an
    outbox in ``folder/outbox``, so nothing real is sent or recorded."""
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
    return build_scheduling(rehearsal, build(rehearsal, clock=clock)), copied
