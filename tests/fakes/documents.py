"""In-memory store of campaigns written in the browser, for the fast test tier (the rules of
content's SQL document store)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from newsletter.authoring.domain.approvals import HELD_CHANGED
from newsletter.content.ports.documents import Saved, StoredCampaign
from newsletter.errors import StateError
from newsletter.scheduling.domain.rules import ScheduleState as S
from tests.fakes.schedule import MemoryScheduleStore
from tests.fakes.staff import MemoryStaffStore


class MemoryCampaignDocuments:
    """Campaigns written in the browser, with the SQL store's rule that a changed document
    holds the scheduled steps of a campaign that had an approval (same 'transaction')."""

    def __init__(self, staff: MemoryStaffStore, schedule: MemoryScheduleStore) -> None:
        self.docs: dict[str, StoredCampaign] = {}
        self.staff, self.schedule = staff, schedule

    def slugs(self) -> list[str]:
        return sorted(self.docs)

    def get(self, slug: str) -> StoredCampaign | None:
        return self.docs.get(slug)

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
        old = self.docs.get(slug)
        if create and old is not None:
            raise StateError(f"a campaign {slug!r} already exists")
        if not create and old is None:
            raise StateError(f"no campaign {slug!r} in the database")
        if old is not None and expected_version not in (None, old.version):
            raise StateError(f"{slug} was saved by {old.updated_by} after you opened it")
        if old is not None and dict(old.document) == dict(document):
            return Saved(created=False, changed=False, approval_dropped=False)
        created = old.created_at if old else now
        self.docs[slug] = StoredCampaign(slug, dict(document), created, now, by)
        if create:
            self.staff.approvals.pop(slug, None)
            return Saved(created=True, changed=True, approval_dropped=False)
        had = slug in self.staff.approvals
        if had:
            self.schedule.change_state(
                slug, from_states=[S.SCHEDULED], to=S.HELD, reason=HELD_CHANGED, now=now
            )
        return Saved(created=False, changed=True, approval_dropped=had)

    def delete(self, slug: str) -> None:
        if slug not in self.docs:
            raise StateError(f"no campaign {slug!r} in the database")
        ended = (S.CANCELLED, S.SKIPPED)
        rows = self.schedule.entries(campaign=slug)
        if any(e.state not in ended for e in rows):
            raise StateError(f"{slug} cannot be deleted: a step of it is scheduled or sent")
        rows_of = self.schedule.rows
        for key in [k for k, r in rows_of.items() if r.entry.campaign == slug]:
            del rows_of[key]
        self.staff.approvals.pop(slug, None)
        del self.docs[slug]
