"""One catalog of campaigns: files in ``campaigns/`` and documents written in the browser.

A campaign made in the staff app is stored as the very mapping a campaign file holds, and read
back through the same :class:`CampaignDefinition` validation, so preview, validation, approval,
scheduling and sending cannot tell the two apart. A slug lives in exactly one place: a file and
a database campaign with the same slug is an error that names both, never a silent choice of one
(the ledger, approvals and schedules are all keyed by slug).

The library is both the :class:`~newsletter.content.ports.catalog.Catalog` every use case reads and
the :class:`~newsletter.content.ports.documents.CampaignDocuments` store the authoring use
cases write, so the clash check sits on the one path every write takes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

from pydantic import ValidationError

from newsletter.audiences.domain.segments import Segment
from newsletter.content.domain.campaigns import CampaignDefinition
from newsletter.content.ports.catalog import Catalog
from newsletter.content.ports.documents import CampaignDocuments, Saved, StoredCampaign
from newsletter.errors import CampaignError, InputError

#: How a database campaign is named where a file campaign shows its path (problem lists,
#: ``campaigns list``); also accepted as a reference.
DB_PREFIX = "database:"
_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")


class CampaignFiles(Protocol):
    """What :class:`newsletter.content.files.project_files.ProjectFiles` offers."""

    def template(self, name: str) -> str: ...

    def ui_strings(self) -> dict[str, dict[str, str]]: ...

    def segments(self) -> dict[str, Segment]: ...

    def segment(self, name: str) -> Segment: ...

    def campaign(self, ref: str) -> tuple[CampaignDefinition, Path]: ...

    def campaign_paths(self) -> Iterator[Path]: ...

    def campaign_path(self, ref: str) -> Path: ...


def location(slug: str) -> Path:
    return Path(f"{DB_PREFIX}{slug}")


def explain_validation(exc: ValidationError) -> str:
    """``content.budget: Input should be greater than 0 (and 2 more)``: the first problem by
    its field path, as the file reader reports it."""
    first = exc.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or "(top level)"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{field}: {first['msg']}{more}"


def definition_of(stored: StoredCampaign) -> CampaignDefinition:
    try:
        return CampaignDefinition.model_validate({**stored.document, "slug": stored.slug})
    except ValidationError as exc:
        # Stored documents were valid when written; a later, stricter model can refuse one.
        raise CampaignError(explain_validation(exc), location=str(location(stored.slug))) from exc


class CampaignLibrary:
    def __init__(self, files: CampaignFiles, store: CampaignDocuments) -> None:
        self.files = files
        self.store = store

    # -- the Catalog --------------------------------------------------------------------------
    def campaign(self, ref: str) -> tuple[CampaignDefinition, Path]:
        slug = ref.removeprefix(DB_PREFIX)
        stored = self.store.get(slug) if _SLUG_RE.match(slug) else None
        if stored is None:
            if ref.startswith(DB_PREFIX):
                raise CampaignError(f"no campaign {slug!r} in the database")
            return self.files.campaign(ref)
        self._refuse_clash(slug)
        return definition_of(stored), location(slug)

    def campaign_paths(self) -> Iterator[Path]:
        return self.files.campaign_paths()

    def template(self, name: str) -> str:
        return self.files.template(name)

    def ui_strings(self) -> dict[str, dict[str, str]]:
        return self.files.ui_strings()

    def segments(self) -> dict[str, Segment]:
        return self.files.segments()

    def segment(self, name: str) -> Segment:
        return self.files.segment(name)

    # -- the document store ------------------------------------------------------------------
    def slugs(self) -> list[str]:
        return self.store.slugs()

    def get(self, slug: str) -> StoredCampaign | None:
        return self.store.get(slug)

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
        self._refuse_clash(slug)
        return self.store.save(
            slug, document, by=by, now=now, create=create, expected_version=expected_version
        )

    def delete(self, slug: str) -> None:
        self.store.delete(slug)

    # -- where a slug lives ------------------------------------------------------------------
    def file_of(self, slug: str) -> Path | None:
        """The campaign file with this slug (its name, or its ``slug:`` key), if any."""
        try:
            return self.files.campaign_path(slug)
        except InputError:  # not found, or an unreadable file: no clash to report
            return None

    def _refuse_clash(self, slug: str) -> None:
        path = self.file_of(slug)
        if path is not None:
            raise CampaignError(
                f"the slug {slug!r} is both the file {path} and a campaign in the database; "
                "a slug lives in one place: rename one of them "
                "(newsletter campaigns export / import --slug)",
                location=str(location(slug)),
            )


def campaign_refs(catalog: Catalog, documents: CampaignDocuments | None) -> list[str]:
    """Every campaign as a reference ``catalog.campaign`` takes: file paths first, then the
    database's (``database:<slug>``), for the lists in the CLI and the staff app."""
    refs = [str(p) for p in catalog.campaign_paths()]
    return refs + [str(location(s)) for s in (documents.slugs() if documents else [])]


def label_of(ref: str) -> str:
    """The slug a list shows for a reference that failed to load."""
    return ref.removeprefix(DB_PREFIX) if ref.startswith(DB_PREFIX) else Path(ref).stem
