"""In-memory sign-up requests and the preference centre for the fast tier: the ``SignupStore``
and ``PreferenceStore`` ports (audiences/ports/) with the rules of audiences/sql/signups.py and
subscriptions.py, on the in-memory member store.

Kept: requests older than the link's life are deleted as new ones come; at most
``max_per_address`` requests per address are mailed in the window, counted where the request is
stored; a forgotten request keeps counting but holds no data; confirming makes a friend (or adds
to a held member, who is active again if they had left everything), one consent event per topic,
and lifts an ``unsubscribed`` or ``erased`` suppression; only a ``mailed`` request confirms.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from newsletter.audiences.domain.members import MemberRecord, MemberStatus
from newsletter.audiences.domain.privacy import ConsentFact, SuppressionReason
from newsletter.audiences.domain.signup import SOURCE, RequestState, SignupRequest
from newsletter.audiences.ports.preference_store import Preferences
from newsletter.audiences.ports.signup_store import Confirmed, PendingSignup
from newsletter.core.addresses import email_key
from tests.fakes.members import MemoryMemberStore, StoredMember

_LIFTED = (SuppressionReason.UNSUBSCRIBED.value, SuppressionReason.ERASED.value)


@dataclass
class StoredRequest:
    id: int
    state: RequestState
    address_hash: str
    client_hash: str
    language: str
    requested_at: dt.datetime
    request: SignupRequest | None


class MemorySignupStore:
    def __init__(self, members: MemoryMemberStore) -> None:
        self.members = members
        self.requests: dict[int, StoredRequest] = {}
        self._next = 1

    def recent(
        self,
        *,
        address_hash: str,
        client_hash: str,
        address_since: dt.datetime,
        client_since: dt.datetime,
    ) -> tuple[int, int]:
        with self.members.lock:
            return self._mailed(address_hash, address_since), sum(
                1
                for r in self.requests.values()
                if r.client_hash == client_hash and r.requested_at >= client_since
            )

    def add(
        self,
        request: SignupRequest | None,
        *,
        address_hash: str,
        client_hash: str,
        language: str,
        now: dt.datetime,
        keep_since: dt.datetime,
        address_since: dt.datetime,
        max_per_address: int,
    ) -> tuple[int, bool]:
        with self.members.lock:
            for rid in [i for i, r in self.requests.items() if r.requested_at < keep_since]:
                del self.requests[rid]
            mail = request is not None and (
                self._mailed(address_hash, address_since) < max_per_address
            )
            rid, self._next = self._next, self._next + 1
            state = RequestState.MAILED if mail else RequestState.DROPPED
            kept = request if mail else None
            self.requests[rid] = StoredRequest(
                rid, state, address_hash, client_hash, language, now, kept
            )
            return rid, mail

    def forget(self, request_id: int) -> None:
        found = self.requests.get(request_id)
        if found is not None:
            found.state, found.request = RequestState.DROPPED, None

    def pending(self, request_id: int) -> PendingSignup | None:
        r = self.requests.get(request_id)
        if r is None:
            return None
        topics = r.request.topics if r.request else ()
        return PendingSignup(r.id, r.state, r.language, tuple(topics), r.requested_at)

    def confirm(
        self, request_id: int, *, suppression_hash: Callable[[str], str], now: dt.datetime
    ) -> Confirmed | None:
        with self.members.lock:
            r = self.requests.get(request_id)
            if r is None or r.state is not RequestState.MAILED or r.request is None:
                return None
            asked = r.request
            # The request keeps its topics for the confirmation page, not the person's data.
            r.state = RequestState.CONFIRMED
            member, created = self._member(asked, now)
            for topic in asked.topics:
                member.subscriptions[topic] = ("subscribed", now)
                member.consent.append(
                    ConsentFact(topic, "subscribed", SOURCE, asked.wording_version, now)
                )
            held = suppression_hash(email_key(asked.email))
            if self.members.suppressions.get(held) in _LIFTED:
                del self.members.suppressions[held]
            return Confirmed(member.id, r.language, tuple(asked.topics), created)

    def _mailed(self, address_hash: str, since: dt.datetime) -> int:
        return sum(
            1
            for r in self.requests.values()
            if r.address_hash == address_hash
            and r.requested_at >= since
            and r.state is not RequestState.DROPPED
        )

    def _member(self, asked: SignupRequest, now: dt.datetime) -> tuple[StoredMember, bool]:
        held = self.members.by_key(email_key(asked.email))
        if held is not None:
            if held.status == MemberStatus.UNSUBSCRIBED.value:
                held.status, held.updated_at = MemberStatus.ACTIVE.value, now
            return held, False
        record = MemberRecord(
            asked.email,
            email_key(asked.email),
            first_name=asked.first_name,
            last_name=asked.last_name,
            organization=asked.organization,
            language=asked.language,
            tier="friend",
            consent_source=SOURCE,
            consent_date=now.date(),
            consent_wording=asked.wording_version,
        )
        member = StoredMember(self.members.new_id(), record, created_at=now, updated_at=now)
        self.members.members[member.id] = member
        return member, True


class MemoryPreferenceStore:
    """A member's language and topics through the signed preference link."""

    def __init__(self, members: MemoryMemberStore) -> None:
        self.members = members

    def preferences(self, member_id: int) -> Preferences | None:
        m = self.members.members.get(member_id)
        if m is None:
            return None
        topics = {t: m.subscribed(t) for t in m.subscriptions}
        return Preferences(member_id, m.record.language, topics)

    def save(
        self,
        member_id: int,
        language: str,
        topics: Mapping[str, bool],
        *,
        source: str,
        now: dt.datetime,
    ) -> int:
        with self.members.lock:
            m = self.members.members.get(member_id)
            if m is None:
                return 0
            m.record.language = language
            changed = 0
            for topic, on in sorted(topics.items()):
                if m.subscribed(topic) == on or (topic not in m.subscriptions and not on):
                    continue
                action = "subscribed" if on else "unsubscribed"
                m.subscriptions[topic] = (action, now)
                m.consent.append(ConsentFact(topic, action, source, "", now))
                changed += 1
            return changed
