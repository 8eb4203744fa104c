"""Moved milestones and recurring sends in SQL (part of the schedule store)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, and_, delete, insert, select, update

from newsletter.db.tables import recurring_sends, schedule_milestones
from newsletter.scheduling.domain.recurrence import Recurrence
from newsletter.scheduling.domain.reminders import MilestonePoint


def utc(value: dt.datetime) -> dt.datetime:
    """SQLite keeps DateTime(timezone=True) as naive text: write UTC, read back as UTC."""
    return value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)


class MilestonesAndRecurrences:
    engine: Engine

    def milestones(self, campaign: str) -> dict[str, MilestonePoint]:
        query = select(schedule_milestones).where(schedule_milestones.c.campaign == campaign)
        with self.engine.connect() as conn:
            return {
                r.name: MilestonePoint(r.name, utc(r.at), r.zone, r.version)
                for r in conn.execute(query)
            }

    def save_milestone(self, campaign: str, point: MilestonePoint, *, now: dt.datetime) -> None:
        m = schedule_milestones.c
        values = {"at": utc(point.at), "zone": point.zone, "version": point.version}
        key = and_(m.campaign == campaign, m.name == point.name)
        with self.engine.begin() as conn:
            if conn.execute(select(m.name).where(key)).first() is None:
                conn.execute(
                    insert(schedule_milestones).values(
                        campaign=campaign, name=point.name, updated_at=utc(now), **values
                    )
                )
            else:
                conn.execute(
                    update(schedule_milestones).where(key).values(updated_at=utc(now), **values)
                )

    def recurrences(self) -> list[Recurrence]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(recurring_sends).order_by(recurring_sends.c.name))
            return [Recurrence(r.name, r.campaign, r.rule, r.zone, bool(r.active)) for r in rows]

    def save_recurrence(self, recurrence: Recurrence, *, now: dt.datetime) -> None:
        r = recurring_sends.c
        values = {
            "campaign": recurrence.campaign,
            "rule": recurrence.rule,
            "zone": recurrence.zone,
            "active": recurrence.active,
        }
        with self.engine.begin() as conn:
            if conn.execute(select(r.name).where(r.name == recurrence.name)).first() is None:
                conn.execute(
                    insert(recurring_sends).values(
                        name=recurrence.name, created_at=utc(now), **values
                    )
                )
            else:
                conn.execute(
                    update(recurring_sends).where(r.name == recurrence.name).values(**values)
                )

    def delete_recurrence(self, name: str) -> bool:
        with self.engine.begin() as conn:
            gone = conn.execute(delete(recurring_sends).where(recurring_sends.c.name == name))
            return bool(gone.rowcount)
