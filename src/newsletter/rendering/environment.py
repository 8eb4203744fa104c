"""The Jinja2 environment every email template runs in.

- ``SandboxedEnvironment``: campaign copy is written by staff in a browser; a template must not
  reach Python internals (``().__class__.__mro__`` and friends raise SecurityError).
- ``StrictUndefined``: a misspelt variable is an error at validation, not a blank in 2,000 inboxes.
- Autoescaping on for every template except ``*.txt.j2``: Jinja's default ``select_autoescape``
  does not know ``.mjml``, so MJML templates would otherwise go out unescaped (a ``<`` in a name
  also breaks the MJML parser).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from babel.dates import format_date, format_datetime, format_interval
from babel.numbers import format_currency, format_decimal
from jinja2 import FunctionLoader, StrictUndefined, TemplateNotFound
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEnvironment

TemplateLoader = Callable[[str], str]
"""Returns a template's source by name, or raises KeyError if there is none."""


def babel_locale(lang: str) -> str:
    """BCP 47 (``sr-Cyrl``) to the CLDR identifier Babel expects (``sr_Cyrl``)."""
    return lang.replace("-", "_")


def _date(value: dt.date | str, lang: str, fmt: str = "long") -> str:
    day = dt.date.fromisoformat(value) if isinstance(value, str) else value
    return format_date(day, format=fmt, locale=babel_locale(lang))


def _daterange(start: dt.date | str, end: dt.date | str, lang: str) -> str:
    first = dt.date.fromisoformat(start) if isinstance(start, str) else start
    last = dt.date.fromisoformat(end) if isinstance(end, str) else end
    return format_interval(first, last, "yMMMMd", locale=babel_locale(lang))


def _datetime(value: dt.datetime, lang: str, fmt: str = "long") -> str:
    return format_datetime(value, format=fmt, tzinfo=value.tzinfo, locale=babel_locale(lang))


def _money(amount: Decimal | float | str, currency: str, lang: str) -> str:
    return format_currency(Decimal(str(amount)), currency, locale=babel_locale(lang))


def _number(value: Decimal | float | int | str, lang: str) -> str:
    return format_decimal(Decimal(str(value)), locale=babel_locale(lang))


def build_environment(load: TemplateLoader) -> SandboxedEnvironment:
    def source(name: str) -> tuple[str, str, None]:
        try:
            text = load(name)
        except KeyError as exc:
            raise TemplateNotFound(name) from exc
        # The name becomes the code's file name, which is how errors find the template line.
        return text, name, None

    # Immutable: a template must not be able to change the campaign data it is given.
    env = ImmutableSandboxedEnvironment(
        loader=FunctionLoader(source),
        undefined=StrictUndefined,
        autoescape=lambda name: name is None or not name.endswith(".txt.j2"),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    filters: dict[str, Any] = {
        "date": _date,
        "daterange": _daterange,
        "datetime": _datetime,
        "money": _money,
        "number": _number,
    }
    env.filters.update(filters)
    return env
