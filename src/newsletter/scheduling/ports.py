"""What the scheduling use cases need: the schedule store (a port), and the bundle bootstrap
hands them. Kept apart from ``ports.py`` so the delivery work and this one do not collide."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Protocol

from newsletter.audiences.domain.segments import Segment
from newsletter.delivery.ports import DeliveryServices
from newsletter.scheduling.domain.calendar_rules import SendingRules
from newsletter.scheduling.domain.recurrence import Recurrence
from newsletter.scheduling.domain.reminders import MilestonePoint
from newsletter.scheduling.domain.rules import ScheduleEntry, SchedulePolicy, ScheduleState


class ScheduleStore(Protocol):
    """Schedule rows (the source of truth for what goes out when), moved milestones,
    recurring sends, and the few ledger queries the scheduler needs."""

    def save(self, entries: Sequence[ScheduleEntry], *, now: dt.datetime) -> list[ScheduleEntry]:
        """Insert, or update by (campaign, step, zone group); rows already sending or sent
        are never overwritten by a new plan. Returns what is stored."""
        ...

    def entries(
        self,
        *,
        campaign: str | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        campaigns: Collection[str] | None = None,
    ) -> list[ScheduleEntry]: ...

    def steps(self, campaign: str) -> set[str]:
        """The step keys the schedule holds for a campaign."""
        ...

    def due(self, now: dt.datetime, limit: int = 500) -> list[ScheduleEntry]:
        """Rows to look at now: scheduled or catching up with ``attempt_at <= now``, and rows
        a crashed dispatcher left ``sending`` whose claim has run out."""
        ...

    def next_attempt(self) -> dt.datetime | None: ...

    def claim(
        self, entry_id: int, holder: str, *, now: dt.datetime, until: dt.datetime
    ) -> ScheduleEntry | None:
        """Atomically take a due row (state ``sending``); None if someone else has it."""
        ...

    def claim_many(
        self, ids: Sequence[int], holder: str, *, now: dt.datetime, until: dt.datetime
    ) -> set[int]:
        """Claim all still-due rows of ``ids`` in one go; returns the ids now ours."""
        ...

    def finish(self, entry: ScheduleEntry, holder: str, *, now: dt.datetime) -> bool:
        """Write the row's outcome and drop the claim; False if the claim was lost."""
        ...

    def take_over(self, holder: str, *, now: dt.datetime) -> int:
        """A new leader frees rows that another (dead) dispatcher left ``sending``."""
        ...

    def change_state(
        self,
        campaign: str,
        *,
        from_states: Collection[ScheduleState],
        to: ScheduleState,
        reason: str,
        now: dt.datetime,
        step: str | None = None,
    ) -> int: ...

    def milestones(self, campaign: str) -> dict[str, MilestonePoint]: ...

    def save_milestone(self, campaign: str, point: MilestonePoint, *, now: dt.datetime) -> None: ...

    def recurrences(self) -> list[Recurrence]: ...

    def save_recurrence(self, recurrence: Recurrence, *, now: dt.datetime) -> None: ...

    def delete_recurrence(self, name: str) -> bool: ...

    # -- ledger queries the scheduler needs (same database, same unique delivery key) -------
    def member_zones(self) -> set[str]:
        """Distinct time zones on file for active members ("" for none)."""
        ...

    def audience_left(
        self, campaign_id: int | None, step: str, audience: Segment, topic: str
    ) -> int:
        """Members of the audience with no delivery row yet for this step."""
        ...

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
        """Record as ``suppressed`` (so the send never plans them) the audience members in the
        ``skip`` segment, and those already sent ``cap[0]`` reminders in [cap[1], cap[2]).
        Returns (skipped, capped)."""
        ...

    def plan_from(
        self, campaign_id: int, step: str, reminded: Collection[str], *, now: dt.datetime
    ) -> int:
        """Plan ``step`` for the members sent any of the steps ``reminded`` (in the language
        they got them in); returns how many rows were new."""
        ...


@dataclass(frozen=True)
class Scheduling:
    """Everything the scheduling use cases get, built by bootstrap."""

    ctx: DeliveryServices
    store: ScheduleStore
    rules: SendingRules
    policy: SchedulePolicy
    default_zone: str
