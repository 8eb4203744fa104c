"""Campaign rows of the ledger: one per campaign sent, with its state and the definition
snapshot that went out (the delivery rows hang off it)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, literal_column, select, update
from sqlalchemy.dialects import postgresql, sqlite

from newsletter.content.domain.campaigns import CampaignDefinition, CampaignState
from newsletter.db.tables import campaigns, deliveries


class CampaignRows:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def ensure_campaign(self, campaign: CampaignDefinition, *, now: dt.datetime) -> int:
        """Create or refresh the campaign row; the definition snapshot is what was sent."""
        values = {
            "kind": campaign.kind,
            "title": campaign.title,
            "topic": campaign.topic,
            "definition": campaign.model_dump(mode="json", by_alias=True),
            "updated_at": now,
        }
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        with self.engine.begin() as conn:
            # Insert first (a write, so SQLite takes its lock before it reads), doing nothing
            # when the slug exists: two senders starting the same new campaign at once - the
            # scheduler and a person, or two workers - both end with the one row. A look
            # before the insert let both look, both insert, and the second fail.
            conn.execute(
                dialect.insert(campaigns)
                .values(
                    slug=campaign.slug, state=CampaignState.DRAFT.value, created_at=now, **values
                )
                .on_conflict_do_nothing(index_elements=[campaigns.c.slug])
            )
            conn.execute(
                update(campaigns).where(campaigns.c.slug == campaign.slug).values(**values)
            )
            found = conn.execute(
                select(campaigns.c.id).where(campaigns.c.slug == campaign.slug)
            ).scalar_one()
            return int(found)

    def campaign_id(self, slug: str) -> int | None:
        with self.engine.connect() as conn:
            found = conn.execute(select(campaigns.c.id).where(campaigns.c.slug == slug)).scalar()
            return None if found is None else int(found)

    def set_state(self, campaign_id: int, state: CampaignState, *, now: dt.datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(campaigns)
                .where(campaigns.c.id == campaign_id)
                .values(state=state.value, updated_at=now)
            )

    def sending_campaigns(self) -> list[tuple[int, str]]:
        """(id, slug) of every campaign in the ``sending`` state, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(campaigns.c.id, campaigns.c.slug)
                .where(campaigns.c.state == CampaignState.SENDING.value)
                .order_by(campaigns.c.id)
            ).all()
            return [(int(i), str(slug)) for i, slug in rows]

    def has_pending(self, campaign_id: int, step: str) -> bool:
        """Whether the step has a ``pending`` row: the first entry of its prefix in the claim's
        partial index (migration 0016), whatever the size of the backlog."""
        query = (
            select(deliveries.c.id)
            .where(
                deliveries.c.campaign_id == campaign_id,
                deliveries.c.step == step,
                deliveries.c.status == literal_column("'pending'"),
            )
            .limit(1)
        )
        with self.engine.connect() as conn:
            return conn.execute(query).first() is not None
