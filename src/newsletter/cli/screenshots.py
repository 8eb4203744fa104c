"""``campaigns preview --screenshot DIR``: PNGs at phone and desktop width, and the verdict on
horizontal scrolling (a member on a phone must never have to scroll sideways)."""

from __future__ import annotations

import sys
from pathlib import Path

from newsletter.cli.common import err, out
from newsletter.content.composing import screenshots
from newsletter.content.rendering.messages import OutboundMessage


def take_screenshots(
    message: OutboundMessage, folder: Path, campaign: str, language: str | None, step: str
) -> None:
    from newsletter.content.files.screenshots import ChromiumScreenshots

    name = Path(campaign).stem if campaign.endswith((".yaml", ".yml")) else campaign
    parts = [name, language or "default", *([step] if step != "main" else [])]
    shots = screenshots(message, ChromiumScreenshots(), folder / "-".join(parts))
    for shot in shots:
        if shot.fits:
            out.print(f"[green]✓[/] {shot.path} ({shot.width} px, no horizontal scroll)")
        else:
            err.print(
                f"[red]✗[/] {shot.path}: scrolls sideways at {shot.width} px "
                f"(content {shot.scroll_width} px wide)",
                highlight=False,
            )
    if not all(shot.fits for shot in shots):
        sys.exit(1)
