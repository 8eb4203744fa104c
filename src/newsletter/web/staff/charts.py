"""Charts drawn on the server as inline SVG: no script, no CDN, no plotting library.

Colours are SVG presentation attributes (``fill``, ``stroke``), not ``style`` attributes, so the
strict Content-Security-Policy (``style-src 'self'``, no inline styles) holds (CSP Level 3
§6.1.3 governs ``style`` attributes only). Each point carries a ``<title>``, which browsers show
as a tooltip and screen readers read; the page puts the same numbers in a table too.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from html import escape

from markupsafe import Markup

#: Distinguishable for the common colour-vision deficiencies (Okabe & Ito, 2008), dark enough
#: on white for lines.
PALETTE: dict[str, str] = {
    "sent": "#555555",
    "delivered": "#0072b2",
    "opened": "#009e73",
    "clicked": "#56b4e9",
    "bounced": "#e69f00",
    "complained": "#d55e00",
    "unsubscribed": "#cc79a7",
}
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 32, 16, 64


def nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten that is >= ``value`` (at least 1)."""
    if value <= 1:
        return 1
    power = int(10 ** math.floor(math.log10(value)))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


def daily_lines(
    days: Sequence[dt.date],
    series: Mapping[str, Sequence[int]],
    *,
    title: str,
    width: int = 760,
    height: int = 300,
) -> Markup:
    """One line per series over the days, with markers, axes and a legend."""
    plot_w, plot_h = width - _LEFT - _RIGHT, height - _TOP - _BOTTOM
    top = nice_ceiling(max((max(v, default=0) for v in series.values()), default=0))
    n = len(days)

    def x(i: int) -> float:
        return _LEFT + (plot_w / 2 if n == 1 else plot_w * i / (n - 1))

    def y(v: int) -> float:
        return _TOP + plot_h - plot_h * v / top

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-labelledby="chart-title">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<rect x="{_LEFT}" y="{_TOP}" width="{plot_w}" height="{plot_h}" fill="#ffffff" '
        'stroke="#b8c0cc"/>',
    ]
    for k in range(5):
        value = top * k // 4
        yy = y(value)
        parts.append(
            f'<line x1="{_LEFT}" y1="{yy:.1f}" x2="{_LEFT + plot_w}" y2="{yy:.1f}" '
            'stroke="#e3e7ec"/>'
        )
        parts.append(
            f'<text x="{_LEFT - 6}" y="{yy + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="#3b4a5a">{value}</text>'
        )
    every = max(1, math.ceil(n / 10))
    for i, day in enumerate(days):
        if i % every == 0 or i == n - 1:
            parts.append(
                f'<text x="{x(i):.1f}" y="{_TOP + plot_h + 16}" text-anchor="middle" '
                f'font-size="11" fill="#3b4a5a">{day:%d %b}</text>'
            )
    for name, values in series.items():
        colour = PALETTE.get(name, "#333333")
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        if n > 1:
            parts.append(
                f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>'
            )
        for i, v in enumerate(values):
            if v or n == 1:
                label = escape(f"{days[i]:%Y-%m-%d}: {name} {v}")
                parts.append(
                    f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3.5" fill="{colour}">'
                    f"<title>{label}</title></circle>"
                )
    legend_y = height - 18
    step = plot_w / max(1, len(series))
    for index, name in enumerate(series):
        lx = _LEFT + index * step
        parts.append(
            f'<rect x="{lx:.1f}" y="{legend_y - 9}" width="12" height="12" '
            f'fill="{PALETTE.get(name, "#333333")}"/>'
        )
        parts.append(
            f'<text x="{lx + 16:.1f}" y="{legend_y + 1}" font-size="12" fill="#1d2733">'
            f"{escape(name)}</text>"
        )
    parts.append("</svg>")
    # Safe: every piece of text above went through html.escape; the rest are our numbers.
    return Markup("".join(parts))  # noqa: S704
