"""The catalog as the schedule sees it: campaign files plus what ``campaigns reschedule`` did.

A moved milestone lives in the database (the schedule is the source of truth), not in the
campaign file; this wrapper applies it whenever a campaign is read, so preview, send and every
template show the new deadline, and adds the steps a move created (a versioned reminder, the
"deadline extended" notice) so the ordinary send path can send them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from newsletter.audiences.domain.segments import Segment
from newsletter.content.domain.campaigns import CampaignDefinition
from newsletter.content.ports.catalog import Catalog
from newsletter.scheduling.domain.reminders import with_schedule
from newsletter.scheduling.ports import ScheduleStore


class ScheduledCatalog:
    def __init__(self, files: Catalog, store: ScheduleStore) -> None:
        self.files = files
        self.store = store

    def campaign(self, ref: str) -> tuple[CampaignDefinition, Path]:
        campaign, path = self.files.campaign(ref)
        points = self.store.milestones(campaign.slug)
        steps = self.store.steps(campaign.slug)
        if not points and not steps - set(campaign.step_keys()):
            return campaign, path
        return with_schedule(campaign, points, steps, self.files.ui_strings()), path

    def template(self, name: str) -> str:
        return self.files.template(name)

    def ui_strings(self) -> dict[str, dict[str, str]]:
        return self.files.ui_strings()

    def segments(self) -> dict[str, Segment]:
        return self.files.segments()

    def segment(self, name: str) -> Segment:
        return self.files.segment(name)

    def campaign_paths(self) -> Iterator[Path]:
        return self.files.campaign_paths()
