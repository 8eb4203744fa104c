"""What happened to a campaign after sending, and the complaint-rate guard on new campaigns.

Counts are distinct deliveries per outcome (a member who opens five times counts once).
Delivered and bounced are relative to what was handed over; opened, clicked, complained and
unsubscribed to what was delivered (to what was handed over when the transport reports no
deliveries: outbox, SMTP).

Complaints (Gmail's sender guidelines, support.google.com/a/answer/81126): at 0.1 % staff are
warned; at 0.3 % the campaign blocks every *new* send (a step that has no ledger rows yet; resuming
a started send and test sends are not blocked) until staff run ``newsletter campaigns
acknowledge-complaints CAMPAIGN``. The acknowledgement records the complaint count; if more
complaints arrive later and the rate is still at or over 0.3 %, the block comes back. Only
campaigns that handed anything over in the last :data:`COMPLAINT_WINDOW_DAYS` days count.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from newsletter.delivery.domain.breakdown import LanguageOutcome, LinkClicks, count_links
from newsletter.delivery.domain.events import (
    COMPLAINT_BLOCK,
    COMPLAINT_WARN,
    CampaignStats,
    ComplaintLevel,
)
from newsletter.delivery.ports import DeliveryServices
from newsletter.errors import StateError

COMPLAINT_WINDOW_DAYS = 30


@dataclass
class CampaignReport:
    campaign: str
    title: str
    stats: CampaignStats
    warnings: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        s = self.stats
        return {
            "sent": s.sent,
            "delivered": s.delivered,
            "bounced": s.bounced,
            "blocked": s.blocked,
            "dropped": s.dropped,
            "opened": s.opened,
            "clicked": s.clicked,
            "complained": s.complained,
            "unsubscribed": s.unsubscribed,
        }

    @property
    def provider_reported(self) -> bool:
        """Whether any provider event came back. Without one (the outbox, SMTP) nothing is
        known past "handed over": a 0 % delivery rate would be a claim, not a measurement."""
        s = self.stats
        return any((s.delivered, s.bounced, s.blocked, s.dropped, s.opened, s.clicked,
                    s.complained))  # fmt: skip

    @property
    def rates(self) -> dict[str, float]:
        s = self.stats
        return {
            "delivered": s.rate(s.delivered, s.sent),
            "bounced": s.rate(s.bounced + s.blocked, s.sent),
            "opened": s.rate(s.opened),
            "clicked": s.rate(s.clicked),
            "complained": s.rate(s.complained),
            "unsubscribed": s.rate(s.unsubscribed),
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "campaign": self.campaign,
            "title": self.title,
            "counts": self.counts,
            "rates": {k: round(v, 6) for k, v in self.rates.items()},
            "rates_relative_to": "delivered" if self.stats.delivered else "sent",
            "provider_reported": self.provider_reported,
            "complaint_level": self.stats.complaint_level.value,
            "blocks_new_campaigns": self.stats.blocks,
            "acknowledged_complaints": self.stats.acknowledged_complaints,
            "warnings": self.warnings,
        }


def campaign_report(ctx: DeliveryServices, ref: str) -> CampaignReport:
    campaign, _ = ctx.catalog.campaign(ref)
    cid = ctx.ledger.campaign_id(campaign.slug)
    stats = ctx.events.stats(cid) if cid is not None else CampaignStats()
    return CampaignReport(campaign.slug, campaign.title, stats, _warnings(campaign.slug, stats))


@dataclass(frozen=True)
class Breakdown:
    """Clicks per link and outcomes per language version of one campaign."""

    links: list[LinkClicks]
    languages: list[LanguageOutcome]


def campaign_breakdown(ctx: DeliveryServices, slug: str) -> Breakdown:
    cid = ctx.ledger.campaign_id(slug)
    if cid is None:
        return Breakdown([], [])
    clicks = ctx.events.click_urls(cid)
    return Breakdown(count_links(clicks, ctx.links.base_url), ctx.events.language_outcomes(cid))


def _warnings(slug: str, stats: CampaignStats) -> list[str]:
    level = stats.complaint_level
    rate = stats.rate(stats.complained)
    if level is ComplaintLevel.BLOCK:
        if stats.blocks:
            return [
                f"complaint rate {rate:.2%} is at or over {COMPLAINT_BLOCK:.1%}: new campaigns "
                f"are blocked until staff run `newsletter campaigns acknowledge-complaints {slug}`"
            ]
        return [
            f"complaint rate {rate:.2%} is at or over {COMPLAINT_BLOCK:.1%} (acknowledged at "
            f"{stats.acknowledged_complaints} complaints)"
        ]
    if level is ComplaintLevel.WARN:
        return [
            f"complaint rate {rate:.2%} is at or over {COMPLAINT_WARN:.1%}: mailbox providers "
            f"start filtering above this; review the audience and the content"
        ]
    return []


def blocking_campaigns(ctx: DeliveryServices) -> list[tuple[str, CampaignStats]]:
    since = ctx.clock.now() - dt.timedelta(days=COMPLAINT_WINDOW_DAYS)
    return [(slug, stats) for slug, stats in ctx.events.recent_stats(since) if stats.blocks]


def ensure_not_blocked(ctx: DeliveryServices, starting: str) -> None:
    """Raise StateError naming the campaigns whose complaint rate blocks a new send."""
    blocking = blocking_campaigns(ctx)
    if not blocking:
        return
    slug, stats = blocking[0]
    others = f" (and {len(blocking) - 1} more)" if len(blocking) > 1 else ""
    raise StateError(
        f"not starting {starting}: campaign {slug}{others} has a complaint rate of "
        f"{stats.rate(stats.complained):.2%} ({stats.complained} spam reports), at or over "
        f"{COMPLAINT_BLOCK:.1%}, so new campaigns are blocked. Review it with `newsletter "
        f"campaigns report {slug}`, then run `newsletter campaigns acknowledge-complaints {slug}`"
    )


def acknowledge_complaints(ctx: DeliveryServices, ref: str) -> CampaignReport:
    """Staff have seen the complaints: lift the block until more arrive."""
    campaign, _ = ctx.catalog.campaign(ref)
    cid = ctx.ledger.campaign_id(campaign.slug)
    if cid is None:
        raise StateError(f"{campaign.slug} has not been sent; there is nothing to acknowledge")
    stats = ctx.events.stats(cid)
    ctx.events.acknowledge_complaints(cid, stats.complained, now=ctx.clock.now())
    return campaign_report(ctx, campaign.slug)
