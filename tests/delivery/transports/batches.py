"""Small hand-made batches for transport tests (no templates needed)."""

from __future__ import annotations

from newsletter.content.rendering import merge
from newsletter.content.rendering.compose import Batch, ComposedVariant, Personalization, Sender
from newsletter.core.links import Links

VARIANT = ComposedVariant(
    campaign="days-of-clusters-2015",
    step="main",
    language="sr-Cyrl",
    topic="events",
    subject="Дани кластера 2015 у Брашову",
    preheader="22–23. октобар",
    html=(
        "<html><body><p>Поштовани [[nl:first_name:h]],</p>"
        '<a href="[[nl:unsubscribe_url:h]]">Одјава</a></body></html>'
    ),
    text="Поштовани [[nl:first_name]],\nОдјава: [[nl:unsubscribe_url]]\n",
    categories=("days-of-clusters-2015",),
)
SENDER = Sender("news@clusterhouse.example", "Cluster House", "office@clusterhouse.example")
#: A deployment behind a long base URL: its signed unsubscribe links are 150-250 characters.
LONG_BASE = "https://newsletter.balkan-blacksea-clusters.example/some/long/path"


def signed_url(i: int, base: str = LONG_BASE) -> str:
    """The unsubscribe link the send path would give member ``i`` (a real signed token)."""
    return Links(base, b"k" * 32).unsubscribe(1_000_000 + i, "calls-for-proposals", 1441094400)


def person(i: int, name: str = "Јелена", url: str | None = None) -> Personalization:
    url = url or f"https://news.clusterhouse.example/u/tok{i}"
    values = {"first_name": name, "unsubscribe_url": url}
    return Personalization(
        delivery_id=i,
        to_email=f"member{i}@klaster-nis.example",
        to_name=f"{name} Петровић",
        substitutions=merge.substitutions(values),
        headers=(
            ("List-Unsubscribe", f"<{url}>"),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
            ("List-Id", '"Cluster House - events" <events.clusterhouse.example>'),
        ),
    )


def batch(n: int, start: int = 1, *, long_urls: bool = False) -> Batch:
    people = (person(i, url=signed_url(i) if long_urls else None) for i in range(start, start + n))
    return Batch(VARIANT, SENDER, tuple(people))
