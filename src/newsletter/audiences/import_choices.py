"""What staff decide once for a whole member file: the consent statement, topics for new
people, the update policy for people already held, and the columns left out."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from newsletter.audiences.domain.sources import UpdatePolicy
from newsletter.errors import InputError


@dataclass(frozen=True, slots=True)
class FileConsent:
    """Consent stated once for a whole file: where these people agreed, when, and which staff
    member confirmed it (GDPR Art. 7(1): we must be able to show it). Recorded per person as
    the source of their consent events."""

    source: str
    date: dt.date
    confirmed_by: str

    def __post_init__(self) -> None:
        if not self.source.strip():
            raise InputError("say where these people gave their consent (the consent source)")
        if not self.confirmed_by.strip():
            raise InputError("a staff member must confirm that these people agreed")

    @property
    def text(self) -> str:
        """What each consent event records as its source (the column holds 200 characters)."""
        by = f" (confirmed by {self.confirmed_by.strip()})"
        return self.source.strip()[: 200 - len(by)] + by


@dataclass(frozen=True, slots=True)
class ImportChoices:
    """What staff decide for a whole file."""

    consent: FileConsent | None = None
    #: Topics for new people whose row names none (needs a consent source).
    topics: frozenset[str] = frozenset()
    policy: UpdatePolicy = "overwrite"
    #: Columns left out, with why: shown in the report so nothing is dropped silently.
    ignored: tuple[tuple[str, str], ...] = ()
    system: str = ""
