"""Members as staff browse them: search by address, name or organisation, a page at a time,
and one person with everything held about them (``members show``: profile, subscriptions,
consent history, deliveries) plus what providers reported about their messages."""

from __future__ import annotations

from dataclasses import dataclass, field

from newsletter.audiences.data_rights import person_data
from newsletter.audiences.domain.privacy import PersonData
from newsletter.audiences.ports.member_directory import MemberDirectory, MemberEvent, MemberSummary
from newsletter.context import Context
from newsletter.core.serbian import to_latin
from newsletter.errors import NewsletterError

PAGE_SIZE = 50
MAX_QUERY = 200
EVENTS_SHOWN = 200


def directory(ctx: Context) -> MemberDirectory:
    if ctx.directory is None:
        raise NewsletterError("this installation has no member directory")
    return ctx.directory


@dataclass
class MemberPage:
    query: str
    page: int  # 1-based
    total: int
    rows: list[MemberSummary] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


def search_members(ctx: Context, text: str, page: int = 1) -> MemberPage:
    query = " ".join(text.split())[:MAX_QUERY]
    page = max(1, page)
    # Serbian is written in both scripts: a Cyrillic query also finds the Latin spelling
    # (Cyrillic -> Latin is exact; the reverse is not, so a Latin query stays as typed).
    texts = list(dict.fromkeys([query, to_latin(query)])) if query else []
    found = directory(ctx)
    total, rows = found.search(texts, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    if not rows and total and page > 1:  # past the end: show the last page instead
        last = -(-total // PAGE_SIZE)
        return search_members(ctx, query, last)
    return MemberPage(query, page, total, rows)


@dataclass(frozen=True)
class PersonView:
    member_id: int
    data: PersonData
    events: list[MemberEvent]


def person_view(ctx: Context, member_id: int) -> PersonView | None:
    found = directory(ctx)
    email = found.email_of(member_id)
    if email is None:
        return None
    data = person_data(ctx, email)
    if data is None:  # erased between the two reads
        return None
    return PersonView(member_id, data, found.events_of(member_id, EVENTS_SHOWN))
