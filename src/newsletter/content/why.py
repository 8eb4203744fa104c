"""Why is this person in or out of a campaign's audience (the staff "why" page)."""

from __future__ import annotations

from dataclasses import dataclass

from newsletter.audiences import data_rights as people
from newsletter.audiences.domain.reasons import Verdict, membership
from newsletter.content.ports.services import ContentServices


@dataclass(frozen=True, slots=True)
class Why:
    campaign: str
    title: str
    segment: str
    topic: str
    email: str
    verdict: Verdict
    #: The campaign language the member would read (None for an unknown address).
    reads: str | None


def why(ctx: ContentServices, ref: str, email: str) -> Why:
    """Evaluate the campaign's segment for one address, with every reason: the address and
    its status, the suppression list, the topic and the consent event behind it, the rule."""
    campaign, _ = ctx.catalog.campaign(ref)
    segment = ctx.catalog.segment(campaign.audience)
    email = email.strip()
    found = ctx.members.facts(email)
    person = people.person_data(ctx, email) if found else None
    verdict = membership(
        segment,
        found[0] if found else None,
        found[1] if found else None,
        campaign.topic,
        suppression=people.suppression_of(ctx, email),
        consent=person.consent if person else (),
    )
    reads = campaign.variant_for(found[0].fields.get("language", "")) if found else None
    return Why(campaign.slug, campaign.title, segment.name, campaign.topic, email, verdict, reads)
