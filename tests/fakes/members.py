"""An in-memory member store for the fast tier: the ``MemberStore`` port
(content/ports/catalog.py) with the rules of audiences/sql/members.py and import_session.py on
plain dicts.

The rules kept: an import is all or nothing (a dry run or an error leaves nothing behind); an
import never changes a member's ``status`` or an existing subscription (an unsubscribe stays);
an empty or missing cell never erases a value; the update policy (``overwrite``, ``empty``,
``never``) decides the rest and every change and every value kept out is reported; new members
without topics of their own get the file's topics only with a consent source; a suppression
reason only ever gets worse. Segments are evaluated by the pure evaluator
(audiences/domain/segments.py), which the SQL compiler is tested to agree with.
"""

from __future__ import annotations

import copy
import datetime as dt
import threading
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from newsletter.audiences.domain.members import COLUMNS, MemberRecord, MemberStatus
from newsletter.audiences.domain.privacy import (
    ConsentFact,
    DeliveryFact,
    PersonData,
    SubscriptionFact,
    SuppressionReason,
)
from newsletter.audiences.domain.segments import FIELDS, MemberFacts, Rule, Segment, matches
from newsletter.audiences.domain.sources import UpdatePolicy
from newsletter.audiences.ports.members import Incoming, UpsertOutcome
from newsletter.core.addresses import AddressError, email_key, normalize_address

#: What an import may change on a held member (as audiences/sql/import_session.py UPDATABLE).
UPDATABLE = (
    "first_name",
    "last_name",
    "organization",
    "role",
    "country",
    "language",
    "tier",
    "timezone",
)
_RANK = {
    SuppressionReason.UNSUBSCRIBED.value: 1,
    SuppressionReason.BOUNCED.value: 2,
    SuppressionReason.COMPLAINED.value: 3,
    SuppressionReason.ERASED.value: 4,
}


class Received(Protocol):
    """What the member store asks the ledger: the campaigns a member was sent, and their
    deliveries (for ``received`` rules and the person's data)."""

    def received(self, member_id: int) -> frozenset[str]: ...

    def delivery_facts(self, member_id: int) -> list[DeliveryFact]: ...


@dataclass
class StoredMember:
    id: int
    record: MemberRecord
    status: str = MemberStatus.ACTIVE.value
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    #: topic -> (status, updated at)
    subscriptions: dict[str, tuple[str, dt.datetime]] = field(default_factory=dict)
    tags: set[str] = field(default_factory=set)
    consent: list[ConsentFact] = field(default_factory=list)

    def subscribed(self, topic: str) -> bool:
        found = self.subscriptions.get(topic)
        return found is not None and found[0] == "subscribed"

    def eligible(self, topic: str | None) -> bool:
        """May be mailed for ``topic``: active and subscribed (segment_compiler.eligible)."""
        return self.status == MemberStatus.ACTIVE.value and (not topic or self.subscribed(topic))


class MemoryMemberStore:
    """Members, subscriptions, tags, consent events, suppressions and import presets."""

    def __init__(self) -> None:
        self.members: dict[int, StoredMember] = {}
        self.suppressions: dict[str, str] = {}
        self.presets: dict[str, dict[str, str]] = {}
        #: Set by the in-memory ledger built on this store (tests/fakes/ledger.py).
        self.ledger: Received | None = None
        self.lock = threading.RLock()
        self._next = 1

    # -- reads --------------------------------------------------------------------------------
    def by_key(self, email_key: str) -> StoredMember | None:
        return next((m for m in self.members.values() if m.record.email_key == email_key), None)

    def facts_of(self, member: StoredMember) -> MemberFacts:
        rec = member.record
        fields = {f: str(getattr(rec, f)) for f in FIELDS if hasattr(rec, f)}
        fields["id"] = str(member.id)
        active = frozenset(t for t in member.subscriptions if member.subscribed(t))
        received = self.ledger.received(member.id) if self.ledger else frozenset()
        return MemberFacts(fields, active, frozenset(member.tags), received)

    def in_segment(
        self, segment: Segment, topic: str | None, only: Rule | None = None
    ) -> list[StoredMember]:
        """The members of ``segment`` for ``topic`` (SQL: ``segment_clause``), by id."""
        effective = topic or segment.topic
        with self.lock:
            found = []
            for m in sorted(self.members.values(), key=lambda m: m.id):
                if not m.eligible(effective):
                    continue
                facts = self.facts_of(m)
                if matches(segment.rule, facts) and (only is None or matches(only, facts)):
                    found.append(m)
            return found

    def count(self, segment: Segment, topic: str | None) -> int:
        return len(self.in_segment(segment, topic))

    def language_counts(self, segment: Segment, topic: str | None) -> dict[str, int]:
        counts: dict[str, int] = {}
        for m in self.in_segment(segment, topic):
            counts[m.record.language] = counts.get(m.record.language, 0) + 1
        return counts

    def sample(self, segment: Segment, topic: str | None, limit: int) -> list[dict[str, str]]:
        shown = ("email", "first_name", "last_name", "organization", "country", "language", "tier")
        return [
            {c: getattr(m.record, c) for c in shown}
            for m in self.in_segment(segment, topic)[:limit]
        ]

    def facts(self, email: str) -> tuple[MemberFacts, str] | None:
        with self.lock:
            member = self.by_key(lookup_key(email))
            return None if member is None else (self.facts_of(member), member.status)

    def suppression(self, suppression_hash: str) -> str | None:
        return self.suppressions.get(suppression_hash)

    def person(self, key: str, suppression_hash: str) -> PersonData | None:
        with self.lock:
            m = self.by_key(key)
            if m is None:
                return None
            profile = {c: getattr(m.record, c) for c in COLUMNS if c != "topics"}
            profile |= {"id": m.id, "status": m.status, "created_at": m.created_at}
            return PersonData(
                profile=profile,
                subscriptions=tuple(
                    SubscriptionFact(t, s, at) for t, (s, at) in sorted(m.subscriptions.items())
                ),
                consent=tuple(sorted(m.consent, key=lambda c: c.at)),
                tags=tuple(sorted(m.tags)),
                deliveries=tuple(self.ledger.delivery_facts(m.id) if self.ledger else ()),
                suppression=self.suppression(suppression_hash),
            )

    def export_rows(self, segment: Segment | None) -> Iterator[dict[str, str]]:
        with self.lock:
            chosen = (
                sorted(self.members.values(), key=lambda m: m.id)
                if segment is None
                else self.in_segment(segment, None)
            )
        for m in chosen:
            out = {c: _text(getattr(m.record, c)) for c in COLUMNS if c != "topics"}
            out["topics"] = ";".join(sorted(t for t in m.subscriptions if m.subscribed(t)))
            yield {c: out[c] for c in COLUMNS} | {"status": m.status}

    # -- writes -------------------------------------------------------------------------------
    @contextmanager
    def importing(
        self,
        *,
        tag: str | None,
        now: dt.datetime,
        dry_run: bool,
        policy: UpdatePolicy = "overwrite",
        topics: frozenset[str] = frozenset(),
    ) -> Iterator[MemoryImport]:
        """One 'transaction': the session works on a copy that replaces the store only when
        the import ends without an error and is not a dry run."""
        with self.lock:
            draft = MemoryMemberStore()
            draft.members = copy.deepcopy(self.members)
            draft.suppressions = dict(self.suppressions)
            draft._next = self._next
            yield MemoryImport(draft, tag, now, policy, topics)
            if not dry_run:
                self.members, self.suppressions = draft.members, draft.suppressions
                self._next = draft._next

    def unsubscribe(self, member_id: int, topic: str, *, source: str, now: dt.datetime) -> bool:
        with self.lock:
            m = self.members.get(member_id)
            if m is None or not m.subscribed(topic):
                return False
            m.subscriptions[topic] = ("unsubscribed", now)
            m.consent.append(ConsentFact(topic, "unsubscribed", source, "", now))
            return True

    def erase(self, key: str, suppression_hash: str, *, now: dt.datetime) -> bool:
        with self.lock:
            m = self.by_key(key)
            if m is not None:
                del self.members[m.id]
            self.suppressions[suppression_hash] = SuppressionReason.ERASED.value
            return m is not None

    def suppress(self, email_hash: str, reason: str) -> None:
        """A reason only ever gets worse (audiences/sql/standing.py ``suppress``)."""
        held = self.suppressions.get(email_hash)
        if held is None or _RANK.get(held, 0) < _RANK[reason]:
            self.suppressions[email_hash] = reason

    def import_preset(self, system: str) -> dict[str, str]:
        return dict(self.presets.get(system, {}))

    def save_import_preset(
        self, system: str, mapping: dict[str, str], *, by: str, now: dt.datetime
    ) -> None:
        self.presets[system] = dict(mapping)

    def new_id(self) -> int:
        self._next += 1
        return self._next - 1


class MemoryImport:
    """The ``ImportSession`` of one in-memory import (rules of ``SqlImport``)."""

    def __init__(
        self,
        store: MemoryMemberStore,
        tag: str | None,
        now: dt.datetime,
        policy: UpdatePolicy,
        topics: frozenset[str],
    ) -> None:
        self.store, self.tag, self.now = store, tag, now
        self.policy, self.topics = policy, topics

    def suppressed(self, hashes: Collection[str]) -> dict[str, str]:
        held = self.store.suppressions
        return {h: held[h] for h in hashes if h in held}

    def suppress(self, hashes: Mapping[str, str]) -> None:
        for email_hash, reason in sorted(hashes.items()):
            self.store.suppress(email_hash, reason)

    def upsert(self, rows: Sequence[Incoming]) -> UpsertOutcome:
        outcome = UpsertOutcome()
        for index, incoming in enumerate(rows):
            rec = incoming.record
            held = self.store.by_key(rec.email_key)
            if held is None:
                self._insert(index, rec, outcome)
            else:
                self._update(index, held, incoming, outcome)
        return outcome

    def _insert(self, index: int, rec: MemberRecord, outcome: UpsertOutcome) -> None:
        mid = self.store.new_id()
        member = StoredMember(mid, copy.copy(rec), created_at=self.now, updated_at=self.now)
        member.record.topics = frozenset()
        topics = rec.topics or (self.topics if rec.consent_source else frozenset())
        if not topics:
            outcome.idle.append(index)
        for topic in sorted(topics):
            member.subscriptions[topic] = ("subscribed", self.now)
            member.consent.append(self._consent(topic, rec))
        if self.tag:
            member.tags.add(self.tag)
        self.store.members[mid] = member
        outcome.imported.append(index)

    def _update(
        self, index: int, held: StoredMember, incoming: Incoming, outcome: UpsertOutcome
    ) -> None:
        rec, given = incoming.record, incoming.given
        changes: list[str] = []
        kept: list[str] = []
        for f in UPDATABLE:
            new, old = getattr(rec, f), getattr(held.record, f)
            if new == old or f not in given:
                continue
            if self.policy == "overwrite" or (self.policy == "empty" and old == ""):
                changes.append(f)
            else:
                kept.append(f"{f}: kept {old!r} (the file has {new!r})")
        if kept:
            outcome.kept[index] = tuple(kept)
        described = [f"{f}: {getattr(held.record, f)!r} → {getattr(rec, f)!r}" for f in changes]
        for f in changes:
            setattr(held.record, f, getattr(rec, f))
        if changes:
            held.updated_at = self.now
        before = {t: s for t, (s, _) in held.subscriptions.items()}
        for topic in sorted(rec.topics - before.keys()):
            held.subscriptions[topic] = ("subscribed", self.now)
            held.consent.append(self._consent(topic, rec))
            described.append(f"topic +{topic}")
        if self.tag and self.tag not in held.tags:
            held.tags.add(self.tag)
            described.append(f"tag +{self.tag}")
        if described:
            outcome.updated[index] = tuple(described)
        else:
            outcome.unchanged.append(index)
        notes = []
        if held.status != MemberStatus.ACTIVE.value:
            notes.append(f"address is {held.status}: kept so, nothing will be sent to it")
        stays = sorted(t for t in rec.topics if before.get(t, "subscribed") != "subscribed")
        if stays:
            notes.append(f"stays unsubscribed from {', '.join(stays)}")
        if notes:
            outcome.notes[index] = tuple(notes)

    def _consent(self, topic: str, rec: MemberRecord) -> ConsentFact:
        # Dated when the source says consent was given (GDPR Art. 7(1)), else now.
        day = rec.consent_date
        at = dt.datetime.combine(day, dt.time(), dt.UTC) if day else self.now
        return ConsentFact(topic, "subscribed", rec.consent_source, rec.consent_wording, at)


def lookup_key(email: str) -> str:
    """The dedupe key of an address as typed by staff (as audiences/sql/members.py)."""
    try:
        return normalize_address(email)[1]
    except AddressError:
        return email_key(email)


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
