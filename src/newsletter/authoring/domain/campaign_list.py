"""The staff campaign list as values: one row per campaign with its state and its dates, and
the search, filters and sort a communications officer expects from a mailing tool's list
(what Mailchimp's and listmonk's campaign lists offer: search by name or subject, filter by
status and type, sort by date). Pure: the rows come from authoring/overview.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from newsletter.audiences.domain.deliveries import DeliveryCounts
from newsletter.scheduling.domain.rules import ScheduleEntry

#: Every state a row can have (authoring/overview.py ``state_of``), in the order of a
#: campaign's life; "invalid" is a file or document that does not load.
STATES = ("draft", "changed", "approved", "scheduled", "held", "sending", "sent", "invalid")
#: States in which a database campaign may be deleted: nothing of it is scheduled, waiting
#: or sent (the store checks again in the deleting transaction).
DELETABLE = frozenset({"draft", "changed", "approved"})


@dataclass(frozen=True, slots=True)
class CampaignRow:
    slug: str
    title: str
    kind: str
    languages: tuple[str, ...]
    state: str
    counts: DeliveryCounts | None
    error: str = ""
    #: The next scheduled step and when it is due (None: nothing scheduled).
    next_step: ScheduleEntry | None = None
    #: Every language's subject, for the search.
    subjects: tuple[str, ...] = ()
    #: True for a campaign written in the browser (database), False for a campaign file.
    stored: bool = False
    created_at: dt.datetime | None = None
    approved_at: dt.datetime | None = None
    #: When the announcement is (or was) due: its schedule row's time.
    scheduled_at: dt.datetime | None = None
    #: The first delivery the ledger counts as sent.
    sent_at: dt.datetime | None = None
    #: The zone the campaign's times are shown in (its schedule's, else the default).
    zone: str = "UTC"

    @property
    def deletable(self) -> bool:
        return self.stored and self.state in DELETABLE


@dataclass(frozen=True, slots=True)
class ListQuery:
    """What the list page's form asks: ``q`` a word from the title, slug or a subject (any
    case), ``state`` and ``kind`` exact ("" = all), ``sort`` a key of :data:`SORTS`."""

    q: str = ""
    state: str = ""
    kind: str = ""
    sort: str = "created"

    @classmethod
    def of(cls, params: Mapping[str, str]) -> ListQuery:
        sort = params.get("sort", "created")
        state = params.get("state", "")
        return cls(
            q=params.get("q", "").strip()[:200],
            state=state if state in STATES else "",
            kind=params.get("kind", "").strip()[:40],
            sort=sort if sort in SORTS else "created",
        )


@dataclass(frozen=True, slots=True)
class Sort:
    label: str
    date: Callable[[CampaignRow], dt.datetime | None] | None = None
    newest_first: bool = True


#: The sort choices: by one of the dates (rows without that date last), or by title.
SORTS: dict[str, Sort] = {
    "created": Sort("newest first", lambda r: r.created_at),
    "created-asc": Sort("oldest first", lambda r: r.created_at, newest_first=False),
    "scheduled": Sort("next scheduled first", lambda r: r.scheduled_at, newest_first=False),
    "approved": Sort("recently approved", lambda r: r.approved_at),
    "sent": Sort("recently sent", lambda r: r.sent_at),
    "title": Sort("title A-Z"),
}


def matches(row: CampaignRow, query: ListQuery) -> bool:
    if query.state and row.state != query.state:
        return False
    if query.kind and row.kind != query.kind:
        return False
    if query.q:
        needle = query.q.casefold()
        haystack = (row.title, row.slug, *row.subjects)
        return any(needle in text.casefold() for text in haystack)
    return True


def select_rows(rows: Sequence[CampaignRow], query: ListQuery) -> list[CampaignRow]:
    """The rows the query asks for, sorted; ties (and rows without the date) by title."""
    found = sorted(
        (r for r in rows if matches(r, query)), key=lambda r: (r.title.casefold(), r.slug)
    )
    sort = SORTS[query.sort]
    if sort.date is None:
        return found
    key = sort.date
    dated = [r for r in found if key(r) is not None]
    undated = [r for r in found if key(r) is None]
    # Python's sort is stable: the title order stays among rows of the same date.
    dated.sort(key=lambda r: key(r) or dt.datetime.min, reverse=sort.newest_first)
    return [*dated, *undated]
