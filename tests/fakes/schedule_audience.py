"""The in-memory schedule store answering its audience questions from the in-memory ledger and
member store (tests/fakes/ledger.py, members.py), as scheduling/sql/audience.py does from the
database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from newsletter.audiences.domain.deliveries import DeliveryStatus as D
from newsletter.audiences.domain.members import MemberStatus
from newsletter.audiences.domain.segments import Segment
from newsletter.scheduling.domain.rules import ScheduleKind
from tests.fakes.ledger import MemoryLedger
from tests.fakes.members import StoredMember
from tests.fakes.schedule import MemoryScheduleStore


class LedgerScheduleStore(MemoryScheduleStore):
    """The schedule store whose audience questions are answered from the in-memory ledger
    and member store, with the rules of scheduling/sql/audience.py: exclusions are written as
    ``suppressed`` rows before the send plans the step, notices are planned for exactly the
    members sent the reminders, in the language they read them in."""

    def __init__(self, ledger: MemoryLedger) -> None:
        super().__init__()
        self.ledger, self.members = ledger, ledger.members

    def member_zones(self) -> set[str]:
        return {
            m.record.timezone or ""
            for m in self.members.members.values()
            if m.status == MemberStatus.ACTIVE.value
        }

    def audience_left(
        self, campaign_id: int | None, step: str, audience: Segment, topic: str
    ) -> int:
        return sum(
            1
            for m in self.members.in_segment(audience, topic)
            if campaign_id is None or not self.ledger.has_row(campaign_id, step, m.id)
        )

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
        base = self.members.in_segment(audience, topic)
        skipped = capped = 0
        if skip is not None:
            left_out = {m.id for m in self.members.in_segment(skip, None)}
            for m in base:
                if m.id in left_out:
                    skipped += self._suppressed(campaign_id, step, m, reason_skip, now)
        if cap is not None:
            over = self._over_cap(*cap)
            for m in base:
                if m.id in over:
                    capped += self._suppressed(campaign_id, step, m, reason_cap, now)
        return skipped, capped

    def plan_from(
        self, campaign_id: int, step: str, reminded: Collection[str], *, now: dt.datetime
    ) -> int:
        languages: dict[int, str] = {}
        for r in self.ledger.rows.values():
            if r.campaign_id == campaign_id and r.step in reminded and r.status is D.SENT:
                languages[r.member_id] = min(languages.get(r.member_id, r.language), r.language)
        return sum(
            self.ledger.add_row(campaign_id, step, mid, language, D.PENDING, now)
            for mid, language in sorted(languages.items())
        )

    def _suppressed(
        self, campaign_id: int, step: str, m: StoredMember, reason: str, now: dt.datetime
    ) -> int:
        added = self.ledger.add_row(
            campaign_id, step, m.id, m.record.language, D.SUPPRESSED, now, reason[:2000]
        )
        return int(added)

    def _over_cap(self, limit: int, start: dt.datetime, end: dt.datetime) -> set[int]:
        """Members already handed ``limit`` reminder steps (of any campaign) in [start, end)."""
        reminders = {
            (r.entry.campaign, r.entry.step)
            for r in self.rows.values()
            if r.entry.kind is ScheduleKind.REMINDER
        }
        counted: dict[int, int] = {}
        for r in self.ledger.rows.values():
            when = r.sent_at or r.updated_at
            slug = self.ledger.campaigns[r.campaign_id].slug
            if (
                r.status in (D.SENT, D.SENDING, D.UNKNOWN)
                and start <= when < end
                and (slug, r.step) in reminders
            ):
                counted[r.member_id] = counted.get(r.member_id, 0) + 1
        return {mid for mid, n in counted.items() if n >= limit}
