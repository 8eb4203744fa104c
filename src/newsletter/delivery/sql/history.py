"""What happened to campaigns over time, in SQL: per-day counts for the report chart and the
first send of each announcement for the public archive.

Days are UTC days on both backends: SQLite stores our UTC stamps as text (``date()`` takes the
day off it), PostgreSQL's ``timestamptz`` is turned to UTC before the cast, whatever the
session's ``TimeZone``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Date, Engine, cast, distinct, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from newsletter.audiences.domain.deliveries import DeliveryStatus
from newsletter.audiences.ports.member_directory import DayCount
from newsletter.content.domain.campaigns import MAIN_STEP
from newsletter.db.tables import campaigns, deliveries, events

D, E = deliveries, events


def _day(conn: Connection, column: Any) -> ColumnElement[Any]:
    if conn.dialect.name == "postgresql":
        return cast(func.timezone("UTC", column), Date)
    return func.date(column)


def _as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class SqlCampaignHistory:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def daily(self, campaign_id: int) -> list[DayCount]:
        with self.engine.connect() as conn:
            sent_day = _day(conn, D.c.sent_at).label("day")
            sent = conn.execute(
                select(sent_day, func.count())
                .where(
                    D.c.campaign_id == campaign_id,
                    D.c.status == DeliveryStatus.SENT.value,
                    D.c.sent_at.is_not(None),
                )
                .group_by(sent_day)
            ).all()
            event_day = _day(conn, E.c.occurred_at).label("day")
            # Distinct deliveries, as the report counts them: five opens by one member are one.
            happened = conn.execute(
                select(event_day, E.c.event, func.count(distinct(E.c.delivery_id)))
                .join(D, D.c.id == E.c.delivery_id)
                .where(D.c.campaign_id == campaign_id)
                .group_by(event_day, E.c.event)
            ).all()
        found = [DayCount(_as_date(day), "sent", int(n)) for day, n in sent]
        found += [DayCount(_as_date(day), str(kind), int(n)) for day, kind, n in happened]
        return sorted(found, key=lambda c: (c.day, c.series))

    def first_sent(self) -> dict[str, dt.datetime]:
        query = (
            select(campaigns.c.slug, func.min(D.c.sent_at))
            .join(D, D.c.campaign_id == campaigns.c.id)
            .where(
                D.c.step == MAIN_STEP,
                D.c.status == DeliveryStatus.SENT.value,
                D.c.sent_at.is_not(None),
            )
            .group_by(campaigns.c.slug)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return {str(slug): _utc(_as_datetime(at)) for slug, at in rows if at is not None}


def _as_datetime(value: Any) -> dt.datetime:
    # min() over a SQLite text column comes back as text, not through the DateTime type.
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
