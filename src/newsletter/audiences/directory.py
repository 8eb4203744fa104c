"""Members as staff browse them: search by address, name or organisation in any script, filter
by segment, language, country, tier and status, a page at a time; and one person with
everything held about them (``members show``: profile, subscriptions, consent history,
deliveries) plus what providers reported about their messages."""

from __future__ import annotations

from dataclasses import dataclass, field

from newsletter.audiences.data_rights import person_data
from newsletter.audiences.domain.privacy import PersonData
from newsletter.audiences.ports.member_directory import (
    TEXT_MATCHES_COUNTED,
    MemberDirectory,
    MemberEvent,
    MemberFilter,
    MemberSummary,
)
from newsletter.audiences.ports.services import AudienceServices
from newsletter.core.search_keys import address_term, query_words
from newsletter.errors import InputError, NewsletterError

PAGE_SIZE = 50
MAX_QUERY = 200
EVENTS_SHOWN = 200


def directory(ctx: AudienceServices) -> MemberDirectory:
    if ctx.directory is None:
        raise NewsletterError("this installation has no member directory")
    return ctx.directory


@dataclass(frozen=True, slots=True)
class Filters:
    """What a staff member asked for on the members page ("" = any)."""

    query: str = ""
    segment: str = ""
    language: str = ""
    country: str = ""
    tier: str = ""
    status: str = ""

    @property
    def given(self) -> dict[str, str]:
        """The non-empty ones, by name: what links to other pages must carry along."""
        names = ("query", "segment", "language", "country", "tier", "status")
        return {("q" if n == "query" else n): getattr(self, n) for n in names if getattr(self, n)}


@dataclass
class MemberPage:
    filters: Filters
    page: int  # 1-based
    total: int
    rows: list[MemberSummary] = field(default_factory=list)

    @property
    def query(self) -> str:
        return self.filters.query

    @property
    def more(self) -> bool:
        """More text matches than are counted (and paged): the query needs another word."""
        return bool(self.filters.query) and self.total > TEXT_MATCHES_COUNTED

    @property
    def pages(self) -> int:
        shown = TEXT_MATCHES_COUNTED if self.more else self.total
        return max(1, -(-shown // PAGE_SIZE))


def search_members(ctx: AudienceServices, filters: Filters | str = "", page: int = 1) -> MemberPage:
    """One page of the members the filters select. A query matches names, organisations and
    addresses in either script, any case, with or without diacritics (core/search_keys.py);
    every word of it must match the start of a word of the member's."""
    if isinstance(filters, str):
        filters = Filters(query=filters)
    query = " ".join(filters.query.split())[:MAX_QUERY]
    filters = Filters(query, *(v.strip()[:80] for v in _rest(filters)))
    page = max(1, page)
    words = query_words(query)
    segment = None
    if filters.segment:
        try:
            segment = ctx.catalog.segment(filters.segment)
        except NewsletterError as exc:
            raise InputError(f"segment {filters.segment!r}: {exc}") from exc
    found = MemberFilter(
        words,
        bool(query) and not words,
        address_start(query),
        segment,
        filters.language,
        filters.country.upper(),
        filters.tier,
        filters.status,
    )
    total, rows = directory(ctx).search(found, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    found_page = MemberPage(filters, page, total, rows)
    if page > found_page.pages:  # past the end: show the last page instead
        return search_members(ctx, filters, found_page.pages)
    return found_page


def address_start(query: str) -> str:
    """A one-word query that looks like the start of an address (it has an ``@``, a dot or a
    digit) is also looked for among addresses; a plain name is not, so a one-letter query
    does not also list every address that starts with that letter."""
    if not query or " " in query or not any(c in query for c in "@.0123456789"):
        return ""
    return address_term(query)


def _rest(filters: Filters) -> tuple[str, ...]:
    return (filters.segment, filters.language, filters.country, filters.tier, filters.status)


@dataclass(frozen=True)
class PersonView:
    member_id: int
    data: PersonData
    events: list[MemberEvent]


def person_view(ctx: AudienceServices, member_id: int) -> PersonView | None:
    found = directory(ctx)
    email = found.email_of(member_id)
    if email is None:
        return None
    data = person_data(ctx, email)
    if data is None:  # erased between the two reads
        return None
    return PersonView(member_id, data, found.events_of(member_id, EVENTS_SHOWN))
