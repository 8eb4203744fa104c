"""Dark mode: every sample email says it supports both colour schemes, and every
piece of visible text stays readable in Chromium with the light scheme, with the dark scheme
emulated (what clients that honour ``prefers-color-scheme`` show), and with every colour
inverted (what clients that invert the email themselves, like the Gmail apps, show).

Readable is WCAG AA: a contrast of 4.5:1, or 3:1 for large text (24 px, or 18.66 px bold),
between each text's own colour and the first opaque background behind it. Never downloads a
browser: without Debian's Chromium the test is skipped with a loud reason.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.content.rendering import samples
from tests.web.browser_helpers import chromium, require_chromium

pytestmark = pytest.mark.browser

#: ``NEWSLETTER_DOCS_SCREENSHOTS=1``: also write the dark screenshots of docs/member-pages.md.
DOCS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"
SCREENSHOTS = os.environ.get("NEWSLETTER_DOCS_SCREENSHOTS") == "1"

VARIANTS = [
    (slug, step, lang)
    for slug in samples.SLUGS
    for step in samples.campaign(slug).step_keys()[:2]  # the main step and a reminder
    for lang in ("en", "sr-Cyrl")
    if lang in samples.campaign(slug).languages
]

#: Per element with text of its own: its colour, the opaque background behind it, its size.
CONTRASTS = """(invert) => {
  const rgb = s => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = c => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const ratio = (a, b) => {
    const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  };
  const background = el => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length >= 3 && (c.length < 4 || c[3] > 0.5)) return c.slice(0, 3);
    }
    return matchMedia('(prefers-color-scheme: dark)').matches ? [18, 18, 18] : [255, 255, 255];
  };
  const flip = c => invert ? c.map(v => 255 - v) : c;
  const bad = [];
  for (const el of document.body.querySelectorAll('*')) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own || el.getClientRects().length === 0) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden') continue;
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    const got = ratio(flip(rgb(style.color).slice(0, 3)), flip(background(el)));
    if (got < (large ? 3 : 4.5)) {
      bad.push([el.tagName, el.textContent.trim().slice(0, 40), style.color,
                String(background(el)), got.toFixed(2)]);
    }
  }
  return bad;
}"""


@pytest.fixture(scope="module")
def browser() -> Any:
    require_chromium()
    with chromium() as launched:
        yield launched


@pytest.mark.parametrize(("slug", "step", "lang"), VARIANTS)
def test_every_text_stays_readable_light_dark_and_inverted(
    browser: Any, slug: str, step: str, lang: str
) -> None:
    html = samples.message(slug, lang, step).html
    assert '<meta name="color-scheme" content="light dark"' in html
    assert "prefers-color-scheme: dark" in html
    page = browser.new_page(viewport={"width": 375, "height": 800})
    try:
        for scheme, invert in (("light", False), ("dark", False), ("light", True)):
            page.emulate_media(color_scheme=scheme)
            page.set_content(html, wait_until="load")
            bad = page.evaluate(CONTRASTS, invert)
            assert not bad, f"{slug} {step} {lang}, {scheme}{' inverted' if invert else ''}: {bad}"
        # The dark palette really is dark: a client that honours it shows no white card.
        page.emulate_media(color_scheme="dark")
        page.set_content(html, wait_until="load")
        card = page.evaluate("getComputedStyle(document.querySelector('.nl-card')).backgroundColor")
        assert card == "rgb(30, 34, 39)"
        if SCREENSHOTS and step == "main" and lang != "en":
            page.screenshot(path=str(DOCS / f"email-dark-{slug}-{lang}.png"), full_page=True)
    finally:
        page.close()
