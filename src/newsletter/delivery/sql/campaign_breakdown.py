"""Clicks per link and outcomes per language of one campaign, from its delivery rows and
provider events (the staff report page)."""

from __future__ import annotations

from sqlalchemy import distinct, func, select
from sqlalchemy.engine import Connection

from newsletter.audiences.domain.deliveries import DeliveryStatus
from newsletter.db.tables import deliveries, events
from newsletter.delivery.domain.breakdown import LanguageOutcome
from newsletter.delivery.domain.events import EventKind

#: Click events read per report: a campaign to ~10,000 readers stays far below it.
MAX_CLICKS = 200_000


def click_urls(conn: Connection, campaign_id: int) -> list[tuple[int | None, str]]:
    """``(delivery id, url)`` of every click event of the campaign (the url is in the raw
    event kept as the payload; JSON paths differ between SQLite and PostgreSQL, so it is read
    here rather than grouped in SQL)."""
    rows = conn.execute(
        select(events.c.delivery_id, events.c.payload)
        .join(deliveries, deliveries.c.id == events.c.delivery_id)
        .where(deliveries.c.campaign_id == campaign_id, events.c.event == EventKind.CLICKED.value)
        .limit(MAX_CLICKS)
    ).all()
    found: list[tuple[int | None, str]] = []
    for delivery_id, payload in rows:
        url = payload.get("url") if isinstance(payload, dict) else None
        if isinstance(url, str) and url:
            found.append((None if delivery_id is None else int(delivery_id), url))
    return found


def language_outcomes(conn: Connection, campaign_id: int) -> list[LanguageOutcome]:
    handed = {
        str(lang): int(n)
        for lang, n in conn.execute(
            select(deliveries.c.language, func.count())
            .where(
                deliveries.c.campaign_id == campaign_id,
                deliveries.c.status == DeliveryStatus.SENT.value,
            )
            .group_by(deliveries.c.language)
        ).all()
    }
    kinds = (EventKind.DELIVERED, EventKind.OPENED, EventKind.CLICKED)
    people = func.count(distinct(events.c.delivery_id))
    by: dict[tuple[str, str], int] = {
        (str(lang), str(kind)): int(n)
        for lang, kind, n in conn.execute(
            select(deliveries.c.language, events.c.event, people)
            .join(deliveries, deliveries.c.id == events.c.delivery_id)
            .where(
                deliveries.c.campaign_id == campaign_id,
                events.c.event.in_([k.value for k in kinds]),
            )
            .group_by(deliveries.c.language, events.c.event)
        ).all()
    }
    languages = sorted(set(handed) | {lang for lang, _ in by})
    return [
        LanguageOutcome(
            lang,
            handed.get(lang, 0),
            by.get((lang, EventKind.DELIVERED.value), 0),
            by.get((lang, EventKind.OPENED.value), 0),
            by.get((lang, EventKind.CLICKED.value), 0),
        )
        for lang in languages
    ]
