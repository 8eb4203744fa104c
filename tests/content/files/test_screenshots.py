"""Every sample campaign, in every language it targets, fits a 375 px phone screen without
horizontal scrolling, measured in headless Chromium (``document.documentElement.scrollWidth``).

Needs Debian's ``chromium`` (scripts/test installs it); without it these tests are skipped with
a loud reason, never silently passed."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsletter.content.composing import SCREENSHOT_WIDTHS, screenshots
from newsletter.content.files.screenshots import ChromiumScreenshots, find_chromium
from tests.content.rendering import samples

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def chromium() -> Iterator[ChromiumScreenshots]:
    if find_chromium() is None:
        pytest.skip(
            "BROWSER TESTS SKIPPED: no Chromium at /usr/bin/chromium (apt-get install chromium)"
        )
    with ChromiumScreenshots() as shooter:  # one browser for the module
        yield shooter


def png_width(path: Path) -> int:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return int(struct.unpack(">I", head[16:20])[0])


@pytest.mark.parametrize(
    ("slug", "lang"),
    [(slug, lang) for slug in samples.SLUGS for lang in samples.campaign(slug).languages],
)
def test_no_horizontal_scroll_on_a_phone(
    chromium: ChromiumScreenshots, tmp_path: Path, slug: str, lang: str
) -> None:
    message = samples.message(slug, lang)
    (shot,) = chromium.shoot(message.html, [375], tmp_path / f"{slug}-{lang}")
    assert shot.inner_width == 375  # device metrics, not a 500 px minimum window
    assert shot.fits, f"{slug} ({lang}) is {shot.scroll_width} px wide at 375 px"
    assert png_width(shot.path) == 375


def test_a_too_wide_email_is_caught(chromium: ChromiumScreenshots, tmp_path: Path) -> None:
    html = '<html><body><table style="width: 700px"><tr><td>wide</td></tr></table></body></html>'
    (shot,) = chromium.shoot(html, [375], tmp_path / "wide")
    assert not shot.fits and shot.scroll_width >= 700


def test_preview_screenshots_at_phone_and_desktop_width(
    chromium: ChromiumScreenshots, tmp_path: Path
) -> None:
    message = samples.message("days-of-clusters-2015", "sr-Cyrl")
    shots = screenshots(message, chromium, tmp_path / "dofc-sr-Cyrl")
    assert [s.width for s in shots] == list(SCREENSHOT_WIDTHS) == [375, 640]
    assert [png_width(s.path) for s in shots] == [375, 640]
    assert all(s.fits for s in shots)
