"""Validate, compose and preview campaigns. Preview and send share :func:`compose_step` and
:func:`personalization_for`, so a preview is byte for byte what a member receives."""

from __future__ import annotations

from dataclasses import dataclass, field

from newsletter.domain.campaigns import MAIN_STEP, CampaignDefinition
from newsletter.domain.deliveries import Recipient
from newsletter.errors import CampaignError, NewsletterError
from newsletter.rendering.compose import (
    ComposedVariant,
    OutboundMessage,
    Personalization,
    compose_variant,
    personalize,
    render_message,
)
from newsletter.rendering.environment import build_environment
from newsletter.services.context import Context


def compose_step(
    ctx: Context, campaign: CampaignDefinition, step: str, languages: list[str] | None = None
) -> dict[str, ComposedVariant]:
    """Compose every language variant of one step, or raise for the first that fails: a
    campaign that cannot be composed in one language is sent in none."""
    env = build_environment(ctx.catalog.template)
    ui = ctx.catalog.ui_strings()
    return {
        lang: compose_variant(campaign, step, lang, env=env, organisation=ctx.organisation, ui=ui)
        for lang in (languages or campaign.languages)
    }


def list_id(ctx: Context, campaign: CampaignDefinition) -> str:
    """RFC 2919 List-Id: a phrase and a dotted identifier under a domain we control."""
    return f'"{ctx.organisation.name} - {campaign.topic}" <{campaign.topic}.{ctx.list_domain}>'


def personalization_for(
    ctx: Context, campaign: CampaignDefinition, recipient: Recipient, issued_at: int
) -> Personalization:
    return personalize(
        recipient,
        unsubscribe_url=ctx.links.unsubscribe(recipient.member_id, campaign.topic, issued_at),
        preferences_url=ctx.links.preferences(recipient.member_id, campaign.topic, issued_at),
        list_id=list_id(ctx, campaign),
    )


@dataclass
class Validation:
    campaign: str
    problems: list[str] = field(default_factory=list)
    variants: int = 0
    audience: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def validate_campaign(ctx: Context, ref: str) -> Validation:
    """Everything that can be checked without sending: file, segment, texts, every variant."""
    campaign, path = ctx.catalog.campaign(ref)
    result = Validation(campaign.slug)
    try:
        segment = ctx.catalog.segment(campaign.audience)
        result.audience = ctx.members.count(segment, campaign.topic)
    except NewsletterError as exc:
        result.problems.append(f"{path}: audience: {exc}")
    for step in campaign.reminders:
        if step.skip_segment:
            try:
                ctx.catalog.segment(step.skip_segment)
            except NewsletterError as exc:
                result.problems.append(f"{path}: reminders.{step.key}.skip_segment: {exc}")
    result.problems.extend(f"{path}: {p}" for p in campaign.missing_texts())
    for key in campaign.step_keys():
        try:
            result.variants += len(compose_step(ctx, campaign, key))
        except NewsletterError as exc:
            result.problems.append(f"{path}: step {key}: {exc}")
    return result


def preview(
    ctx: Context,
    ref: str,
    *,
    email: str | None = None,
    language: str | None = None,
    step: str = MAIN_STEP,
) -> OutboundMessage:
    """The exact message a member (or a sample reader of ``language``) would receive."""
    campaign, _ = ctx.catalog.campaign(ref)
    recipient = sample_recipient(ctx, email, language or campaign.default_language)
    lang = campaign.variant_for(language or recipient.language)
    try:
        campaign.step(step)
    except KeyError as exc:
        raise CampaignError(f"no step {step!r}; steps: {', '.join(campaign.step_keys())}") from exc
    variant = compose_step(ctx, campaign, step, [lang])[lang]
    issued = int(ctx.clock.now().timestamp())
    person = personalization_for(ctx, campaign, recipient, issued)
    return render_message(variant, ctx.sender, person)


def sample_recipient(ctx: Context, email: str | None, language: str) -> Recipient:
    if email is None:
        return Recipient(0, 0, "member@example.org", "Ana", "Primer", "Sample Cluster", language)
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
    )
