"""The composition root: Settings -> adapters -> a services Context. The only place that
chooses concrete adapters; everything above it sees ports."""

from __future__ import annotations

import os
import secrets as pysecrets
from pathlib import Path

from sqlalchemy import Engine

from newsletter.adapters.clock import SystemClock
from newsletter.adapters.db.engine import make_engine, upgrade
from newsletter.adapters.db.ledger import SqlLedger
from newsletter.adapters.db.members import SqlMemberStore
from newsletter.adapters.files import ProjectFiles
from newsletter.config import Settings, secrets
from newsletter.errors import ConfigError
from newsletter.rendering.compose import Organisation, Sender
from newsletter.services.context import Context, Links
from newsletter.services.ports import Clock, Mailer


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
    org = settings.organisation
    sender = settings.sender
    return Context(
        catalog=files,
        members=SqlMemberStore(engine),
        ledger=SqlLedger(engine),
        clock=clock,
        links=Links(settings.web.base_url, signing_secret(settings)),
        sender=Sender(sender.email, sender.name, sender.reply_to),
        organisation=Organisation(org.name, org.postal_address, org.website),
        mailer=lambda: build_mailer(settings, clock),
        transport=settings.delivery.transport,
        batch_size=settings.delivery.batch_size,
        max_in_flight=settings.delivery.max_in_flight,
        list_domain=sender.email.rsplit("@", 1)[-1],
        close=engine.dispose,
    )


def engine_for(settings: Settings) -> Engine:
    return make_engine(settings.database_url)


def signing_secret(settings: Settings) -> bytes:
    """NEWSLETTER_SECRET_KEY, or for the embedded outbox default a key generated once and kept
    in ``var/secret.key`` (0600), so a first run works and links stay valid across runs."""
    key = secrets().secret_key
    if key is not None:
        return key.get_secret_value().encode()
    if settings.delivery.transport != "outbox":
        raise ConfigError("NEWSLETTER_SECRET_KEY must be set to sign unsubscribe links")
    path = settings.path(settings.paths.var) / "secret.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(pysecrets.token_urlsafe(32))
    return path.read_text().strip().encode()


def build_mailer(settings: Settings, clock: Clock) -> Mailer:
    transport = settings.delivery.transport
    if transport == "outbox":
        from newsletter.adapters.mail.outbox import OutboxMailer

        return OutboxMailer(settings.path(settings.delivery.outbox_dir), clock.now)
    settings.require_sending_ready()
    if transport == "smtp":
        from newsletter.adapters.mail.smtp import SmtpMailer

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
    from newsletter.adapters.mail.sendgrid import SendGridMailer

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
