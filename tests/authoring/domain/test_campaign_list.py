"""The campaign list's search, filters and sort, on rows as values (no database)."""

from __future__ import annotations

import datetime as dt

from newsletter.authoring.domain.campaign_list import CampaignRow, ListQuery, select_rows

T = dt.datetime(2015, 9, 1, 8, 0, tzinfo=dt.UTC)


def row(slug: str, **kw: object) -> CampaignRow:
    base: dict[str, object] = {
        "slug": slug,
        "title": slug.replace("-", " ").title(),
        "kind": "letter",
        "languages": ("en",),
        "state": "draft",
        "counts": None,
    }
    return CampaignRow(**(base | kw))  # type: ignore[arg-type]


ROWS = [
    row("chairmans-letter", subjects=("Dear Cluster House Family", "Драга породицо"), stored=False),
    row(
        "second-call",
        kind="call_for_proposals",
        state="scheduled",
        created_at=T,
        scheduled_at=T + dt.timedelta(days=9),
    ),
    row("autumn-news", kind="newsletter", created_at=T + dt.timedelta(hours=3), stored=True),
    row("days-2015", kind="conference_invitation", state="sent", sent_at=T, stored=True),
]


def slugs(query: ListQuery) -> list[str]:
    return [r.slug for r in select_rows(ROWS, query)]


def test_search_reads_title_slug_and_every_subject_in_any_case() -> None:
    assert slugs(ListQuery(q="FAMILY")) == ["chairmans-letter"]
    assert slugs(ListQuery(q="породицо")) == ["chairmans-letter"]  # a Cyrillic subject
    assert slugs(ListQuery(q="second-CALL")) == ["second-call"]
    assert slugs(ListQuery(q="nothing like it")) == []


def test_filters_and_sorts() -> None:
    assert slugs(ListQuery(state="scheduled")) == ["second-call"]
    assert slugs(ListQuery(kind="newsletter")) == ["autumn-news"]
    # Newest first; rows without a creation date (files) last, by title.
    assert slugs(ListQuery(sort="created")) == [
        "autumn-news",
        "second-call",
        "chairmans-letter",
        "days-2015",
    ]
    assert slugs(ListQuery(sort="created-asc"))[:2] == ["second-call", "autumn-news"]
    assert slugs(ListQuery(sort="sent"))[0] == "days-2015"
    assert slugs(ListQuery(sort="title")) == [
        "autumn-news",
        "chairmans-letter",
        "days-2015",
        "second-call",
    ]


def test_the_query_string_is_read_defensively() -> None:
    query = ListQuery.of({"q": "  x  ", "state": "exploded", "sort": "drop table", "kind": "k"})
    assert query == ListQuery(q="x", state="", kind="k", sort="created")
    assert ListQuery.of({}) == ListQuery()


def test_only_stored_drafts_are_deletable() -> None:
    by_slug = {r.slug: r for r in ROWS}
    assert by_slug["autumn-news"].deletable
    assert not by_slug["chairmans-letter"].deletable  # a file
    assert not by_slug["days-2015"].deletable  # sent
    assert not row("x", state="scheduled", stored=True).deletable
