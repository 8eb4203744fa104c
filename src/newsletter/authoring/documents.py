"""Writing campaigns without files: save from the browser, import and export YAML, live preview.

Every write goes through :class:`~newsletter.content.domain.campaigns.CampaignDefinition` first, so
what is stored is a document that would also be a valid campaign file, and the normal form
(:func:`document_of`) makes ``export`` then ``import`` give back the same campaign.

The live preview renders a draft that is not stored: the catalog is overlaid with the draft and
:func:`newsletter.content.composing.preview` runs unchanged, so the email shown while typing is
the one a member would get from the saved campaign. The one difference is on purpose: a draft's
preview does not record calendar revisions (every keystroke would raise the ``.ics`` SEQUENCE),
which changes only the SEQUENCE inside the attachment, never the HTML or the text.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newsletter.audiences.domain.segments import Segment
from newsletter.authoring.ports import AuthoringServices
from newsletter.content import composing
from newsletter.content.domain.campaigns import MAIN_STEP, CampaignDefinition
from newsletter.content.library import DB_PREFIX
from newsletter.content.ports.catalog import Catalog
from newsletter.content.ports.documents import CampaignDocuments, Saved, StoredCampaign
from newsletter.content.rendering.compose import OutboundMessage
from newsletter.content.rendering.ics import Revision
from newsletter.errors import CampaignError, NewsletterError
from newsletter.scheduling.milestones import ScheduledCatalog

#: Words the staff app uses under /staff/campaigns/ (``new``, the live ``preview``): a
#: campaign with such a slug could not be reached there.
RESERVED_SLUGS = frozenset({"new", "preview"})
#: The order a campaign file is written in (the sample files' order); other keys follow.
KEY_ORDER = (
    "slug",
    "title",
    "kind",
    "template",
    "audience",
    "topic",
    "languages",
    "default_language",
    "categories",
    "fallbacks",
    "content",
    "milestones",
    "subject",
    "preheader",
    "copy",
    "reminders",
)


def document_of(campaign: CampaignDefinition) -> dict[str, Any]:
    """The campaign as the plain mapping a campaign file holds: JSON types only (dates as
    ISO 8601, amounts as strings, durations as ISO 8601 ``P3D``), no empty or unset parts.
    Validating it again gives an equal campaign."""
    raw = campaign.model_dump(mode="json", by_alias=True, exclude_none=True)
    ordered = {k: raw[k] for k in KEY_ORDER if k in raw}
    ordered.update((k, v) for k, v in raw.items() if k not in ordered)
    tidy: dict[str, Any] = _without_empty(ordered)
    return tidy


def _without_empty(value: Any) -> Any:
    """Drop empty lists and mappings under every key: each is its field's default."""
    if isinstance(value, dict):
        return {k: _without_empty(v) for k, v in value.items() if v not in ({}, [])}
    if isinstance(value, list):
        return [_without_empty(v) for v in value]
    return value


def documents(ctx: AuthoringServices) -> CampaignDocuments:
    if ctx.campaign_documents is None:
        raise NewsletterError("this installation keeps campaigns in files only")
    return ctx.campaign_documents


def stored(ctx: AuthoringServices, slug: str) -> StoredCampaign | None:
    """The database campaign with this slug; None for file campaigns and unknown slugs."""
    return documents(ctx).get(slug) if ctx.campaign_documents is not None else None


def save(
    ctx: AuthoringServices,
    campaign: CampaignDefinition,
    *,
    by: str,
    create: bool,
    expected_version: str | None = None,
) -> Saved:
    """Store a validated campaign (created in the browser, edited, or imported). A changed
    campaign loses its approval; a slug a file already has is refused."""
    if campaign.slug in RESERVED_SLUGS:
        raise CampaignError(f"slug: {campaign.slug!r} is a word the staff app uses; choose another")
    return documents(ctx).save(
        campaign.slug,
        document_of(campaign),
        by=by,
        now=ctx.clock.now(),
        create=create,
        expected_version=expected_version,
    )


def import_campaign(
    ctx: AuthoringServices, campaign: CampaignDefinition, *, by: str = "cli", replace: bool = False
) -> Saved:
    """``newsletter campaigns import``: a new database campaign, or (``replace``) a new version
    of one that exists."""
    exists = documents(ctx).get(campaign.slug) is not None
    if exists and not replace:
        raise CampaignError(
            f"{campaign.slug} is already in the database; give --replace to overwrite it"
        )
    return save(ctx, campaign, by=by, create=not exists)


def duplicate(ctx: AuthoringServices, ref: str, *, by: str) -> CampaignDefinition:
    """A new database campaign copied from any campaign (file or database) as written: the
    next free slug ``<slug>-copy``, ``<slug>-copy-2``, ... and "(copy)" in its title. The
    copy starts unapproved and unscheduled, like any new campaign."""
    original, _ = as_written(ctx).campaign(ref)
    base = f"{original.slug[:70]}-copy"
    taken = set(documents(ctx).slugs())
    taken |= {p.stem for p in ctx.catalog.campaign_paths()}
    slug = next(s for s in (base, *(f"{base}-{n}" for n in range(2, 1000))) if s not in taken)
    copy = original.model_copy(update={"slug": slug, "title": f"{original.title} (copy)"})
    save(ctx, copy, by=by, create=True)
    return copy


def delete_draft(ctx: AuthoringServices, slug: str) -> None:
    """Delete a campaign written in the browser that never went out and is not scheduled. A
    campaign file is not the web app's to delete; scheduled or sent campaigns keep their
    record (the store refuses them in the deleting transaction)."""
    if stored(ctx, slug) is None:
        if any(p.stem == slug for p in ctx.catalog.campaign_paths()):
            raise CampaignError(f"{slug} is a campaign file: remove the file from campaigns/")
        raise CampaignError(f"no campaign {slug!r} in the database")
    documents(ctx).delete(slug)


def as_written(ctx: AuthoringServices) -> Catalog:
    """The catalog without the schedule's changes (moved milestones, the steps a move added):
    those live in the schedule, never in the campaign's own document."""
    return ctx.catalog.files if isinstance(ctx.catalog, ScheduledCatalog) else ctx.catalog


def export_campaign(ctx: AuthoringServices, ref: str) -> dict[str, Any]:
    """A database or file campaign as written, as the document ``import`` takes back
    unchanged."""
    campaign, _ = as_written(ctx).campaign(ref)
    return document_of(campaign)


# -- live preview ------------------------------------------------------------------------------


class _Unrecorded:
    """Calendar revisions for a draft: the attachment is composed (so the HTML and text say a
    calendar file is attached, as the send will) but nothing is written to the store."""

    def revision(self, uid: str, fingerprint: str, *, now: dt.datetime) -> Revision:
        return Revision(0, now.astimezone(dt.UTC).replace(microsecond=0))


class _WithDraft:
    """A catalog in which ``draft`` replaces whatever campaign has its slug."""

    def __init__(self, base: Catalog, draft: CampaignDefinition) -> None:
        self.base = base
        self.draft = draft
        # Read once per preview: validation asks for them per step and language.
        self._ui: dict[str, dict[str, str]] | None = None

    def campaign(self, ref: str) -> tuple[CampaignDefinition, Path]:
        if ref.removeprefix(DB_PREFIX) == self.draft.slug:
            return self.draft, Path(f"draft:{self.draft.slug}")
        return self.base.campaign(ref)

    def campaign_paths(self) -> Iterator[Path]:
        return self.base.campaign_paths()

    def template(self, name: str) -> str:
        return self.base.template(name)

    def ui_strings(self) -> dict[str, dict[str, str]]:
        if self._ui is None:
            self._ui = self.base.ui_strings()
        return self._ui

    def segments(self) -> dict[str, Segment]:
        return self.base.segments()

    def segment(self, name: str) -> Segment:
        return self.base.segment(name)


def draft_context(ctx: AuthoringServices, draft: CampaignDefinition) -> AuthoringServices:
    """``ctx`` as if ``draft`` were saved (moved milestones still apply to it)."""
    catalog: Catalog
    if isinstance(ctx.catalog, ScheduledCatalog):
        catalog = ScheduledCatalog(_WithDraft(ctx.catalog.files, draft), ctx.catalog.store)
    else:
        catalog = _WithDraft(ctx.catalog, draft)
    calendar = _Unrecorded() if ctx.calendar is not None else None
    return dataclasses.replace(ctx, catalog=catalog, calendar=calendar)


@dataclass
class DraftPreview:
    language: str
    message: OutboundMessage | None
    problems: list[str] = field(default_factory=list)
    audience: int | None = None


def preview_draft(
    ctx: AuthoringServices,
    draft: CampaignDefinition,
    *,
    language: str | None,
    email: str | None,
    step: str = MAIN_STEP,
) -> DraftPreview:
    """The email for ``draft`` in ``language`` (for the member with ``email``, or the sample
    reader), with every problem :func:`composing.validate_campaign` finds in the draft.
    Without a language of the draft: the member's own variant, else the default language.
    ``step``: a reminder's key to see that reminder (an unknown key shows the announcement)."""
    step = step if step in draft.step_keys() else MAIN_STEP
    as_saved = draft_context(ctx, draft)
    lang = language if language in draft.languages else None
    member = ctx.members.facts(email) if email and lang is None else None
    shown = draft.variant_for(member[0].fields.get("language", "")) if member else None
    result = DraftPreview(lang or shown or draft.default_language, None)
    validation = composing.validate_campaign(as_saved, draft.slug)
    result.problems.extend(p.removeprefix(f"draft:{draft.slug}: ") for p in validation.problems)
    result.audience = validation.audience
    try:
        result.message = composing.preview(
            as_saved, draft.slug, email=email or None, language=lang, step=step
        )
    except NewsletterError as exc:
        result.problems.append(str(exc))
        if email:  # an unknown member: still show the email, to the sample reader
            with contextlib.suppress(NewsletterError):
                result.message = composing.preview(as_saved, draft.slug, language=lang, step=step)
    result.problems = list(dict.fromkeys(result.problems))  # compose errors come twice
    return result
