"""A sent campaign broken down: clicks per link and outcomes per language version.

Clicks come from provider click events (SendGrid's ``click`` carries the ``url`` clicked,
"Event Webhook reference"); a link counts its clicks and the people who clicked it (one
delivery is one person). Our own signed links (unsubscribe ``/u/<token>``, preferences
``/p/<token>``) are one link each, not one per member: their token names a member, and a
report lists links, not people.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

#: What our own per-member links are shown as (path prefix under web.base_url -> label).
OWN_LINKS = {"/u/": "unsubscribe link", "/p/": "preference centre link", "/t/": "test link"}


@dataclass(frozen=True, slots=True)
class LinkClicks:
    link: str
    clicks: int
    people: int


@dataclass(frozen=True, slots=True)
class LanguageOutcome:
    """Distinct deliveries of one language version per outcome."""

    language: str
    handed_over: int
    delivered: int = 0
    opened: int = 0
    clicked: int = 0


def link_label(url: str, own_base: str) -> str:
    """The link as a report shows it: our signed links by what they are, others as clicked."""
    base = urlsplit(own_base)
    parts = urlsplit(url)
    if parts.netloc and parts.netloc == base.netloc:
        path = parts.path.removeprefix(base.path.rstrip("/"))
        for prefix, label in OWN_LINKS.items():
            if path.startswith(prefix):
                return f"({label})"
    return url


def count_links(clicks: Iterable[tuple[int | None, str]], own_base: str) -> list[LinkClicks]:
    """``(delivery id, url)`` per click event -> links, most clicked first."""
    total: dict[str, int] = {}
    people: dict[str, set[int]] = {}
    for delivery_id, url in clicks:
        label = link_label(url, own_base)
        total[label] = total.get(label, 0) + 1
        if delivery_id is not None:
            people.setdefault(label, set()).add(delivery_id)
    found = [LinkClicks(k, n, len(people.get(k, ()))) for k, n in total.items()]
    return sorted(found, key=lambda r: (-r.clicks, -r.people, r.link))
