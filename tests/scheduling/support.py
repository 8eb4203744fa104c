"""Shared set-up for the scheduling service tests: the sample project on a virtual clock."""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
import email.parser
import email.policy
from collections import Counter
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from sqlalchemy import select

from newsletter.audiences.files.member_files import read_csv
from newsletter.audiences.imports import import_members
from newsletter.bootstrap import build_scheduling
from newsletter.config import Settings
from newsletter.core.clock import VirtualClock
from newsletter.db.tables import campaigns, deliveries, members
from newsletter.scheduling.domain.calendar_rules import SendingRules
from newsletter.scheduling.ports import Scheduling
from newsletter.scheduling.sql.store import SqlScheduleStore
from tests.services import Services, services

DOC = "days-of-clusters-2015"
UTC = dt.UTC
T0 = dt.datetime(2015, 9, 1, 6, 0, tzinfo=UTC)


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def load_samples(ctx: Services, project: Path) -> None:
    for name in ("members.csv", "friends.csv"):
        _, rows = read_csv(project / "audiences" / name)
        assert not import_members(ctx, rows, source=name).rejected


def scheduling_for(
    settings: Settings, project: Path, *, rules: SendingRules | None = None, load: bool = True
) -> tuple[Scheduling, VirtualClock]:
    """The sample project on a virtual clock at T0; close with ``sched.ctx.close()``."""
    clock = VirtualClock(T0)
    ctx = services(settings, clock=clock)
    if load:
        load_samples(ctx, project)
    sched = build_scheduling(settings, ctx)
    if rules is not None:
        sched = dataclasses.replace(sched, rules=rules)
    return sched, clock


MakeScheduling = Callable[..., tuple[Scheduling, VirtualClock]]


def scheduling_factory(settings: Settings, project: Path) -> Iterator[MakeScheduling]:
    """Body of a ``make_sched`` fixture: ``make_sched(rules=...)`` builds scheduling on the
    sample project; everything built is closed after the test."""
    made: list[Scheduling] = []

    def make(**kw: Any) -> tuple[Scheduling, VirtualClock]:
        sched, clock = scheduling_for(settings, project, **kw)
        made.append(sched)
        return sched, clock

    yield make
    for sched in made:
        sched.ctx.close()


def engine_of(sched: Scheduling) -> Any:
    assert isinstance(sched.store, SqlScheduleStore)
    return sched.store.engine


def deliveries_by_step(sched: Scheduling, slug: str = DOC) -> dict[str, Counter[str]]:
    """step -> Counter of delivery status."""
    query = (
        select(deliveries.c.step, deliveries.c.status)
        .join(campaigns, campaigns.c.id == deliveries.c.campaign_id)
        .where(campaigns.c.slug == slug)
    )
    found: dict[str, Counter[str]] = {}
    with engine_of(sched).connect() as conn:
        for step, status in conn.execute(query):
            found.setdefault(step, Counter())[status] += 1
    return found


def sent_to(sched: Scheduling, email_address: str) -> list[tuple[str, str, dt.datetime]]:
    """(campaign, step, sent_at) of everything sent to one address, in order."""
    query = (
        select(campaigns.c.slug, deliveries.c.step, deliveries.c.sent_at)
        .join(campaigns, campaigns.c.id == deliveries.c.campaign_id)
        .join(members, members.c.id == deliveries.c.member_id)
        .where(members.c.email == email_address, deliveries.c.status == "sent")
        .order_by(deliveries.c.sent_at)
    )
    with engine_of(sched).connect() as conn:
        return [(r[0], r[1], r[2].replace(tzinfo=UTC)) for r in conn.execute(query)]


def outbox_headers(folder: Path) -> Iterator[EmailMessage]:
    """The top-level headers of every message in one outbox folder (campaign/step).

    Only the headers are parsed: the full parse of a season's ~1,000 messages (every MIME part
    and its Content-Type) took longer than sending them."""
    parser = email.parser.BytesHeaderParser(policy=email.policy.default)
    for path in folder.glob("*.eml"):
        msg = parser.parsebytes(path.read_bytes())
        assert isinstance(msg, EmailMessage)
        yield msg


def outbox_recipients(folder: Path) -> Counter[str]:
    """How many messages each address got in one outbox folder (campaign/step)."""
    return Counter(msg["To"].addresses[0].addr_spec.lower() for msg in outbox_headers(folder))


def outbox_dates(folder: Path) -> set[dt.date]:
    return {msg["Date"].datetime.astimezone(UTC).date() for msg in outbox_headers(folder)}
