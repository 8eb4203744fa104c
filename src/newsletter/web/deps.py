"""What a web endpoint works with, in one place: :class:`WebDeps`, built once per app by
:func:`newsletter.web.app.create_app` and kept on the Starlette application's state, and
:func:`deps`, the one typed way an endpoint reads it.

Endpoints are plain module-level ``async def name(request) -> Response`` functions: the route
lists name them, and each reads what it needs at request time (``app = deps(request).app``),
so no endpoint is a closure over a factory's arguments. Starlette puts the application on
every request's scope (``request.app``) and offers ``app.state`` for exactly this kind of
shared object (https://www.starlette.io/applications/#storing-state-on-the-app-instance).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from jinja2 import Environment
from starlette.requests import HTTPConnection

from newsletter.audiences.files.uploads import UploadShelf
from newsletter.bootstrap import App
from newsletter.scheduling.ports import Scheduling

if TYPE_CHECKING:  # web.staff imports this module; the store is made in app.py
    from newsletter.web.staff.form_view import PreviewStore


class Verifier(Protocol):
    """Checks a provider webhook's signature over the exact bytes received."""

    def verify(
        self, body: bytes, signature: str | None, timestamp: str | None, *, now: float
    ) -> None: ...


@dataclass(frozen=True)
class WebDeps:
    """Everything the endpoints of one app share.

    ``scheduling`` builds the scheduling use cases for the staff pages (None: campaigns cannot
    be scheduled from the browser); ``webhook`` checks SendGrid's signatures (None: the
    webhook refuses everything) against the clock ``now``; ``uploads`` keeps member-import
    files between the steps of an import and ``previews`` the live previews of the campaign
    form, both for this process only."""

    app: App
    env: Environment
    uploads: UploadShelf
    previews: PreviewStore
    scheduling: Callable[[], Scheduling] | None = None
    webhook: Verifier | None = None
    now: Callable[[], float] = time.time


def deps(request: HTTPConnection) -> WebDeps:
    """The :class:`WebDeps` of the app serving ``request``."""
    found: WebDeps = request.app.state.deps
    return found
