"""One place where tests get their dependencies: the bundles ``bootstrap.build_app`` builds,
as one object.

A test often drives use cases of several capabilities (send, then read the ledger, then the
staff pages); the widest bundle, authoring's, extends every lower one, so it can be handed to
any of them. ``Services`` is that bundle plus the App it came from (``.app``, what the web app
and the CLI carry) and ``close()``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from newsletter.authoring.ports import AuthoringServices
from newsletter.bootstrap import App, build_app
from newsletter.config import Settings
from newsletter.core.clock import Clock


@dataclass(frozen=True, kw_only=True)
class Services(AuthoringServices):
    app: App

    def close(self) -> None:
        self.app.close()


def of_app(app: App) -> Services:
    ports = {f.name: getattr(app.authoring, f.name) for f in fields(AuthoringServices)}
    return Services(**ports, app=app)


def services(settings: Settings, *, clock: Clock | None = None, migrate: bool = True) -> Services:
    """Every bundle over ``settings``' database (migrated first unless ``migrate=False``)."""
    return of_app(build_app(settings, clock=clock, migrate=migrate))
