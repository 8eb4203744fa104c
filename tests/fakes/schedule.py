"""In-memory schedule store for the fast test tier: the rules of scheduling/sql (claims,
states, what a new plan may overwrite) on plain dicts, so a service test runs in milliseconds.
The SQL store stays the integration tier (tests/scheduling/sql and the contract tests in
tests/scheduling/test_schedule_store_contract.py hold the two to the same behaviour).

What a fake keeps that the SQL store keeps elsewhere (who got which step) lives in
:class:`MemoryDeliveries`, which the fake sender in the fast tests fills.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace

from newsletter.audiences.domain.segments import Segment
from newsletter.scheduling.domain.recurrence import Recurrence
from newsletter.scheduling.domain.reminders import MilestonePoint
from newsletter.scheduling.domain.rules import ScheduleEntry, ScheduleState

S = ScheduleState
_ACTIVE = (S.SCHEDULED, S.SENT)  # what the dispatcher looks at, as in the SQL store
_KEEP = (S.SENDING, S.SENT)  # what a new plan never overwrites


@dataclass
class _Row:
    entry: ScheduleEntry
    claimed_by: str | None = None
    claimed_until: dt.datetime | None = None
    claimed_from: ScheduleState | None = None


@dataclass
class MemoryDeliveries:
    """Who got which step of which campaign: (campaign id, step) -> member addresses."""

    sent: dict[tuple[int, str], set[str]] = field(default_factory=dict)
    suppressed: dict[tuple[int, str], set[str]] = field(default_factory=dict)
    planned: dict[tuple[int, str], set[str]] = field(default_factory=dict)
    audience: set[str] = field(default_factory=set)


class MemoryScheduleStore:
    def __init__(self, deliveries: MemoryDeliveries | None = None) -> None:
        self.rows: dict[int, _Row] = {}
        self.points: dict[str, dict[str, MilestonePoint]] = {}
        self.recurring: dict[str, Recurrence] = {}
        self.deliveries = deliveries or MemoryDeliveries()
        self.lock = threading.Lock()
        self._next = 1

    # -- rows --------------------------------------------------------------------------------
    def save(self, entries: Sequence[ScheduleEntry], *, now: dt.datetime) -> list[ScheduleEntry]:
        stored = []
        for entry in entries:
            found = next((i for i, r in self.rows.items() if _key(r.entry) == _key(entry)), None)
            if found is None:
                found, self._next = self._next, self._next + 1
                self.rows[found] = _Row(replace(_waiting(entry), id=found))
            elif self.rows[found].entry.state not in _KEEP:
                self.rows[found] = _Row(replace(_waiting(entry), id=found))
            stored.append(self.rows[found].entry)
        return stored

    def entries(
        self,
        *,
        campaign: str | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        campaigns: Collection[str] | None = None,
    ) -> list[ScheduleEntry]:
        found = [
            r.entry
            for r in self.rows.values()
            if (campaign is None or r.entry.campaign == campaign)
            and (campaigns is None or r.entry.campaign in campaigns)
            and (since is None or r.entry.due_at >= since)
            and (until is None or r.entry.due_at < until)
        ]
        return sorted(found, key=lambda e: (e.due_at, e.id or 0))

    def steps(self, campaign: str) -> set[str]:
        return {r.entry.step for r in self.rows.values() if r.entry.campaign == campaign}

    def due(self, now: dt.datetime, limit: int = 500) -> list[ScheduleEntry]:
        due = [r for r in self.rows.values() if _is_due(r, now)]
        due.sort(key=lambda r: (r.entry.attempt_at or r.claimed_until or now, r.entry.id or 0))
        return [_restored(r) for r in due[:limit]]

    def next_attempt(self) -> dt.datetime | None:
        times = [
            r.entry.attempt_at
            for r in self.rows.values()
            if r.entry.state in _ACTIVE and r.entry.attempt_at
        ]
        times += [r.claimed_until for r in self.rows.values() if r.claimed_until]
        return min(times, default=None)

    def claim(
        self, entry_id: int, holder: str, *, now: dt.datetime, until: dt.datetime
    ) -> ScheduleEntry | None:
        return self.rows[entry_id].entry if self.claim_many([entry_id], holder, now=now,
                                                            until=until) else None  # fmt: skip

    def claim_many(
        self, ids: Sequence[int], holder: str, *, now: dt.datetime, until: dt.datetime
    ) -> set[int]:
        taken = set()
        with self.lock:  # atomic, as the SQL store's conditional UPDATE
            for i in ids:
                row = self.rows.get(i)
                if row is None or not _is_due(row, now):
                    continue
                if row.entry.state is not S.SENDING:
                    row.claimed_from = row.entry.state
                fired = row.entry.fired_at or now
                row.entry = replace(row.entry, state=S.SENDING, fired_at=fired)
                row.claimed_by, row.claimed_until = holder, until
                taken.add(i)
        return taken

    def finish(self, entry: ScheduleEntry, holder: str, *, now: dt.datetime) -> bool:
        assert entry.id is not None
        row = self.rows[entry.id]
        if row.claimed_by != holder or row.entry.state is not S.SENDING:
            return False
        row.entry = _waiting(
            replace(
                row.entry,
                state=entry.state,
                reason=entry.reason,
                attempt_at=entry.attempt_at,
                fired_at=entry.fired_at,
            )
        )
        row.claimed_by = row.claimed_until = row.claimed_from = None
        return True

    def take_over(self, holder: str, *, now: dt.datetime) -> int:
        n = 0
        for row in self.rows.values():
            if row.entry.state is S.SENDING and row.claimed_by != holder:
                row.entry = replace(
                    row.entry,
                    state=row.claimed_from or S.SCHEDULED,
                    attempt_at=row.entry.attempt_at or now,
                )
                row.claimed_by = row.claimed_until = row.claimed_from = None
                n += 1
        return n

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
        n = 0
        for row in self.rows.values():
            e = row.entry
            if e.campaign != campaign or e.state not in from_states:
                continue
            if step is not None and e.step != step:
                continue
            attempt = e.attempt_at
            if to is S.SCHEDULED:
                attempt = e.attempt_at or e.due_at
            elif to not in (S.PAUSED, S.HELD):
                attempt = None
            row.entry = replace(e, state=to, reason=reason, attempt_at=attempt)
            n += 1
        return n

    # -- milestones and recurring sends ------------------------------------------------------
    def milestones(self, campaign: str) -> dict[str, MilestonePoint]:
        return dict(self.points.get(campaign, {}))

    def save_milestone(self, campaign: str, point: MilestonePoint, *, now: dt.datetime) -> None:
        self.points.setdefault(campaign, {})[point.name] = point

    def recurrences(self) -> list[Recurrence]:
        return list(self.recurring.values())

    def save_recurrence(self, recurrence: Recurrence, *, now: dt.datetime) -> None:
        self.recurring[recurrence.name] = recurrence

    def delete_recurrence(self, name: str) -> bool:
        return self.recurring.pop(name, None) is not None

    # -- the audience, from the in-memory deliveries -----------------------------------------
    def member_zones(self) -> set[str]:
        return {""}

    def audience_left(
        self, campaign_id: int | None, step: str, audience: Segment, topic: str
    ) -> int:
        done = self.deliveries.sent.get((campaign_id or 0, step), set())
        skipped = self.deliveries.suppressed.get((campaign_id or 0, step), set())
        return len(self.deliveries.audience - done - skipped)

    def suppress(
        self,
        campaign_id: int,
        step: str,
        audience: Segment,
        topic: str,
        *,
        skip: Segment | None,
        cap: tuple[int, dt.datetime, dt.datetime] | None,
        reason_skip: str,
        reason_cap: str,
        now: dt.datetime,
    ) -> tuple[int, int]:
        # Segments are evaluated in SQL: the fast tier plans no skip segment and no cap (its
        # policy has reminder_cap=None), and says so if a test asks for one.
        if skip is not None or cap is not None:
            raise AssertionError("skip segments and caps need the SQL store (integration tier)")
        return 0, 0

    def plan_from(
        self, campaign_id: int, step: str, reminded: Collection[str], *, now: dt.datetime
    ) -> int:
        """Those sent any of ``reminded`` are planned for ``step`` (new ones only)."""
        got = set().union(*(self.deliveries.sent.get((campaign_id, r), set()) for r in reminded))
        planned = self.deliveries.planned.setdefault((campaign_id, step), set())
        new = got - planned - self.deliveries.sent.get((campaign_id, step), set())
        planned |= new
        return len(new)


def _key(entry: ScheduleEntry) -> tuple[str, str, str]:
    return entry.campaign, entry.step, entry.zone_group


def _waiting(entry: ScheduleEntry) -> ScheduleEntry:
    """As the SQL store writes it: a waiting row's next look is its due time unless set."""
    if entry.state in (S.SCHEDULED, S.PAUSED, S.HELD) and entry.attempt_at is None:
        return replace(entry, attempt_at=entry.due_at)
    return entry


def _is_due(row: _Row, now: dt.datetime) -> bool:
    e = row.entry
    if e.state in _ACTIVE:
        return e.attempt_at is not None and e.attempt_at <= now
    return e.state is S.SENDING and row.claimed_until is not None and row.claimed_until < now


def _restored(row: _Row) -> ScheduleEntry:
    if row.entry.state is S.SENDING and row.claimed_from is not None:
        return replace(row.entry, state=row.claimed_from)
    return row.entry
