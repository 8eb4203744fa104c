"""In-memory fakes of the ports the scheduling, approval and staff use cases declare, for the
fast test tier: the rules of the SQL stores (claims, states, what a new plan may overwrite) on
plain dicts, so a service test runs in milliseconds. The ledger, member, event and transport
fakes are beside this module; every fast test gets them all from tests/fakes/context.py. The
SQL stores stay the integration tier
(tests/scheduling/test_store.py and the rest run on SQLite and PostgreSQL).

What a fake keeps that the SQL store keeps elsewhere (who got which step) lives in
:class:`MemoryDeliveries`, which the fake sender in the fast tests fills.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from newsletter.audiences.domain.deliveries import DeliveryStatus as D
from newsletter.audiences.domain.members import MemberStatus
from newsletter.audiences.domain.segments import Segment
from newsletter.authoring.domain.approvals import HELD_CHANGED
from newsletter.content.ports.documents import Saved, StoredCampaign
from newsletter.errors import StateError
from newsletter.scheduling.domain.recurrence import Recurrence
from newsletter.scheduling.domain.reminders import MilestonePoint
from newsletter.scheduling.domain.rules import ScheduleEntry, ScheduleKind, ScheduleState
from newsletter.staff.domain.users import Role, StaffUser
from newsletter.staff.ports import Approval, Session
from tests.fakes.ledger import MemoryLedger
from tests.fakes.members import StoredMember

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


class MemoryCampaignDocuments:
    """Campaigns written in the browser, with the SQL store's rule that a changed document
    holds the scheduled steps of a campaign that had an approval (same 'transaction')."""

    def __init__(self, staff: MemoryStaffStore, schedule: MemoryScheduleStore) -> None:
        self.docs: dict[str, StoredCampaign] = {}
        self.staff, self.schedule = staff, schedule

    def slugs(self) -> list[str]:
        return sorted(self.docs)

    def get(self, slug: str) -> StoredCampaign | None:
        return self.docs.get(slug)

    def save(
        self,
        slug: str,
        document: Mapping[str, Any],
        *,
        by: str,
        now: dt.datetime,
        create: bool,
        expected_version: str | None = None,
    ) -> Saved:
        old = self.docs.get(slug)
        if create and old is not None:
            raise StateError(f"a campaign {slug!r} already exists")
        if not create and old is None:
            raise StateError(f"no campaign {slug!r} in the database")
        if old is not None and expected_version not in (None, old.version):
            raise StateError(f"{slug} was saved by {old.updated_by} after you opened it")
        if old is not None and dict(old.document) == dict(document):
            return Saved(created=False, changed=False, approval_dropped=False)
        created = old.created_at if old else now
        self.docs[slug] = StoredCampaign(slug, dict(document), created, now, by)
        if create:
            self.staff.approvals.pop(slug, None)
            return Saved(created=True, changed=True, approval_dropped=False)
        had = slug in self.staff.approvals
        if had:
            self.schedule.change_state(
                slug, from_states=[S.SCHEDULED], to=S.HELD, reason=HELD_CHANGED, now=now
            )
        return Saved(created=False, changed=True, approval_dropped=had)

    def delete(self, slug: str) -> None:
        if slug not in self.docs:
            raise StateError(f"no campaign {slug!r} in the database")
        ended = (S.CANCELLED, S.SKIPPED)
        rows = self.schedule.entries(campaign=slug)
        if any(e.state not in ended for e in rows):
            raise StateError(f"{slug} cannot be deleted: a step of it is scheduled or sent")
        rows_of = self.schedule.rows
        for key in [k for k, r in rows_of.items() if r.entry.campaign == slug]:
            del rows_of[key]
        self.staff.approvals.pop(slug, None)
        del self.docs[slug]


class MemoryStaffStore:
    """Staff accounts, sign-in attempts, sessions, reset requests and approvals (the rules of
    staff/sql/store.py: a new password or a disabled account ends every session; attempts are
    counted and recorded in one step; a refused reset client is not recorded)."""

    def __init__(self) -> None:
        self.accounts: dict[str, tuple[StaffUser, str]] = {}
        self.approvals: dict[str, Approval] = {}
        self.sessions: dict[str, tuple[int, str, dt.datetime]] = {}
        self.attempts: list[tuple[str, str, dt.datetime]] = []
        self.resets: list[tuple[str, str, bool, dt.datetime]] = []
        self._next = 1

    def add_user(self, email: str, password_hash: str, role: Role, *, now: dt.datetime) -> bool:
        held = self.accounts.get(email)
        if held is None:
            self.accounts[email] = (StaffUser(self._next, email, role), password_hash)
            self._next += 1
            return True
        self.accounts[email] = (replace(held[0], role=role), password_hash)
        self._end_sessions(held[0].id)
        return False

    def remove_user(self, email: str) -> bool:
        held = self.accounts.pop(email, None)
        if held is not None:
            self._end_sessions(held[0].id)
        self.attempts = [a for a in self.attempts if a[0] != email]
        return held is not None

    def credentials(self, email: str) -> tuple[StaffUser, str] | None:
        return self.accounts.get(email)

    def account(self, user_id: int) -> tuple[StaffUser, str] | None:
        return next((a for a in self.accounts.values() if a[0].id == user_id), None)

    def users(self) -> list[StaffUser]:
        return [u for u, _ in sorted(self.accounts.values(), key=lambda a: a[0].email)]

    def set_password(self, user_id: int, password_hash: str) -> None:
        held = self.account(user_id)
        if held is not None:
            self.accounts[held[0].email] = (held[0], password_hash)
            self._end_sessions(user_id)

    def set_disabled(self, user_id: int, *, disabled: bool, now: dt.datetime) -> bool:
        held = self.account(user_id)
        if held is None:
            return False
        self.accounts[held[0].email] = (replace(held[0], disabled=disabled), held[1])
        if disabled:
            self._end_sessions(user_id)
        return True

    def admit_reset(
        self,
        *,
        address_hash: str,
        client_hash: str,
        now: dt.datetime,
        since: dt.datetime,
        max_per_address: int,
        max_per_client: int,
    ) -> tuple[bool, bool]:
        self.resets = [r for r in self.resets if r[3] >= since]
        if sum(r[1] == client_hash for r in self.resets) >= max_per_client:
            return False, False
        mail = sum(r[0] == address_hash and r[2] for r in self.resets) < max_per_address
        self.resets.append((address_hash, client_hash, mail, now))
        return True, mail

    def claim_attempt(
        self,
        email: str,
        ip: str,
        *,
        now: dt.datetime,
        since: dt.datetime,
        wait: Callable[[tuple[int, dt.datetime | None], tuple[int, dt.datetime | None]], float],
    ) -> float:
        email, ip = email[:320], ip[:64]
        recent = [a for a in self.attempts if a[2] >= since]
        by_email = [a[2] for a in recent if a[0] == email]
        by_ip = [a[2] for a in recent if a[1] == ip]
        answer = wait(
            (len(by_email), max(by_email, default=None)), (len(by_ip), max(by_ip, default=None))
        )
        if answer <= 0:
            self.attempts.append((email, ip, now))
        return answer

    def clear_failures(self, email: str) -> None:
        self.attempts = [a for a in self.attempts if a[0] != email]

    def open_session(
        self, key: str, user_id: int, csrf: str, *, now: dt.datetime, expires_at: dt.datetime
    ) -> None:
        self.sessions = {k: s for k, s in self.sessions.items() if s[2] >= now}
        self.sessions[key] = (user_id, csrf, expires_at)

    def session(self, key: str, *, now: dt.datetime) -> Session | None:
        found = self.sessions.get(key)
        held = self.account(found[0]) if found else None
        if found is None or held is None or found[2] <= now or held[0].disabled:
            return None
        return Session(held[0], found[1], found[2])

    def close_session(self, key: str) -> None:
        self.sessions.pop(key, None)

    def approve(self, approval: Approval) -> None:
        self.approvals[approval.slug] = approval

    def approval(self, slug: str) -> Approval | None:
        return self.approvals.get(slug)

    def _end_sessions(self, user_id: int) -> None:
        self.sessions = {k: s for k, s in self.sessions.items() if s[0] != user_id}


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
