"""An in-memory delivery ledger for the fast tier: the ``Ledger`` port (delivery/ports.py) with
the rules of delivery/sql/ledger.py, leases.py, campaign_rows.py and ledger_review.py.

The rules kept: one row per (campaign, step, member), planned idempotently from the members the
segment holds now; a claim re-checks eligibility (rows of members no longer eligible become
``suppressed``) and moves up to ``limit`` pending rows of one variant, in id order, to
``sending`` with an attempt counted; outcomes move rows only from the states the SQL store moves
them from (``sent`` from ``sending`` or ``unknown`` ...); a claim names its owner, and a
provably dead owner's rows are settled at once, others' once their lease ran out (request
started -> ``unknown``, else ``pending`` with the attempt refunded). Whether an owner is dead is
decided by the same pure rule (delivery/domain/claims.py) on this machine's process table, as
the SQL store does on SQLite (PostgreSQL's database sessions have no twin here).

tests/delivery/test_ledger_contract.py runs the same behaviour against this and the SQL ledger.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from newsletter.audiences.domain.deliveries import (
    DeliveryCounts,
    DeliveryStatus,
    FailureKind,
    Recipient,
)
from newsletter.audiences.domain.privacy import DeliveryFact
from newsletter.audiences.domain.segments import Rule, Segment
from newsletter.content.domain.campaigns import CampaignDefinition, CampaignState
from newsletter.delivery.domain.claims import ClaimOwner, Recovery, process_dead
from newsletter.delivery.sql.owners import process_start, this_process
from tests.fakes.members import MemoryMemberStore

S = DeliveryStatus


@dataclass
class Row:
    id: int
    campaign_id: int
    step: str
    member_id: int
    language: str
    status: DeliveryStatus
    created_at: dt.datetime
    updated_at: dt.datetime
    attempts: int = 0
    claimed_by: str | None = None
    request_started_at: dt.datetime | None = None
    sent_at: dt.datetime | None = None
    provider_message_id: str | None = None
    last_error: str | None = None
    failure_kind: str | None = None


@dataclass
class CampaignRow:
    id: int
    slug: str
    title: str
    topic: str
    state: CampaignState
    definition: dict[str, Any]


def _locked(method: Callable[..., Any]) -> Any:
    """One 'transaction' per call: the batch sender calls the ledger from worker threads."""

    def run(self: MemoryLedger, *args: Any, **kwargs: Any) -> Any:
        with self.members.lock:
            return method(self, *args, **kwargs)

    return functools.wraps(method)(run)


class MemoryLedger:
    def __init__(self, members: MemoryMemberStore | None = None) -> None:
        self.members = members if members is not None else MemoryMemberStore()
        self.members.ledger = self
        self.campaigns: dict[int, CampaignRow] = {}
        self.rows: dict[int, Row] = {}
        self._keys: dict[tuple[int, str, int], int] = {}

    # -- campaign rows ------------------------------------------------------------------------
    @_locked
    def ensure_campaign(self, campaign: CampaignDefinition, *, now: dt.datetime) -> int:
        found = self._campaign(campaign.slug)
        definition = campaign.model_dump(mode="json", by_alias=True)
        if found is None:
            cid = len(self.campaigns) + 1
            found = CampaignRow(cid, campaign.slug, "", "", CampaignState.DRAFT, {})
            self.campaigns[cid] = found
        found.title, found.topic, found.definition = campaign.title, campaign.topic, definition
        return found.id

    @_locked
    def campaign_id(self, slug: str) -> int | None:
        found = self._campaign(slug)
        return None if found is None else found.id

    @_locked
    def set_state(self, campaign_id: int, state: CampaignState, *, now: dt.datetime) -> None:
        if campaign_id in self.campaigns:
            self.campaigns[campaign_id].state = state

    @_locked
    def sending_campaigns(self) -> list[tuple[int, str]]:
        return [
            (c.id, c.slug) for c in self._sorted_campaigns() if c.state is CampaignState.SENDING
        ]

    # -- planning and claims ------------------------------------------------------------------
    @_locked
    def plan(
        self,
        campaign_id: int,
        step: str,
        segment: Segment,
        topic: str,
        variants: Mapping[str, str],
        default_language: str,
        *,
        now: dt.datetime,
        only: Rule | None = None,
    ) -> int:
        planned = 0
        for member in self.members.in_segment(segment, topic, only):
            key = (campaign_id, step, member.id)
            if key in self._keys:
                continue
            rid = len(self.rows) + 1
            language = variants.get(member.record.language, default_language)
            self.rows[rid] = Row(rid, campaign_id, step, member.id, language, S.PENDING, now, now)
            self._keys[key] = rid
            planned += 1
        return planned

    @_locked
    def has_pending(self, campaign_id: int, step: str) -> bool:
        return any(r.status is S.PENDING for r in self._of(campaign_id, step))

    @_locked
    def pending_languages(self, campaign_id: int, step: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for r in self._of(campaign_id, step):
            if r.status is S.PENDING:
                counts[r.language] = counts.get(r.language, 0) + 1
        return dict(sorted(counts.items()))

    def owner(self) -> str:
        return this_process().token()

    @_locked
    def claim(
        self,
        campaign_id: int,
        step: str,
        language: str,
        topic: str,
        limit: int,
        *,
        now: dt.datetime,
        owner: str | None = None,
        after: int = 0,
    ) -> tuple[list[Recipient], int]:
        picked = [
            r
            for r in self._of(campaign_id, step)
            if r.language == language and r.status is S.PENDING and r.id > after
        ][:limit]
        recipients: list[Recipient] = []
        suppressed = 0
        for r in picked:
            member = self.members.members.get(r.member_id)
            if member is None:  # erased: the SQL join finds no member, the row stays
                continue
            if not member.eligible(topic):
                self._set(r, S.SUPPRESSED, now, last_error="no longer eligible at send time")
                suppressed += 1
                continue
            self._set(
                r,
                S.SENDING,
                now,
                attempts=r.attempts + 1,
                claimed_by=owner,
                request_started_at=None,
            )
            rec = member.record
            recipients.append(
                Recipient(
                    r.id,
                    member.id,
                    rec.email,
                    rec.first_name,
                    rec.last_name,
                    rec.organization,
                    rec.language,
                    timezone=rec.timezone,
                )
            )
        return recipients, suppressed

    @_locked
    def start_request(self, ids: Sequence[int], owner: str, *, now: dt.datetime) -> bool:
        rows = [self.rows.get(i) for i in ids]
        if any(r is None or r.status is not S.SENDING or r.claimed_by != owner for r in rows):
            return False
        for r in rows:
            assert r is not None
            r.request_started_at, r.updated_at = now, now
        return True

    @_locked
    def renew(self, ids: Sequence[int], *, now: dt.datetime, owner: str | None = None) -> None:
        for r in self._ids(ids, (S.SENDING,)):
            if owner is None or r.claimed_by == owner:
                r.updated_at = now

    @_locked
    def recover_claims(
        self, campaign_id: int, step: str, *, now: dt.datetime, lease_seconds: float
    ) -> Recovery:
        expired = now - dt.timedelta(seconds=lease_seconds)
        here = this_process()
        found = Recovery()
        held: dict[str | None, list[Row]] = {}
        for r in self._of(campaign_id, step):
            if r.status is S.SENDING:
                held.setdefault(r.claimed_by, []).append(r)
        for token, rows in held.items():
            owner = ClaimOwner.parse(token)
            dead = owner is not None and process_dead(owner, here, process_start)
            unknown = released = 0
            for r in rows:
                if not dead and r.updated_at >= expired:
                    continue
                if r.request_started_at is not None or owner is None:
                    why = (
                        "its sender stopped while the request was in flight; it may have been sent"
                    )
                    self._set(r, S.UNKNOWN, now, last_error=why)
                    unknown += 1
                else:
                    why = "released: its sender stopped before the request started"
                    self._set(
                        r, S.PENDING, now, claimed_by=None, attempts=r.attempts - 1, last_error=why
                    )
                    released += 1
            found.unknown += unknown
            found.released += released
            who = owner.describe() if owner else "a sender"
            if len(rows) - unknown - released > 0:
                found.held[who] = found.held.get(who, 0) + len(rows) - unknown - released
            if dead and unknown + released:
                found.dead_owners.append(who)
        return found

    # -- outcomes -----------------------------------------------------------------------------
    @_locked
    def mark_sent(self, ids: Sequence[int], provider_id: str | None, *, now: dt.datetime) -> None:
        for r in self._ids(ids, (S.SENDING, S.UNKNOWN)):
            self._set(
                r,
                S.SENT,
                now,
                provider_message_id=provider_id,
                sent_at=now,
                last_error=None,
                failure_kind=None,
            )

    @_locked
    def mark_failed(
        self,
        ids: Sequence[int],
        error: str,
        *,
        now: dt.datetime,
        kind: FailureKind = FailureKind.PERMANENT,
    ) -> None:
        for r in self._ids(ids, (S.SENDING, S.UNKNOWN)):
            self._set(r, S.FAILED, now, last_error=error[:2000], failure_kind=kind.value)

    @_locked
    def mark_unknown(self, ids: Sequence[int], error: str, *, now: dt.datetime) -> None:
        for r in self._ids(ids, (S.SENDING,)):
            self._set(r, S.UNKNOWN, now, last_error=error[:2000])

    @_locked
    def release(
        self,
        ids: Sequence[int],
        error: str,
        *,
        now: dt.datetime,
        max_attempts: int = 5,
        refund: bool = False,
    ) -> None:
        for r in self._ids(ids, (S.SENDING,)):
            if refund:
                status, attempts, kind = S.PENDING, r.attempts - 1, r.failure_kind
            elif r.attempts >= max_attempts:
                status, attempts, kind = S.FAILED, r.attempts, FailureKind.TRANSIENT.value
            else:
                status, attempts, kind = S.PENDING, r.attempts, None
            self._set(
                r,
                status,
                now,
                attempts=attempts,
                failure_kind=kind,
                last_error=error[:2000],
                claimed_by=None,
                request_started_at=None,
            )

    @_locked
    def unknown_ids(self, campaign_id: int, step: str) -> list[int]:
        return [r.id for r in self._of(campaign_id, step) if r.status is S.UNKNOWN]

    @_locked
    def settle_unknown(
        self, sent: Sequence[int], absent: Sequence[int], *, now: dt.datetime
    ) -> None:
        for r in self._ids(sent, (S.UNKNOWN,)):
            self._set(r, S.SENT, now, sent_at=now, last_error=None, failure_kind=None)
        for r in self._ids(absent, (S.UNKNOWN,)):
            self._set(
                r,
                S.PENDING,
                now,
                claimed_by=None,
                request_started_at=None,
                last_error="not in the outbox after a crash: sent again",
            )

    @_locked
    def requeue_unknown(
        self,
        campaign_id: int,
        step: str,
        *,
        older_than: dt.datetime,
        now: dt.datetime,
        max_attempts: int = 5,
    ) -> int:
        requeued = 0
        for r in self._of(campaign_id, step):
            if r.status is not S.UNKNOWN or r.updated_at >= older_than:
                continue
            if r.attempts >= max_attempts:
                self._set(
                    r,
                    S.FAILED,
                    now,
                    failure_kind=FailureKind.TRANSIENT.value,
                    last_error="ended unknown on every attempt; not resent again",
                )
            else:
                self._set(r, S.PENDING, now, last_error="resent: the earlier attempt ended unknown")
                requeued += 1
        return requeued

    @_locked
    def resolve_unknown(
        self, campaign_id: int, step: str | None, to: DeliveryStatus, *, now: dt.datetime
    ) -> int:
        if to not in (S.PENDING, S.SENT):
            raise ValueError(f"unknown rows can only become pending or sent, not {to}")
        rows = [r for r in self._of(campaign_id, step) if r.status is S.UNKNOWN]
        for r in rows:
            if to is S.SENT:
                self._set(r, to, now, sent_at=now, last_error="marked sent by staff")
            else:
                self._set(r, to, now, last_error="resent by staff decision")
        return len(rows)

    @_locked
    def retry_failed(self, campaign_id: int, step: str | None, *, now: dt.datetime) -> int:
        rows = [
            r
            for r in self._of(campaign_id, step)
            if r.status is S.FAILED and r.failure_kind == FailureKind.TRANSIENT.value
        ]
        for r in rows:
            self._set(r, S.PENDING, now, attempts=0, failure_kind=None)
        return len(rows)

    # -- what staff review --------------------------------------------------------------------
    @_locked
    def counts(self, campaign_id: int, step: str | None = None) -> DeliveryCounts:
        found = {s.value: 0 for s in DeliveryStatus}
        for r in self._of(campaign_id, step):
            found[r.status.value] += 1
        return DeliveryCounts(**found)

    @_locked
    def failure_kinds(self, campaign_id: int, step: str | None = None) -> dict[str, int]:
        kinds: dict[str, int] = {}
        for r in self._of(campaign_id, step):
            if r.status is S.FAILED:
                kind = r.failure_kind or FailureKind.PERMANENT.value
                kinds[kind] = kinds.get(kind, 0) + 1
        return kinds

    @_locked
    def unknown_rows(self, campaign_id: int, limit: int = 50) -> list[dict[str, Any]]:
        rows = [r for r in self._of(campaign_id, None) if r.status is S.UNKNOWN][:limit]
        return [
            {
                "id": r.id,
                "step": r.step,
                "email": self.members.members[r.member_id].record.email,
                "attempts": r.attempts,
                "last_error": r.last_error,
                "updated_at": r.updated_at,
            }
            for r in rows
            if r.member_id in self.members.members
        ]

    @_locked
    def first_sent_at(self, campaign_id: int) -> dt.datetime | None:
        sent = [r.sent_at for r in self._of(campaign_id, None) if r.status is S.SENT and r.sent_at]
        return min(sent, default=None)

    def has_row(self, campaign_id: int, step: str, member_id: int) -> bool:
        return (campaign_id, step, member_id) in self._keys

    @_locked
    def add_row(
        self,
        campaign_id: int,
        step: str,
        member_id: int,
        language: str,
        status: DeliveryStatus,
        now: dt.datetime,
        last_error: str | None = None,
    ) -> bool:
        """One row unless the (campaign, step, member) key has one: what the schedule store's
        exclusions and notices write (scheduling/sql/audience.py)."""
        key = (campaign_id, step, member_id)
        if key in self._keys:
            return False
        rid = len(self.rows) + 1
        self.rows[rid] = Row(
            rid, campaign_id, step, member_id, language, status, now, now, last_error=last_error
        )
        self._keys[key] = rid
        return True

    # -- what the member store asks (tests/fakes/members.Received) ----------------------------
    def received(self, member_id: int) -> frozenset[str]:
        return frozenset(
            self.campaigns[r.campaign_id].slug
            for r in self.rows.values()
            if r.member_id == member_id and r.status is S.SENT
        )

    def delivery_facts(self, member_id: int) -> list[DeliveryFact]:
        rows = sorted(
            (r for r in self.rows.values() if r.member_id == member_id),
            key=lambda r: (r.created_at, r.id),
        )
        return [
            DeliveryFact(
                self.campaigns[r.campaign_id].slug,
                self.campaigns[r.campaign_id].title,
                r.step,
                r.status.value,
                r.language,
                r.sent_at,
                r.provider_message_id,
            )
            for r in rows
        ]

    # -- helpers ------------------------------------------------------------------------------
    def _campaign(self, slug: str) -> CampaignRow | None:
        return next((c for c in self.campaigns.values() if c.slug == slug), None)

    def _sorted_campaigns(self) -> list[CampaignRow]:
        return sorted(self.campaigns.values(), key=lambda c: c.id)

    def _of(self, campaign_id: int, step: str | None) -> list[Row]:
        return [
            r
            for r in self.rows.values()
            if r.campaign_id == campaign_id
            and (step is None or r.step == step)
            and r.member_id in self.members.members  # erasure cascades to deliveries
        ]

    def _ids(self, ids: Sequence[int], sources: tuple[DeliveryStatus, ...]) -> list[Row]:
        found = (self.rows.get(int(i)) for i in ids)
        return [r for r in found if r is not None and r.status in sources]

    @staticmethod
    def _set(row: Row, status: DeliveryStatus, now: dt.datetime, **values: Any) -> None:
        row.status, row.updated_at = status, now
        for name, value in values.items():
            setattr(row, name, value)
