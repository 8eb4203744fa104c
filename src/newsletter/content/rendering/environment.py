"""The Jinja2 environment every email template runs in.

- Sandboxed (``ImmutableSandboxedEnvironment`` with the limits of :mod:`sandbox`): campaign
  copy is written by staff in a browser; a template must not reach Python internals
  (``().__class__.__mro__`` raises SecurityError), run for ever or fill memory.
- ``StrictUndefined``: a misspelt variable is an error at validation, not a blank in 2,000 inboxes.
- Autoescaping on for every template except ``*.txt.j2``: Jinja's default ``select_autoescape``
  does not know ``.mjml``, so MJML templates would otherwise go out unescaped (a ``<`` in a name
  also breaks the MJML parser). The plain-text twin is rendered unescaped (no HTML).
- ``finalize`` keeps staff text data: a ``[[nl:...]]`` typed into copy or a URL is shown as
  typed, never filled per recipient; only the merge proxies' own placeholders are.
- Filters for the reader's locale (:mod:`dates`) and ``href``, which refuses a link whose scheme
  is not https, http or mailto (core/urls.py); compose checks the finished HTML again.
- ``paragraphs`` and ``rich`` write staff paragraphs with their bit of Markdown (bold, italic,
  links, lists: :mod:`richtext`), as HTML in the MJML part and as plain text in the other.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from types import CodeType
from typing import Any

from jinja2 import (
    BytecodeCache,
    FunctionLoader,
    StrictUndefined,
    TemplateNotFound,
    TemplateSyntaxError,
    meta,
)
from jinja2.bccache import Bucket

from newsletter.content.rendering import dates, merge, richtext
from newsletter.content.rendering.sandbox import GuardedEnvironment, LimitExceeded
from newsletter.core.urls import check_url, is_safe_link

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


class _CompiledTemplates(BytecodeCache):
    """Compiled template code shared by every environment :func:`build_environment` makes.

    Each compose builds a fresh environment (its loader reads the project's current files),
    so Jinja's own per-environment cache never hits and every step recompiled the same
    templates; the scheduler composes once per due step. Jinja's bucket key is the template
    name and the checksum of its source, so an edited template compiles afresh. Sharing is
    sound only because every environment here has the same options and filters, which the
    generated code depends on. Kept in memory (no I/O), least recently used dropped first.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._code: OrderedDict[tuple[str, str], CodeType] = OrderedDict()
        self._lock = threading.Lock()  # composes run in web and scheduler threads at once

    def load_bytecode(self, bucket: Bucket) -> None:
        with self._lock:
            code = self._code.get((bucket.key, bucket.checksum))
            if code is not None:
                self._code.move_to_end((bucket.key, bucket.checksum))
        bucket.code = code

    def dump_bytecode(self, bucket: Bucket) -> None:
        if bucket.code is None:
            return
        with self._lock:
            self._code[(bucket.key, bucket.checksum)] = bucket.code
            while len(self._code) > self.size:
                self._code.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._code.clear()


_COMPILED = _CompiledTemplates(size=256)


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
        bytecode_cache=_COMPILED,
        finalize=merge.finalize,
    )
    env.add_filters(
        {
            "date": dates.date,
            "daterange": dates.daterange,
            "datetime": dates.datetime,
            "date_time": dates.date_time,
            "time": dates.time,
            "zone": dates.zone,
            "money": dates.money,
            "number": dates.number,
            "href": href,
            "paragraphs": richtext.paragraphs,
            "rich": richtext.rich,
        }
    )
    env.tests["safe_url"] = lambda value: is_safe_link(str(value))
    return env


def templates_used(load: TemplateLoader, names: list[str]) -> dict[str, str]:
    """Every template the named ones use, with its source: the named ones and, followed
    recursively, what they extend, include or import. A name that does not load is left out
    (validation reports it). What an approval binds includes these sources: a layout or partial
    edited on disk changes what members get."""
    env = build_environment(load)
    found: dict[str, str] = {}
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in found:
            continue
        try:
            found[name] = load(name)
        except KeyError:
            continue
        try:
            tree = env.parse(found[name])
        except TemplateSyntaxError:
            continue  # rendering reports it, with its line
        todo.extend(n for n in meta.find_referenced_templates(tree) if n)
    return dict(sorted(found.items()))
