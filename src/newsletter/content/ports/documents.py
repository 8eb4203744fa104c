"""The store of campaigns written in the browser (authoring/sql/stored_campaigns.py).

A stored campaign is the same mapping a ``campaigns/*.yaml`` file holds, validated as
:class:`~newsletter.content.domain.campaigns.CampaignDefinition` before it is written, so the
catalog reads both the same way (content/library.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class StoredCampaign:
    slug: str
    document: Mapping[str, Any]
    created_at: dt.datetime
    updated_at: dt.datetime
    #: The staff address (or ``cli``) that wrote this version.
    updated_by: str

    @property
    def version(self) -> str:
        """What an edit form carries, so a save can tell that someone else saved meanwhile."""
        return document_version(self.document)


def document_version(document: Mapping[str, Any]) -> str:
    """A digest of the document's content: it changes exactly when the document does (a
    timestamp would not, under a clock that stands still or two saves in one tick)."""
    canonical = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:20]


@dataclass(frozen=True, slots=True)
class Saved:
    created: bool
    #: False when the document was already stored exactly so (nothing was written).
    changed: bool
    #: The campaign had an approval, and this edit withdrew it.
    approval_dropped: bool


class CampaignDocuments(Protocol):
    def slugs(self) -> list[str]: ...

    def get(self, slug: str) -> StoredCampaign | None: ...

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
        """Store the document. ``create``: refuse (StateError) if the slug exists; otherwise
        replace it, refusing when ``expected_version`` is given and is no longer the stored
        one (someone saved in between). A changed document withdraws the campaign's approval
        in the same transaction: nothing goes out that an approver has not seen."""
        ...

    def delete(self, slug: str) -> None:
        """Remove a draft: its document, its approval record and its cancelled or skipped
        schedule rows, in one transaction. Refused (StateError) when the slug is not stored,
        when a step of it is scheduled, paused, held, sending or sent, or when the ledger has
        deliveries for it: what was sent (or may go out) keeps its record."""
        ...
