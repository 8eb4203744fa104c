"""Merge fields: the per-recipient values filled in after the one compile per variant.

Templates are rendered once per language variant, so a template cannot see a recipient. It
writes ``{{ recipient.first_name }}`` or ``{{ links.unsubscribe }}`` and gets a placeholder;
:func:`fill` replaces the placeholders for each recipient (SendGrid does the same with
``substitutions``). HTML and text get different placeholders because the values are escaped
differently in each.
"""

from __future__ import annotations

import html
import re
from collections.abc import Collection, Iterable, Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from markupsafe import Markup

#: Fields a template may merge per recipient. Anything else is a template error.
RECIPIENT_FIELDS: tuple[str, ...] = (
    "first_name",
    "last_name",
    "full_name",
    "organization",
    "email",
)
LINK_FIELDS: tuple[str, ...] = ("unsubscribe", "preferences")
ALL_FIELDS: tuple[str, ...] = RECIPIENT_FIELDS + tuple(f"{n}_url" for n in LINK_FIELDS)


def placeholder(field: str, *, html_part: bool) -> str:
    return f"[[nl:{field}:h]]" if html_part else f"[[nl:{field}]]"


def url_placeholder(field: str) -> str:
    """The placeholder of a value that lands inside a URL (after its first character): filled
    percent-encoded (RFC 3986 §2.1), so ``&``, ``?``, ``#``, spaces, quotes or Cyrillic in a
    name cannot end the query parameter or start another, in either part."""
    return f"[[nl:{field}:u]]"


#: What opens a placeholder, and what staff text that looks like one is turned into: a
#: WORD JOINER (U+2060, invisible, no width) between the brackets, so the text reads the
#: same but :func:`fill` never sees a placeholder in it.
OPENER = "[[nl:"
NEUTRAL_OPENER = "[\u2060[nl:"


class TextPlaceholder(str):
    """A placeholder a template asked for (``{{ recipient.email }}``) in the text part."""

    __slots__ = ()


class HtmlPlaceholder(Markup):
    """A placeholder a template asked for in the HTML part."""

    __slots__ = ()


def neutralise(text: str) -> str:
    """Staff text is data: a ``[[nl:...]]`` typed into a title, paragraph, URL or subject is
    shown as typed and never filled with a recipient's address or links."""
    return text.replace(OPENER, NEUTRAL_OPENER) if OPENER in text else text


def finalize(value: Any) -> Any:
    """Jinja's ``finalize``: every ``{{ ... }}`` output passes here before it is escaped.
    Only the placeholders the merge proxies hand out stay placeholders; anything else
    (campaign copy, content, a filter's result, a concatenation) is neutralised."""
    if isinstance(value, TextPlaceholder | HtmlPlaceholder) and _ONE_PLACEHOLDER(value):
        # Exactly one placeholder: ``HtmlPlaceholder + text`` keeps the class (Markup's
        # operators return ``self.__class__``), so the class alone proves nothing.
        return value
    if isinstance(value, str):
        if OPENER not in value:
            return value
        if isinstance(value, Markup):
            # Inserting U+2060 cannot open or close markup.
            return Markup(str.replace(value, OPENER, NEUTRAL_OPENER))  # noqa: S704
        return neutralise(value)
    html_method = getattr(value, "__html__", None)
    if html_method is not None:
        return finalize(Markup(html_method()))  # noqa: S704
    if value is not None and not isinstance(value, int | float) and OPENER in str(value):
        return neutralise(str(value))
    return value


class MergeProxy:
    """What ``recipient`` / ``links`` are inside a template: attribute access -> placeholder."""

    def __init__(self, fields: Mapping[str, str], *, html_part: bool) -> None:
        self._fields = fields
        self._html = html_part

    def __getattr__(self, name: str) -> Markup | str:
        if name.startswith("_") or name not in self._fields:
            raise AttributeError(
                f"no merge field {name!r}; available: {', '.join(sorted(self._fields))}"
            )
        token = placeholder(self._fields[name], html_part=self._html)
        # Safe: the token is our own fixed ASCII text; values are escaped when filled in.
        return HtmlPlaceholder(token) if self._html else TextPlaceholder(token)


def recipient_proxy(*, html_part: bool) -> MergeProxy:
    return MergeProxy({f: f for f in RECIPIENT_FIELDS}, html_part=html_part)


def links_proxy(*, html_part: bool) -> MergeProxy:
    return MergeProxy({n: f"{n}_url" for n in LINK_FIELDS}, html_part=html_part)


def local_field(milestone: str) -> str:
    """The merge field holding a milestone in the recipient's own time zone."""
    return f"local_{milestone}"


def local_proxy(milestones: Iterable[str], *, html_part: bool) -> MergeProxy:
    """``local.<milestone>`` (or ``local[key]``): the deadline in the reader's zone."""
    return MergeProxy({k: local_field(k) for k in milestones}, html_part=html_part)


def substitutions(
    values: Mapping[str, str],
    fields: Iterable[str] | None = None,
    url_fields: Collection[str] | None = None,
) -> dict[str, str]:
    """Placeholder -> value for both parts, HTML values escaped (quotes too: they sit in href).
    Runs once per recipient: placeholders are looked up, and a value with nothing to escape
    (most names) is not copied through the escaper. ``fields``: only these of ``values``
    (each must be there), e.g. the ones a variant uses; ``url_fields``: only these also
    percent-encoded (:func:`url_fields_used`), e.g. not the signed links, which a template
    puts in ``href`` whole - percent-encoding them was the dearest step of personalising."""
    out: dict[str, str] = {}
    for field in values if fields is None else fields:
        value = values[field]
        keys = _KEYS.get(field)
        if keys is None:
            keys = (
                placeholder(field, html_part=False),
                placeholder(field, html_part=True),
                url_placeholder(field),
            )
            _KEYS[field] = keys
        out[keys[0]] = value
        out[keys[1]] = html.escape(value, quote=True) if _NEEDS_ESCAPE(value) else value
        if url_fields is not None and field not in url_fields:
            continue
        # Percent-encoded UTF-8 holds none of & < > " ', so one value serves HTML and text.
        out[keys[2]] = value if _URL_SAFE(value) else quote(value, safe="")
    return out


#: Attribute values a mail client follows or fetches (as in linkcheck.py).
_URL_ATTRIBUTE = re.compile(
    r"""(\b(?:href|src|background|action|formaction|poster)\s*=\s*)("[^"]*"|'[^']*')""",
    re.IGNORECASE,
)
_HTML_PLACEHOLDER = re.compile(r"\[\[nl:([a-z0-9_]+):h\]\]")
_TEXT_URL = re.compile(r"(?:https?://|mailto:)[^\s<>\"]*", re.IGNORECASE)
_TEXT_PLACEHOLDER = re.compile(r"\[\[nl:([a-z0-9_]+)\]\]")


def mark_urls_in_html(html_text: str) -> str:
    """Placeholders inside a link or image address (not the whole address: a template's
    ``href="{{ links.unsubscribe }}"`` is a URL already) become URL placeholders."""

    def attribute(found: re.Match[str]) -> str:
        quoted = found.group(2)
        value = quoted[1:-1]
        if "[[nl:" not in value[1:]:
            return found.group(0)
        head, tail = value[:1], value[1:]
        tail = _HTML_PLACEHOLDER.sub(lambda m: url_placeholder(m.group(1)), tail)
        return f"{found.group(1)}{quoted[0]}{head}{tail}{quoted[-1]}"

    return _URL_ATTRIBUTE.sub(attribute, html_text) if "[[nl:" in html_text else html_text


def mark_urls_in_text(text: str) -> str:
    """The same for the plain-text part: a placeholder inside a written-out URL
    (``https://…?e={{ recipient.email }}``) becomes a URL placeholder."""

    def url(found: re.Match[str]) -> str:
        return _TEXT_PLACEHOLDER.sub(lambda m: url_placeholder(m.group(1)), found.group(0))

    return _TEXT_URL.sub(url, text) if "[[nl:" in text else text


def fields_used(*texts: str) -> frozenset[str]:
    """The merge fields whose placeholders (either part's) occur in ``texts``: a variant's
    subject, HTML and text. Filling only these leaves nothing unfilled."""
    found: set[str] = set()
    for text in texts:
        for key, _ in _pieces(text)[1]:
            found.add(key[len("[[nl:") : -len("]]")].removesuffix(":h").removesuffix(":u"))
    return frozenset(found)


def url_fields_used(*texts: str) -> frozenset[str]:
    """The merge fields whose URL placeholder (:func:`url_placeholder`) occurs in ``texts``."""
    return frozenset(
        key[len("[[nl:") : -len(":u]]")]
        for text in texts
        for key, _ in _pieces(text)[1]
        if key.endswith(":u]]")
    )


#: field -> (text placeholder, HTML placeholder); fields are a handful of fixed names.
_KEYS: dict[str, tuple[str, str, str]] = {}


_ONE_PLACEHOLDER = re.compile(r"\[\[nl:[a-z0-9_]+(:h)?\]\]").fullmatch
_NEEDS_ESCAPE = re.compile(r"[&<>\"']").search
#: RFC 3986 §2.3 unreserved characters: nothing to encode.
_URL_SAFE = re.compile(r"[A-Za-z0-9_.~-]*").fullmatch


def fill(text: str, subs: Mapping[str, str]) -> str:
    """Replace placeholders; values are inserted, never re-scanned. Unknown ones stay."""
    first, pairs = _pieces(text)
    if not pairs:
        return text
    get = subs.get
    out = [first]
    for key, literal in pairs:
        out.append(get(key, key))
        out.append(literal)
    return "".join(out)


@lru_cache(maxsize=256)
def _pieces(text: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """Split a variant once into literal text and (placeholder, following text) pairs: every
    recipient of a variant then costs one join instead of a scan of ~50 KB of HTML
    (benchmarks/compose.py). The cache key is the variant's own string object, whose hash
    Python keeps after the first use."""
    parts = text.split("[[nl:")
    first = parts[0]
    pairs: list[tuple[str, str]] = []
    for part in parts[1:]:
        end = part.find("]]")
        if end < 0:  # not a placeholder after all: literal text
            if pairs:
                pairs[-1] = (pairs[-1][0], pairs[-1][1] + "[[nl:" + part)
            else:
                first += "[[nl:" + part
            continue
        pairs.append(("[[nl:" + part[: end + 2], part[end + 2 :]))
    return first, tuple(pairs)
