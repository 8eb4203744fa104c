"""Validate, compose and preview campaigns. Preview and send share :func:`compose_step` and
:func:`personalization_for`, so a preview is byte for byte what a member receives."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from newsletter.audiences.domain.deliveries import Recipient
from newsletter.content.domain.campaigns import MAIN_STEP, CampaignDefinition
from newsletter.content.domain.coverage import VersionCoverage, coverage, fallback_warnings
from newsletter.content.domain.images import foreign_images, host_of
from newsletter.content.ports.catalog import Screenshots, Shot
from newsletter.content.ports.services import ContentServices
from newsletter.content.rendering import ics as calendar
from newsletter.content.rendering import merge
from newsletter.content.rendering.compose import (
    ComposedVariant,
    OutboundMessage,
    Personalization,
    Personalizer,
    calendar_domain,
    compose_variant,
    render_message,
)
from newsletter.content.rendering.environment import build_environment
from newsletter.core.catalogs import missing_keys
from newsletter.core.links import PREFERENCES, UNSUBSCRIBE
from newsletter.errors import CampaignError, NewsletterError

#: The sample reader of a preview without ``--member``: in Niš, so deadlines set elsewhere
#: show the reader's own time too.
SAMPLE_ZONE = "Europe/Belgrade"


def compose_step(
    ctx: ContentServices,
    campaign: CampaignDefinition,
    step: str,
    languages: list[str] | None = None,
) -> dict[str, ComposedVariant]:
    """Compose every language variant of one step, or raise for the first that fails: a
    campaign that cannot be composed in one language is sent in none."""
    hosts = check_images(ctx, campaign)
    env = build_environment(ctx.catalog.template)
    ui = ctx.catalog.ui_strings()
    revisions = calendar_revisions(ctx, campaign)
    return {
        lang: compose_variant(
            campaign,
            step,
            lang,
            env=env,
            organisation=ctx.organisation,
            ui=ui,
            revisions=revisions,
            image_hosts=hosts,
        )
        for lang in (languages or campaign.languages)
    }


def image_hosts(ctx: ContentServices) -> frozenset[str]:
    """Where an email may load images from: our own host and ``content.image_hosts``."""
    return frozenset((*ctx.image_hosts, host_of(ctx.links.base_url)))


def check_images(ctx: ContentServices, campaign: CampaignDefinition) -> frozenset[str]:
    """Refuse a campaign whose content loads an image from a host not allowed, naming each
    field; return the allowed hosts (the template's own images are checked after MJML)."""
    hosts = image_hosts(ctx)
    foreign = list(foreign_images(campaign.content, hosts))
    if foreign:
        raise CampaignError("; ".join(foreign))
    return hosts


def calendar_revisions(
    ctx: ContentServices, campaign: CampaignDefinition
) -> Mapping[str, calendar.Revision] | None:
    """SEQUENCE and DTSTAMP of each calendar entry: recorded on first compose, raised when the
    event or deadline changed since (so preview, validate and send agree on the bytes)."""
    if ctx.calendar is None:
        return None
    now = ctx.clock.now()
    return {
        entry.uid: ctx.calendar.revision(entry.uid, entry.fingerprint, now=now)
        for entry in calendar.entries(campaign, calendar_domain(ctx.organisation))
    }


def list_id(ctx: ContentServices, campaign: CampaignDefinition) -> str:
    """RFC 2919 List-Id: a phrase and a dotted identifier under a domain we control."""
    return f'"{ctx.organisation.name} - {campaign.topic}" <{campaign.topic}.{ctx.list_domain}>'


def personalization_for(
    ctx: ContentServices,
    campaign: CampaignDefinition,
    recipient: Recipient,
    issued_at: int,
    *,
    preview: bool = False,
    test_language: str | None = None,
) -> Personalization:
    """Merge values for one recipient, including each deadline in the recipient's own zone,
    written in the language of the variant they read. ``preview``: inert member links;
    ``test_language``: test links (a page saying it was a test send in that language)."""
    return personalizations_for(
        ctx, campaign, (recipient,), issued_at, preview=preview, test_language=test_language
    )[0]


def personalizations_for(
    ctx: ContentServices,
    campaign: CampaignDefinition,
    recipients: Sequence[Recipient],
    issued_at: int,
    *,
    variant: ComposedVariant | None = None,
    preview: bool = False,
    test_language: str | None = None,
) -> tuple[Personalization, ...]:
    """:func:`personalization_for` for a batch: signing keys, deadlines and list id are
    prepared once. With ``variant`` only the merge fields it contains are filled."""
    topic = campaign.topic
    links = ctx.links
    unsubscribe = links.builder(
        UNSUBSCRIBE, topic, issued_at, preview=preview, test_language=test_language
    )
    preferences = links.builder(
        PREFERENCES, topic, issued_at, preview=preview, test_language=test_language
    )
    fields = url_fields = None
    if variant is not None:
        fields = merge.fields_used(variant.subject, variant.html, variant.text)
        url_fields = merge.url_fields_used(variant.subject, variant.html, variant.text)
    lists = list_id(ctx, campaign)
    by_language: dict[str, Personalizer] = {}
    people = []
    for r in recipients:
        person = by_language.get(r.language)
        if person is None:
            lang = campaign.variant_for(r.language)
            person = Personalizer(
                list_id=lists, campaign=campaign, language=lang, fields=fields,
                url_fields=url_fields,
            )  # fmt: skip
            by_language[r.language] = person
        people.append(person(r, unsubscribe(r.member_id), preferences(r.member_id)))
    return tuple(people)


@dataclass
class Validation:
    campaign: str
    problems: list[str] = field(default_factory=list)
    variants: int = 0
    audience: int | None = None
    #: Who reads which language version (empty when the audience cannot be counted).
    coverage: list[VersionCoverage] = field(default_factory=list)
    #: Worth a look before sending, but not an error: sizable groups reading another language.
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def validate_campaign(ctx: ContentServices, ref: str) -> Validation:
    """Everything that can be checked without sending: file, segment, texts, every variant."""
    campaign, path = ctx.catalog.campaign(ref)
    result = Validation(campaign.slug)
    try:
        segment = ctx.catalog.segment(campaign.audience)
        by_language = ctx.members.language_counts(segment, campaign.topic)
        result.audience = sum(by_language.values())
        result.coverage = coverage(campaign, by_language)
        result.warnings = fallback_warnings(result.coverage)
    except NewsletterError as exc:
        result.problems.append(f"{path}: audience: {exc}")
    for step in campaign.reminders:
        if step.skip_segment:
            try:
                ctx.catalog.segment(step.skip_segment)
            except NewsletterError as exc:
                result.problems.append(f"{path}: reminders.{step.key}.skip_segment: {exc}")
    result.problems.extend(f"{path}: {p}" for p in campaign.missing_texts())
    result.problems.extend(missing_ui_strings(ctx.catalog.ui_strings(), campaign))
    for key in campaign.step_keys():
        try:
            result.variants += len(compose_step(ctx, campaign, key))
        except NewsletterError as exc:
            result.problems.append(f"{path}: step {key}: {exc}")
    return result


def missing_ui_strings(
    ui: Mapping[str, Mapping[str, str]], campaign: CampaignDefinition
) -> list[str]:
    """UI strings (footer, labels) that a targeted language would show in English instead:
    every key English has, plus the footer's phrase for this campaign's topic."""
    gaps = missing_keys(ui, campaign.languages, extra=[f"topic_{campaign.topic}"])
    return [f"templates/strings.yaml: {lang}: no {', '.join(keys)}" for lang, keys in gaps.items()]


def preview(
    ctx: ContentServices,
    ref: str,
    *,
    email: str | None = None,
    language: str | None = None,
    step: str = MAIN_STEP,
    inert: bool = True,
) -> OutboundMessage:
    """The exact message a member (or a sample reader of ``language``) would receive, except
    that its unsubscribe and preference links are ``inert``: signed for a preview purpose the
    public routes refuse, so an editor previewing "as member" gets no working member link
    (``inert=False``: the very bytes a send writes, links included)."""
    campaign, _ = ctx.catalog.campaign(ref)
    if language is not None and language not in campaign.languages:
        # Asked for by name, a language the campaign lacks would quietly show the default
        # language's text: refused, as a test send of it is (delivery.proofs).
        raise CampaignError(
            f"{campaign.slug} is not written in {language!r}; languages: "
            f"{', '.join(campaign.languages)}"
        )
    recipient = sample_recipient(ctx, email, language or campaign.default_language)
    lang = campaign.variant_for(language or recipient.language)
    try:
        campaign.step(step)
    except KeyError as exc:
        raise CampaignError(f"no step {step!r}; steps: {', '.join(campaign.step_keys())}") from exc
    variant = compose_step(ctx, campaign, step, [lang])[lang]
    issued = int(ctx.clock.now().timestamp())
    if language is not None:
        # The member reads the variant asked for, so their merge fields match it.
        recipient = dataclasses.replace(recipient, language=lang)
    person = personalization_for(ctx, campaign, recipient, issued, preview=inert)
    return render_message(variant, ctx.sender, person)


def sample_recipient(ctx: ContentServices, email: str | None, language: str) -> Recipient:
    if email is None:
        return Recipient(
            0,
            0,
            "member@example.org",
            "Ana",
            "Primer",
            "Sample Cluster",
            language,
            timezone=SAMPLE_ZONE,
        )
    found = ctx.members.facts(email)
    if found is None:
        raise CampaignError(f"no member with address {email}")
    facts, _ = found
    f = facts.fields
    return Recipient(
        0,
        int(f.get("id", "0") or 0),
        f["email"],
        f["first_name"],
        f["last_name"],
        f["organization"],
        f["language"],
        timezone=f.get("timezone", ""),
    )


#: A phone (375 px, the narrowest common iPhone) and a desktop pane wider than the 600 px body.
SCREENSHOT_WIDTHS = (375, 640)


def screenshots(message: OutboundMessage, shooter: Screenshots, stem: Path) -> list[Shot]:
    """PNGs of the message as a member sees it, with the horizontal-scroll measurement."""
    return shooter.shoot(message.html, SCREENSHOT_WIDTHS, stem)
