"""Screenshots of an email in headless Chromium (Debian's ``chromium`` package), via Playwright.

Chromium started from the command line will not make its window narrower than 500 px, so a
``--window-size=375,...`` screenshot is really 500 px wide; Playwright's viewport sets the
device metrics instead, and 375 px is 375 px. We use the system browser (``executable_path``) and
never download one.

The page gets the email's HTML directly and every request it makes is refused: a preview must
not call out (tracking pixels, remote images), and what a member with images blocked sees is
a fair picture of Outlook's default. "No horizontal scrolling" is measured, not eyeballed:
``document.documentElement.scrollWidth <= innerWidth``.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from newsletter.content.ports.catalog import Shot
from newsletter.errors import ConfigError, RenderError

DEBIAN_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
#: Tall enough for the header and first screen; the screenshot covers the full page anyway.
VIEWPORT_HEIGHT = 800
TIMEOUT_MS = 30_000


def find_chromium(explicit: str | None = None) -> str | None:
    for candidate in (explicit, DEBIAN_CHROMIUM, shutil.which("chromium")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


class ChromiumScreenshots:
    """Takes full-page PNGs of HTML at given viewport widths and measures horizontal overflow."""

    def __init__(self, executable: str | None = None) -> None:
        found = find_chromium(executable)
        if found is None:
            raise ConfigError(
                f"no Chromium at {executable or DEBIAN_CHROMIUM}: install Debian's chromium "
                "package (apt-get install chromium; scripts/test does this)"
            )
        self.executable = found
        self._pw: Any = None
        self._browser: Any = None

    def __enter__(self) -> ChromiumScreenshots:
        """Keep one browser for many screenshots (launching takes a second or two)."""
        self._pw = _playwright().start()
        self._browser = self._launch(self._pw)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._browser is not None:
            self._browser.close()
        if self._pw is not None:
            self._pw.stop()
        self._browser = self._pw = None

    def shoot(self, html: str, widths: Sequence[int], stem: Path) -> list[Shot]:
        """Write ``<stem>-<width>.png`` for each width; return what each measured."""
        from playwright.sync_api import Error as PlaywrightError

        stem.parent.mkdir(parents=True, exist_ok=True)
        try:
            if self._browser is not None:
                return [self._one(self._browser, html, width, stem) for width in widths]
            with _playwright() as pw:
                browser = self._launch(pw)
                try:
                    return [self._one(browser, html, width, stem) for width in widths]
                finally:
                    browser.close()
        except PlaywrightError as exc:
            raise RenderError(f"Chromium could not render the preview: {exc.message}") from exc

    def _launch(self, pw: Any) -> Any:
        return pw.chromium.launch(
            executable_path=self.executable, args=list(CHROMIUM_ARGS), timeout=TIMEOUT_MS
        )

    def _one(self, browser: Any, html: str, width: int, stem: Path) -> Shot:
        page = browser.new_page(viewport={"width": width, "height": VIEWPORT_HEIGHT})
        try:
            page.set_default_timeout(TIMEOUT_MS)
            page.route("**/*", _refuse_network)
            page.set_content(html, wait_until="load")
            scroll, inner = page.evaluate(
                "[document.documentElement.scrollWidth, window.innerWidth]"
            )
            path = stem.with_name(f"{stem.name}-{width}.png")
            page.screenshot(path=str(path), full_page=True)
        finally:
            page.close()
        return Shot(width=width, path=path, scroll_width=int(scroll), inner_width=int(inner))


def _playwright() -> Any:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - a dev dependency
        raise ConfigError("screenshots need the playwright package (pip install .[dev])") from exc
    return sync_playwright()


def _refuse_network(route: Any) -> None:
    if route.request.url.startswith(("data:", "about:")):
        route.continue_()
    else:
        route.abort()
