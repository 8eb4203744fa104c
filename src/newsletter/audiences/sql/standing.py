"""A member's standing, changed by provider events and one-click unsubscribes: the suppression
list (a reason only ever gets worse: unsubscribed < bounced < complained < erased) and topic
subscriptions with their consent events (a change older than the last one is ignored, since
events arrive out of order)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from newsletter.audiences.domain.privacy import SuppressionReason
from newsletter.db.tables import (
    consent_events,
    subscriptions,
    suppressions,
)

_SUPPRESSION_RANK = {
    SuppressionReason.UNSUBSCRIBED.value: 1,
    SuppressionReason.BOUNCED.value: 2,
    SuppressionReason.COMPLAINED.value: 3,
    SuppressionReason.ERASED.value: 4,
}


def suppress(conn: Connection, email_hash: str, reason: str, at: dt.datetime) -> None:
    held = conn.execute(
        select(suppressions.c.reason).where(suppressions.c.email_hash == email_hash)
    ).scalar()
    if held is None:
        conn.execute(
            insert(suppressions).values(email_hash=email_hash, reason=reason, created_at=at)
        )
    elif _SUPPRESSION_RANK.get(str(held), 0) < _SUPPRESSION_RANK[reason]:
        conn.execute(
            update(suppressions)
            .where(suppressions.c.email_hash == email_hash)
            .values(reason=reason)
        )


def resubscribed_since(conn: Connection, member_id: int, topic: str, since: dt.datetime) -> bool:
    return (
        conn.execute(
            select(consent_events.c.id)
            .where(
                consent_events.c.member_id == member_id,
                consent_events.c.topic == topic,
                consent_events.c.action == "subscribed",
                consent_events.c.at > since,
            )
            .limit(1)
        ).first()
        is not None
    )


def set_topic(
    conn: Connection,
    member_id: int,
    topic: str,
    subscribed: bool,
    at: dt.datetime,
    source: str,
    *,
    force: bool = False,
) -> int:
    """Subscribe or unsubscribe one topic, with its consent event; 1 if it changed, else 0.

    Unless ``force``, a change older than the subscription's last change is ignored: events
    arrive out of order, and a resubscribe must not be undone by an older unsubscribe.
    """
    target = "subscribed" if subscribed else "unsubscribed"
    current = conn.execute(
        select(subscriptions.c.status, subscriptions.c.updated_at).where(
            subscriptions.c.member_id == member_id, subscriptions.c.topic == topic
        )
    ).first()
    if current is None:
        if not subscribed:
            return 0
        conn.execute(
            insert(subscriptions).values(
                member_id=member_id, topic=topic, status=target, updated_at=at
            )
        )
    else:
        if current.status == target:
            return 0
        if not force and _aware(current.updated_at) > at:
            return 0
        changed = conn.execute(
            update(subscriptions)
            .where(
                subscriptions.c.member_id == member_id,
                subscriptions.c.topic == topic,
                subscriptions.c.status == current.status,
            )
            .values(status=target, updated_at=at)
        ).rowcount
        if not changed:  # someone else changed it meanwhile (concurrent one-click POSTs)
            return 0
    conn.execute(
        insert(consent_events).values(
            member_id=member_id,
            topic=topic,
            action=target,
            source=source,
            wording_version="",
            at=at,
        )
    )
    return 1


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
