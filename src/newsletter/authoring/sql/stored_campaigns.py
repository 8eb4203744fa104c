"""Campaign documents in SQL (migration 0008): campaigns written in the browser or imported.

The document column holds the mapping a campaign file holds. A changed document no longer
matches its approval's fingerprint, so it is not approved from the moment it is stored; in the
same transaction its scheduled steps are marked held, so every view says so at once (the
dispatcher checks the fingerprint again at send time, for changes that come another way).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from newsletter.authoring.domain.approvals import HELD_CHANGED
from newsletter.content.ports.documents import Saved, StoredCampaign, document_version
from newsletter.db.tables import (
    campaign_approvals,
    campaign_documents,
    campaigns,
    deliveries,
    schedules,
)
from newsletter.errors import StateError
from newsletter.scheduling.domain.rules import ScheduleState

D = campaign_documents
#: Schedule rows that no longer send anything: a draft that only has these may be deleted.
_ENDED = (ScheduleState.CANCELLED, ScheduleState.SKIPPED)


def _utc(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; every stamp we write is UTC."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class SqlCampaignDocuments:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def slugs(self) -> list[str]:
        with self.engine.connect() as conn:
            return [str(s) for s in conn.execute(select(D.c.slug).order_by(D.c.slug)).scalars()]

    def get(self, slug: str) -> StoredCampaign | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(D).where(D.c.slug == slug)).first()
        if row is None:
            return None
        return StoredCampaign(
            str(row.slug),
            dict(row.document),
            _utc(row.created_at),
            _utc(row.updated_at),
            str(row.updated_by),
        )

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
        values = {"document": dict(document), "updated_at": now, "updated_by": by[:320]}
        if create:
            try:
                with self.engine.begin() as conn:
                    conn.execute(insert(D).values(slug=slug, created_at=now, **values))
                    # A new campaign starts unapproved, whatever a former one of this slug was.
                    dropped = bool(
                        conn.execute(
                            delete(campaign_approvals).where(campaign_approvals.c.slug == slug)
                        ).rowcount
                    )
            except IntegrityError as exc:
                raise StateError(f"a campaign {slug!r} already exists") from exc
            return Saved(created=True, changed=True, approval_dropped=dropped)
        with self.engine.begin() as conn:
            query = select(D.c.document, D.c.updated_at, D.c.updated_by).where(D.c.slug == slug)
            if conn.dialect.name == "postgresql":
                query = query.with_for_update()  # two editors saving at once: one waits
            row = conn.execute(query).first()
            if row is None:
                raise StateError(f"no campaign {slug!r} in the database")
            if expected_version is not None and document_version(row.document) != (
                expected_version
            ):
                raise StateError(
                    f"{slug} was saved by {row.updated_by} at "
                    f"{_utc(row.updated_at):%Y-%m-%d %H:%M:%S} UTC after you opened it; "
                    "reload the page to see their version"
                )
            if dict(row.document) == dict(document):
                return Saved(created=False, changed=False, approval_dropped=False)
            conn.execute(update(D).where(D.c.slug == slug).values(**values))
            dropped = self._withdraw(conn, slug, now)
        return Saved(created=False, changed=True, approval_dropped=dropped)

    def delete(self, slug: str) -> None:
        T = schedules.c
        with self.engine.begin() as conn:
            query = select(D.c.slug).where(D.c.slug == slug)
            if conn.dialect.name == "postgresql":
                query = query.with_for_update()  # a save or a delete at the same time waits
            if conn.execute(query).first() is None:
                raise StateError(
                    f"no campaign {slug!r} in the database (a file is removed by hand)"
                )
            waiting = conn.execute(
                select(T.step, T.state).where(
                    T.campaign == slug, T.state.not_in([s.value for s in _ENDED])
                )
            ).first()
            if waiting is not None:
                raise StateError(
                    f"{slug} cannot be deleted: its step {waiting.step} is {waiting.state}; "
                    "cancel what is scheduled first (what was sent keeps its record)"
                )
            sent = conn.execute(
                select(func.count())
                .select_from(deliveries.join(campaigns, campaigns.c.id == deliveries.c.campaign_id))
                .where(campaigns.c.slug == slug)
            ).scalar()
            if sent:
                raise StateError(
                    f"{slug} cannot be deleted: the ledger holds {sent} delivery row(s) of it"
                )
            conn.execute(delete(schedules).where(T.campaign == slug))
            conn.execute(delete(campaign_approvals).where(campaign_approvals.c.slug == slug))
            conn.execute(delete(D).where(D.c.slug == slug))

    @staticmethod
    def _withdraw(conn: Connection, slug: str, now: dt.datetime) -> bool:
        """The approval stays on record (to compare against) but no longer matches; what was
        scheduled waits for a new one. True if the campaign had an approval."""
        A = campaign_approvals.c
        had = conn.execute(select(A.slug).where(A.slug == slug)).first() is not None
        if had:
            T = schedules.c
            conn.execute(
                update(schedules)
                .where(T.campaign == slug, T.state == ScheduleState.SCHEDULED.value)
                .values(
                    state=ScheduleState.HELD.value,
                    reason=HELD_CHANGED,
                    updated_at=now,
                )
            )
        return had
