"""Merge fields: the per-recipient values filled in after the one compile per variant.

Templates are rendered once per language variant, so a template cannot see a recipient. It
writes ``{{ recipient.first_name }}`` or ``{{ links.unsubscribe }}`` and gets a placeholder;
:func:`fill` replaces the placeholders for each recipient (SendGrid does the same with
``substitutions``). HTML and text get different placeholders because the values are escaped
differently in each.
"""

from __future__ import annotations

import html
from collections.abc import Mapping

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
        return Markup(token) if self._html else token  # noqa: S704


def recipient_proxy(*, html_part: bool) -> MergeProxy:
    return MergeProxy({f: f for f in RECIPIENT_FIELDS}, html_part=html_part)


def links_proxy(*, html_part: bool) -> MergeProxy:
    return MergeProxy({n: f"{n}_url" for n in LINK_FIELDS}, html_part=html_part)


def substitutions(values: Mapping[str, str]) -> dict[str, str]:
    """Placeholder -> value for both parts, HTML values escaped (quotes too: they sit in href)."""
    out: dict[str, str] = {}
    for field, value in values.items():
        out[placeholder(field, html_part=False)] = value
        out[placeholder(field, html_part=True)] = html.escape(value, quote=True)
    return out


def fill(text: str, subs: Mapping[str, str]) -> str:
    """Replace placeholders in one pass-per-field; values never get re-scanned."""
    if "[[nl:" not in text:
        return text
    parts = text.split("[[nl:")
    out = [parts[0]]
    for part in parts[1:]:
        end = part.find("]]")
        key = "[[nl:" + part[: end + 2] if end >= 0 else ""
        if key in subs:
            out.append(subs[key] + part[end + 2 :])
        else:
            out.append("[[nl:" + part)
    return "".join(out)
