"""One place where tests get their dependencies: the bundles ``bootstrap.build_app`` builds,
as one object.

A test often drives use cases of several capabilities (send, then read the ledger, then the
staff pages); the widest bundle, authoring's, extends every lower one, so it can be handed to
any of them. ``Services`` is that bundle plus ``close()``, and ``.app`` gives the App over the
same ports (what the web app and the CLI carry), so a test that swaps a port with
``dataclasses.replace`` gets an App with the swapped port too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from functools import cached_property

from newsletter.authoring.ports import AuthoringServices
from newsletter.bootstrap import App, assemble, build_app
from newsletter.config import Settings
from newsletter.core.clock import Clock


@dataclass(frozen=True, kw_only=True)
class Services(AuthoringServices):
    #: Releases pooled connections; call when done.
    close: Callable[[], None] = lambda: None

    @cached_property
    def app(self) -> App:
        return assemble(self, self.close)


def of_app(app: App) -> Services:
    ports = {f.name: getattr(app.authoring, f.name) for f in fields(AuthoringServices)}
    return Services(**ports, close=app.close)


def services(settings: Settings, *, clock: Clock | None = None, migrate: bool = True) -> Services:
    """Every bundle over ``settings``' database (migrated first unless ``migrate=False``)."""
    return of_app(build_app(settings, clock=clock, migrate=migrate))
