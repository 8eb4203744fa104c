"""The interfaces the use cases need; adapters implement them, tests may fake them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from newsletter.audiences.domain.segments import Segment
from newsletter.content.domain.campaigns import CampaignDefinition
from newsletter.content.rendering.ics import Revision


class Catalog(Protocol):
    """Campaign, segment and template definitions (files today, the web app's store later)."""

    def template(self, name: str) -> str:
        """Template source by name; KeyError if there is none."""
        ...

    def ui_strings(self) -> dict[str, dict[str, str]]: ...

    def segments(self) -> dict[str, Segment]: ...

    def segment(self, name: str) -> Segment: ...

    def campaign(self, ref: str) -> tuple[CampaignDefinition, Path]: ...

    def campaign_paths(self) -> Iterator[Path]: ...


class CalendarRevisions(Protocol):
    """SEQUENCE and DTSTAMP per calendar UID (content/sql/ics_revisions.py): the same fingerprint
    gives the same revision, a changed one the next SEQUENCE (RFC 5545 §3.8.7.4)."""

    def revision(self, uid: str, fingerprint: str, *, now: dt.datetime) -> Revision: ...


@dataclass(frozen=True, slots=True)
class Shot:
    """One screenshot: where it is and whether the page scrolled sideways at that width."""

    width: int
    path: Path
    scroll_width: int
    inner_width: int

    @property
    def fits(self) -> bool:
        return self.scroll_width <= self.inner_width


class Screenshots(Protocol):
    """Renders HTML in a browser at given widths (content/files/screenshots.py)."""

    def shoot(self, html: str, widths: Sequence[int], stem: Path) -> list[Shot]: ...
