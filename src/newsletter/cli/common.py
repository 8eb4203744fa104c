"""Shared CLI plumbing: settings/context loading, error presentation, JSON output.

Every user mistake surfaces as a NewsletterError and is printed as ``error: <where>: <what>``
with a non-zero exit code, never as a traceback. So do operational faults of the database (a
lock held too long, a read-only or full disk) and of the file system: one line saying what
failed and what to do, without the SQL statement or its parameters (personal data).
``--json`` prints one JSON document on stdout.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click
from rich.console import Console
from rich.markup import escape
from sqlalchemy.exc import DBAPIError

from newsletter.config import Settings, load_settings
from newsletter.db.faults import database_fault, file_fault
from newsletter.errors import InputError, NewsletterError

if TYPE_CHECKING:  # built on first use: a command that needs no database loads none of it
    from newsletter.bootstrap import App

F = TypeVar("F", bound=Callable[..., Any])
# Never wrap: paths and row numbers must stay greppable. Piped output gets a wide table width
# instead of Rich's 80 columns, so names are not truncated in logs.
out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, soft_wrap=True)


class State:
    def __init__(self, config: str | None) -> None:
        self.config = config
        self._settings: Settings | None = None
        self._app: App | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config)
        return self._settings

    def close(self) -> None:
        if self._app is not None:
            self._app.close()

    @property
    def app(self) -> App:
        """Every capability's bundle, built on first use; each command hands a use case the
        bundle of that use case's capability."""
        if self._app is None:
            from newsletter.bootstrap import build_app

            self._app = build_app(self.settings)
        return self._app


def handle_errors(func: F) -> F:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except NewsletterError as exc:
            # The message is text, never markup: "[early_bird]" or a file's "[0]" must survive.
            err.print(
                f"[bold red]error:[/] {escape(str(exc))}",
                highlight=False,
                markup=True,
                soft_wrap=True,
            )
            sys.exit(2 if isinstance(exc, InputError) else 1)
        except DBAPIError as exc:
            _fail(database_fault(exc))
        except OSError as exc:
            _fail(file_fault(exc))

    return wrapper  # type: ignore[return-value]


def _fail(message: str) -> None:
    err.print(
        f"[bold red]error:[/] {escape(message)}", highlight=False, markup=True, soft_wrap=True
    )
    sys.exit(1)


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


pass_state = click.make_pass_decorator(State)
