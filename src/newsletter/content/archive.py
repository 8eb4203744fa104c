"""The public archive: announcements that opted in (``archive: true``) once they went out.

An archived email is composed exactly as for members (:func:`compose_step`) and then filled
for no one: the greeting names "reader", every other member field is empty, deadlines show
only their official time, and the unsubscribe and preference links point at the public
subscription form. No member's data and no signed token can end up in it; a final check refuses
a page in which any merge placeholder survived.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from newsletter.audiences.domain.deliveries import Recipient
from newsletter.content.composing import compose_step
from newsletter.content.domain.campaigns import MAIN_STEP, CampaignDefinition
from newsletter.content.library import campaign_refs
from newsletter.content.ports.services import ContentServices
from newsletter.content.rendering.compose import personalize, render_message
from newsletter.errors import CampaignError, NewsletterError, RenderError
from newsletter.locales import load

#: Who the greeting addresses in the archive, after each language's ``greeting`` UI string
#: (``newsletter/locales/archive.yaml``).
READER: dict[str, str] = {lang: words["reader"] for lang, words in load("archive").items()}
SUBSCRIBE_PATH = "/subscribe"
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,79}")


@dataclass(frozen=True, slots=True)
class ArchivedCampaign:
    slug: str
    kind: str
    languages: tuple[str, ...]
    default_language: str
    sent_at: dt.datetime
    #: Subject per language, as members read it.
    subjects: dict[str, str]

    def subject(self, language: str) -> str:
        return self.subjects.get(language) or self.subjects[self.default_language]

    def shown_language(self, language: str) -> str:
        """The language :meth:`subject` answers in for ``language``."""
        return language if self.subjects.get(language) else self.default_language


@dataclass(frozen=True, slots=True)
class ArchivedEmail:
    campaign: ArchivedCampaign
    language: str
    subject: str
    html: str
    text: str


def _entry(campaign: CampaignDefinition, sent_at: dt.datetime) -> ArchivedCampaign:
    subjects = {lang: campaign.subject_for(lang) for lang in campaign.languages}
    return ArchivedCampaign(
        campaign.slug,
        str(campaign.kind),
        tuple(campaign.languages),
        campaign.default_language,
        sent_at,
        subjects,
    )


def archived(ctx: ContentServices) -> list[ArchivedCampaign]:
    """Every archived announcement that went out, newest first: campaign files and campaigns
    written in the browser alike. One that does not load is left out (staff see it in their
    list; the public sees nothing broken)."""
    sent = ctx.history.first_sent() if ctx.history is not None else {}
    found = []
    for ref in campaign_refs(ctx.catalog, ctx.campaign_documents):
        try:
            campaign, _ = ctx.catalog.campaign(ref)
        except NewsletterError:
            continue
        if campaign.archive and campaign.slug in sent:
            found.append(_entry(campaign, sent[campaign.slug]))
    return sorted(found, key=lambda c: (c.sent_at, c.slug), reverse=True)


def archived_campaign(
    ctx: ContentServices, slug: str
) -> tuple[CampaignDefinition, ArchivedCampaign]:
    """One archived announcement; CampaignError when there is none by that slug."""
    if not _SLUG.fullmatch(slug):  # never a path: the catalog would read a file by path
        raise CampaignError("not in the archive", location=slug[:80])
    sent = ctx.history.first_sent() if ctx.history is not None else {}
    try:
        campaign, _ = ctx.catalog.campaign(slug)
    except NewsletterError as exc:
        raise CampaignError("not in the archive", location=slug) from exc
    if not campaign.archive or campaign.slug != slug or slug not in sent:
        raise CampaignError("not in the archive", location=slug)
    return campaign, _entry(campaign, sent[slug])


def archived_email(ctx: ContentServices, slug: str, language: str | None = None) -> ArchivedEmail:
    """The announcement as the archive shows it, in ``language`` (or the nearest written)."""
    campaign, entry = archived_campaign(ctx, slug)
    lang = campaign.variant_for(language or campaign.default_language)
    variant = compose_step(ctx, campaign, MAIN_STEP, [lang])[lang]
    nobody = Recipient(0, 0, "", READER.get(lang, READER["en"]), "", "", lang, timezone="")
    public = f"{ctx.links.base_url}{SUBSCRIBE_PATH}?lang={lang}"
    person = personalize(
        nobody,
        unsubscribe_url=public,
        preferences_url=public,
        list_id="",
        campaign=campaign,
        language=lang,
    )
    message = render_message(variant, ctx.sender, person)
    if "[[nl:" in message.html or "[[nl:" in message.text:
        raise RenderError("a merge field was left unfilled", template=campaign.template)
    return ArchivedEmail(entry, lang, variant.subject, message.html, message.text)
