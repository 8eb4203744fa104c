"""The member store: what the audience use cases read and write about members (imports,
counts, samples, facts, unsubscribes, a person's data and its erasure)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Protocol

from newsletter.audiences.domain.members import MemberRecord
from newsletter.audiences.domain.privacy import PersonData
from newsletter.audiences.domain.segments import MemberFacts, Segment
from newsletter.audiences.domain.sources import UpdatePolicy


@dataclass(slots=True)  # not frozen: built once per row, see domain.members.MemberRecord
class Incoming:
    """A validated row on its way into the store, with the columns it actually filled: only
    those may change a stored member (an empty or missing cell never erases what we hold)."""

    record: MemberRecord
    given: frozenset[str]


@dataclass(frozen=True, slots=True)
class UpsertOutcome:
    """Per index into the rows given: what happened. Status and unsubscribes are never changed."""

    imported: list[int] = field(default_factory=list)
    updated: dict[int, tuple[str, ...]] = field(default_factory=dict)  # index -> what changed
    unchanged: list[int] = field(default_factory=list)
    notes: dict[int, tuple[str, ...]] = field(default_factory=dict)  # e.g. kept unsubscribed
    #: index -> the file's differing values the update policy kept out ("field: 'held' (file:
    #: 'new')").
    kept: dict[int, tuple[str, ...]] = field(default_factory=dict)
    #: New members subscribed to no topic: they will receive nothing.
    idle: list[int] = field(default_factory=list)


class ImportSession(Protocol):
    """One import, one transaction: rolled back on error or for a dry run."""

    def suppressed(self, hashes: Collection[str]) -> dict[str, str]:
        """Suppression reason by hash, for the hashes that are suppressed."""
        ...

    def upsert(self, rows: Sequence[Incoming]) -> UpsertOutcome: ...

    def suppress(self, hashes: Mapping[str, str]) -> None:
        """Add suppressions: reason by hash (a held reason only ever gets worse)."""
        ...


class MemberStore(Protocol):
    def importing(
        self,
        *,
        tag: str | None,
        now: dt.datetime,
        dry_run: bool,
        policy: UpdatePolicy = "overwrite",
        topics: frozenset[str] = frozenset(),
    ) -> AbstractContextManager[ImportSession]:
        """``topics``: what a new member whose row names none is subscribed to."""
        ...

    def import_preset(self, system: str) -> dict[str, str]:
        """The column mapping last saved for files from ``system`` (column -> field)."""
        ...

    def save_import_preset(
        self, system: str, mapping: dict[str, str], *, by: str, now: dt.datetime
    ) -> None: ...

    def count(self, segment: Segment, topic: str | None) -> int: ...

    def language_counts(self, segment: Segment, topic: str | None) -> dict[str, int]:
        """:meth:`count`, per member language."""
        ...

    def sample(self, segment: Segment, topic: str | None, limit: int) -> list[dict[str, str]]: ...

    def facts(self, email: str) -> tuple[MemberFacts, str] | None:
        """The member's facts and global status, or None if unknown."""
        ...

    def unsubscribe(self, member_id: int, topic: str, *, source: str, now: dt.datetime) -> bool:
        """End one topic subscription; True if it changed (repeats are harmless)."""
        ...

    def person(self, key: str, suppression_hash: str) -> PersonData | None:
        """Everything held about the member with this dedupe key (GDPR Art. 15)."""
        ...

    def erase(self, key: str, suppression_hash: str, *, now: dt.datetime) -> bool:
        """Delete the member (cascading) and keep only the hash as ``erased``; True if a
        member was deleted. The hash is stored either way."""
        ...

    def suppression(self, suppression_hash: str) -> str | None: ...

    def export_rows(self, segment: Segment | None) -> Iterator[dict[str, str]]:
        """Members (of a segment, or all) as canonical columns plus ``status``, by id."""
        ...
