"""Every capability's bundle in one object, for the web app until its endpoints take the
bundles themselves (``bootstrap.App``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from newsletter.authoring.ports import AuthoringServices
from newsletter.core.links import PREFERENCES, UNSUBSCRIBE, Links, preview_purpose, test_purpose

__all__ = ["PREFERENCES", "UNSUBSCRIBE", "Context", "Links", "preview_purpose", "test_purpose"]


@dataclass(frozen=True, kw_only=True)
class Context(AuthoringServices):
    #: Releases pooled connections; call when done (the CLI and tests do).
    close: Callable[[], None] = lambda: None
