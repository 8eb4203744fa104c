"""A campaign's outcome day by day, for the report chart: how many deliveries were handed over
and, per outcome, how many distinct deliveries had it that day (UTC days).

The outcomes are the report's (delivery/reporting.py): hard bounces and blocks count together
as bounced, a SendGrid group unsubscribe as unsubscribed. Days without anything are zeros, so
the chart's spacing is time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from newsletter.delivery.domain.events import EventKind
from newsletter.delivery.ports import DeliveryServices

#: Chart series in drawing order, each with the stored names it sums.
SERIES: dict[str, tuple[str, ...]] = {
    "sent": ("sent",),
    "delivered": (EventKind.DELIVERED.value,),
    "opened": (EventKind.OPENED.value,),
    "clicked": (EventKind.CLICKED.value,),
    "bounced": (EventKind.BOUNCED.value, EventKind.BLOCKED.value),
    "complained": (EventKind.COMPLAINED.value,),
    "unsubscribed": (EventKind.UNSUBSCRIBED.value, EventKind.GROUP_UNSUBSCRIBED.value),
}
#: The chart shows at most this many days from the first (a campaign's story is its first weeks).
MAX_DAYS = 90
_SOURCE = {name: series for series, names in SERIES.items() for name in names}


@dataclass
class DailySeries:
    days: list[dt.date] = field(default_factory=list)
    values: dict[str, list[int]] = field(default_factory=dict)
    #: Events after the last day shown.
    cut: bool = False

    @property
    def empty(self) -> bool:
        return not self.days

    def rows(self) -> list[tuple[dt.date, list[int]]]:
        """Day by day, the values in :data:`SERIES` order (for the table under the chart)."""
        return [(day, [self.values[s][i] for s in SERIES]) for i, day in enumerate(self.days)]


def daily_series(ctx: DeliveryServices, slug: str) -> DailySeries:
    cid = ctx.ledger.campaign_id(slug)
    if cid is None or ctx.history is None:
        return DailySeries()
    counts = [c for c in ctx.history.daily(cid) if c.series in _SOURCE]
    if not counts:
        return DailySeries()
    first = min(c.day for c in counts)
    last = max(c.day for c in counts)
    span = min((last - first).days + 1, MAX_DAYS)
    days = [first + dt.timedelta(days=i) for i in range(span)]
    values = {series: [0] * span for series in SERIES}
    for c in counts:
        index = (c.day - first).days
        if index < span:
            values[_SOURCE[c.series]][index] += c.count
    return DailySeries(days, values, cut=(last - first).days + 1 > span)
