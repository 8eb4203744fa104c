"""Outcome counts of a campaign from its delivery rows and provider events: sent, delivered,
bounced, opened, clicked, complained, unsubscribed (``campaigns report``, the complaint
warning and block)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import distinct, func, select
from sqlalchemy.engine import Connection

from newsletter.audiences.domain.deliveries import DeliveryStatus
from newsletter.db.tables import (
    campaigns,
    deliveries,
    events,
)
from newsletter.delivery.domain.events import CampaignStats, EventKind

S = DeliveryStatus


def recent_campaign_stats(conn: Connection, since: dt.datetime) -> list[tuple[str, CampaignStats]]:
    """Campaigns that handed anything over since ``since``, with their stats."""
    found = conn.execute(
        select(campaigns.c.id, campaigns.c.slug)
        .where(
            campaigns.c.id.in_(
                select(deliveries.c.campaign_id).where(deliveries.c.sent_at >= since).distinct()
            )
        )
        .order_by(campaigns.c.id)
    ).all()
    return [(str(slug), campaign_stats(conn, int(cid))) for cid, slug in found]


def campaign_stats(conn: Connection, campaign_id: int) -> CampaignStats:
    by_event = {
        str(kind): int(n)
        for kind, n in conn.execute(
            select(events.c.event, func.count(distinct(events.c.delivery_id)))
            .join(deliveries, deliveries.c.id == events.c.delivery_id)
            .where(deliveries.c.campaign_id == campaign_id)
            .group_by(events.c.event)
        ).all()
    }
    unsubscribed = conn.execute(
        select(func.count(distinct(events.c.delivery_id)))
        .join(deliveries, deliveries.c.id == events.c.delivery_id)
        .where(
            deliveries.c.campaign_id == campaign_id,
            events.c.event.in_([EventKind.UNSUBSCRIBED.value, EventKind.GROUP_UNSUBSCRIBED.value]),
        )
    ).scalar_one()
    sent = conn.execute(
        select(func.count()).where(
            deliveries.c.campaign_id == campaign_id, deliveries.c.status == S.SENT.value
        )
    ).scalar_one()
    ack = conn.execute(
        select(campaigns.c.complaints_acknowledged).where(campaigns.c.id == campaign_id)
    ).scalar()

    def n(kind: EventKind) -> int:
        return int(by_event.get(kind.value, 0))

    return CampaignStats(
        sent=int(sent),
        delivered=n(EventKind.DELIVERED),
        bounced=n(EventKind.BOUNCED),
        blocked=n(EventKind.BLOCKED),
        dropped=n(EventKind.DROPPED),
        deferred=n(EventKind.DEFERRED),
        opened=n(EventKind.OPENED),
        clicked=n(EventKind.CLICKED),
        complained=n(EventKind.COMPLAINED),
        unsubscribed=int(unsubscribed),
        acknowledged_complaints=None if ack is None else int(ack),
    )
