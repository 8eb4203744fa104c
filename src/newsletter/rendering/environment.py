"""The Jinja2 environment every email template runs in.

- Sandboxed (``ImmutableSandboxedEnvironment`` with the limits of :mod:`sandbox`): campaign
  copy is written by staff in a browser; a template must not reach Python internals
  (``().__class__.__mro__`` raises SecurityError), run for ever or fill memory.
- ``StrictUndefined``: a misspelt variable is an error at validation, not a blank in 2,000 inboxes.
- Autoescaping on for every template except ``*.txt.j2``: Jinja's default ``select_autoescape``
  does not know ``.mjml``, so MJML templates would otherwise go out unescaped (a ``<`` in a name
  also breaks the MJML parser). The plain-text twin is rendered unescaped (reliability SEC-07).
- Filters for the reader's locale (:mod:`dates`) and ``href``, which refuses a link whose scheme
  is not https, http or mailto (SEC-06); compose checks the finished HTML again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jinja2 import FunctionLoader, StrictUndefined, TemplateNotFound

from newsletter.domain.urls import check_url, is_safe_link
from newsletter.rendering import dates
from newsletter.rendering.sandbox import GuardedEnvironment, LimitExceeded

TemplateLoader = Callable[[str], str]
"""Returns a template's source by name, or raises KeyError if there is none."""

babel_locale = dates.babel_locale


class UnsafeLink(LimitExceeded):
    """A template tried to link to a URL whose scheme is not allowed."""


def href(value: Any) -> Any:
    """``href="{{ c.url | href }}"``: the URL if it is safe to click, else a SecurityError.
    Merge placeholders (``links.unsubscribe``) pass: their values are our own https URLs."""
    text = str(value)
    if text.startswith("[[nl:") and text.endswith("]]"):
        return value
    try:
        check_url(text)
    except ValueError as exc:
        raise UnsafeLink(f"unsafe link {text[:80]!r}: {exc}") from exc
    return value


def build_environment(load: TemplateLoader) -> GuardedEnvironment:
    def source(name: str) -> tuple[str, str, None]:
        try:
            text = load(name)
        except KeyError as exc:
            raise TemplateNotFound(name) from exc
        # The name becomes the code's file name, which is how errors find the template line.
        return text, name, None

    # Immutable: a template must not be able to change the campaign data it is given.
    env = GuardedEnvironment(
        loader=FunctionLoader(source),
        undefined=StrictUndefined,
        autoescape=lambda name: name is None or not name.endswith(".txt.j2"),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.add_filters(
        {
            "date": dates.date,
            "daterange": dates.daterange,
            "datetime": dates.datetime,
            "time": dates.time,
            "zone": dates.zone,
            "money": dates.money,
            "number": dates.number,
            "href": href,
        }
    )
    env.tests["safe_url"] = lambda value: is_safe_link(str(value))
    return env
