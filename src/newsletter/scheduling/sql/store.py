"""The schedule in SQL: rows, claims, moved milestones, recurring sends.

Claims are one atomic ``UPDATE ... WHERE`` (state and claim expiry in the condition), so on
SQLite and PostgreSQL alike only one dispatcher can hold a row; a row whose claimer died is
taken over once its claim runs out, and resumes (the ledger's unique key prevents doubles).

SQLite keeps ``DateTime(timezone=True)`` as naive text, so every instant is written in UTC and
read back as UTC (text comparison of UTC values orders correctly).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import Engine, and_, case, func, insert, or_, select, update
from sqlalchemy.engine import Row

from newsletter.db.tables import schedules
from newsletter.scheduling.domain.rules import ScheduleEntry, ScheduleKind, ScheduleState
from newsletter.scheduling.sql.audience import ScheduleAudience
from newsletter.scheduling.sql.store_extras import MilestonesAndRecurrences, utc

S = ScheduleState
T = schedules.c
_ACTIVE = (S.SCHEDULED.value, S.SENT.value)  # states the dispatcher looks at (with attempt_at)
_KEEP = (S.SENDING.value, S.SENT.value)  # states a new plan never overwrites


def _opt(value: dt.datetime | None) -> dt.datetime | None:
    return None if value is None else utc(value)


class SqlScheduleStore(ScheduleAudience, MilestonesAndRecurrences):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- rows --------------------------------------------------------------------------------
    def save(self, entries: Sequence[ScheduleEntry], *, now: dt.datetime) -> list[ScheduleEntry]:
        stored: list[ScheduleEntry] = []
        with self.engine.begin() as conn:
            for entry in entries:
                key = and_(
                    T.campaign == entry.campaign,
                    T.step == entry.step,
                    T.zone_group == entry.zone_group,
                )
                found = conn.execute(select(T.id, T.state).where(key)).first()
                values = _values(entry)
                if found is None:
                    new_id = conn.execute(
                        insert(schedules)
                        .values(**values, created_at=utc(now), updated_at=utc(now))
                        .returning(T.id)
                    ).scalar_one()
                elif found.state in _KEEP:
                    new_id = found.id
                else:
                    conn.execute(
                        update(schedules)
                        .where(T.id == found.id)
                        .values(**values, updated_at=utc(now))
                    )
                    new_id = found.id
                stored.append(_entry(conn.execute(select(schedules).where(T.id == new_id)).one()))
        return stored

    def entries(
        self,
        *,
        campaign: str | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        campaigns: Collection[str] | None = None,
    ) -> list[ScheduleEntry]:
        query = select(schedules).order_by(T.due_at, T.id)
        if campaign is not None:
            query = query.where(T.campaign == campaign)
        if campaigns is not None:
            query = query.where(T.campaign.in_(sorted(campaigns)))
        if since is not None:
            query = query.where(T.due_at >= utc(since))
        if until is not None:
            query = query.where(T.due_at < utc(until))
        with self.engine.connect() as conn:
            return [_entry(r) for r in conn.execute(query)]

    def steps(self, campaign: str) -> set[str]:
        with self.engine.connect() as conn:
            query = select(T.step).where(T.campaign == campaign).distinct()
            return set(conn.execute(query).scalars())

    def due(self, now: dt.datetime, limit: int = 500) -> list[ScheduleEntry]:
        query = (
            select(schedules)
            .where(_due(utc(now)))
            .order_by(func.coalesce(T.attempt_at, T.claimed_until), T.id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [_entry(r, restore=True) for r in conn.execute(query)]

    def next_attempt(self) -> dt.datetime | None:
        with self.engine.connect() as conn:
            first = conn.execute(
                select(func.min(T.attempt_at)).where(T.state.in_(_ACTIVE))
            ).scalar()
            crashed = conn.execute(
                select(func.min(T.claimed_until)).where(T.state == S.SENDING.value)
            ).scalar()
        found = [utc(v) for v in (first, crashed) if v is not None]
        return min(found) if found else None

    def claim(
        self, entry_id: int, holder: str, *, now: dt.datetime, until: dt.datetime
    ) -> ScheduleEntry | None:
        with self.engine.begin() as conn:
            taken = conn.execute(
                update(schedules)
                .where(T.id == entry_id, _due(utc(now)))
                .values(**_claim_values(holder, now, until))
            ).rowcount
            if taken != 1:
                return None
            return _entry(conn.execute(select(schedules).where(T.id == entry_id)).one())

    def claim_many(
        self, ids: Sequence[int], holder: str, *, now: dt.datetime, until: dt.datetime
    ) -> set[int]:
        """Claim every row of ``ids`` still due, in one statement; returns the ids taken."""
        if not ids:
            return set()
        with self.engine.begin() as conn:
            conn.execute(
                update(schedules)
                .where(T.id.in_(list(ids)), _due(utc(now)))
                .values(**_claim_values(holder, now, until))
            )
            taken = select(T.id).where(
                T.id.in_(list(ids)), T.claimed_by == holder, T.claimed_until == utc(until)
            )
            return set(conn.execute(taken).scalars())

    def finish(self, entry: ScheduleEntry, holder: str, *, now: dt.datetime) -> bool:
        values = _values(entry)
        with self.engine.begin() as conn:
            done = conn.execute(
                update(schedules)
                .where(T.id == entry.id, T.claimed_by == holder, T.state == S.SENDING.value)
                .values(
                    state=values["state"],
                    reason=values["reason"],
                    attempt_at=values["attempt_at"],
                    fired_at=values["fired_at"],
                    claimed_by=None,
                    claimed_until=None,
                    claimed_from=None,
                    updated_at=utc(now),
                )
            ).rowcount
        return done == 1

    def take_over(self, holder: str, *, now: dt.datetime) -> int:
        with self.engine.begin() as conn:
            return int(
                conn.execute(
                    update(schedules)
                    .where(
                        T.state == S.SENDING.value,
                        or_(T.claimed_by.is_(None), T.claimed_by != holder),
                    )
                    .values(
                        state=func.coalesce(T.claimed_from, S.SCHEDULED.value),
                        attempt_at=func.coalesce(T.attempt_at, utc(now)),
                        claimed_by=None,
                        claimed_until=None,
                        claimed_from=None,
                        updated_at=utc(now),
                    )
                ).rowcount
                or 0
            )

    def change_state(
        self,
        campaign: str,
        *,
        from_states: Collection[ScheduleState],
        to: ScheduleState,
        reason: str,
        now: dt.datetime,
        step: str | None = None,
    ) -> int:
        where = [T.campaign == campaign, T.state.in_([s.value for s in from_states])]
        if step is not None:
            where.append(T.step == step)
        values: dict[str, Any] = {"state": to.value, "reason": reason, "updated_at": utc(now)}
        if to is S.SCHEDULED:
            values["attempt_at"] = func.coalesce(T.attempt_at, T.due_at)
        elif to not in (S.PAUSED, S.HELD):  # these keep their next look for when they resume
            values["attempt_at"] = None  # nothing more to do for it (catch-ups end too)
        with self.engine.begin() as conn:
            return int(conn.execute(update(schedules).where(*where).values(**values)).rowcount or 0)


def _due(now: dt.datetime) -> Any:
    return or_(
        and_(T.state.in_(_ACTIVE), T.attempt_at <= now),
        and_(T.state == S.SENDING.value, T.claimed_until < now),  # its claimer died
    )


def _claim_values(holder: str, now: dt.datetime, until: dt.datetime) -> dict[str, Any]:
    return {
        "state": S.SENDING.value,
        "claimed_by": holder,
        "claimed_until": utc(until),
        "claimed_from": case((T.state == S.SENDING.value, T.claimed_from), else_=T.state),
        # Started once: a crash-and-resume is a continuation, not a stale start.
        "fired_at": func.coalesce(T.fired_at, utc(now)),
        "updated_at": utc(now),
    }


def _values(entry: ScheduleEntry) -> dict[str, Any]:
    waiting = entry.state in (S.SCHEDULED, S.PAUSED, S.HELD)
    attempt = entry.attempt_at or (entry.due_at if waiting else None)
    return {
        "campaign": entry.campaign,
        "step": entry.step,
        "zone_group": entry.zone_group,
        "kind": entry.kind.value,
        "due_at": utc(entry.due_at),
        "zone": entry.zone,
        "milestone": entry.milestone,
        "milestone_version": entry.milestone_version,
        "expires_at": _opt(entry.expires_at),
        "state": entry.state.value,
        "reason": entry.reason,
        "attempt_at": _opt(attempt),
        "fired_at": _opt(entry.fired_at),
        "recurrence": entry.recurrence,
    }


def _entry(row: Row[Any], *, restore: bool = False) -> ScheduleEntry:
    state = S(row.state)
    if restore and state is S.SENDING and row.claimed_from:
        state = S(row.claimed_from)  # for a new dispatcher: what it was before the dead claim
    return ScheduleEntry(
        campaign=row.campaign,
        step=row.step,
        kind=ScheduleKind(row.kind),
        due_at=utc(row.due_at),
        zone=row.zone,
        zone_group=row.zone_group,
        milestone=row.milestone,
        milestone_version=row.milestone_version,
        expires_at=_opt(row.expires_at),
        state=state,
        reason=row.reason or "",
        attempt_at=_opt(row.attempt_at),
        fired_at=_opt(row.fired_at),
        recurrence=row.recurrence,
        id=row.id,
    )
