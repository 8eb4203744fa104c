"""Which links an email may carry.

A link in a newsletter is clicked in a mail client or a webmail page. ``javascript:`` and
``data:`` URLs run code or smuggle content there, ``file:`` and custom schemes open local
programs, so only ``https:``, ``http:`` and ``mailto:`` pass; images must be
``https:`` or ``http:`` because a mail client fetches them. The check is strict about form as
well: browsers strip tabs, newlines and leading spaces before reading the scheme
(WHATWG URL Standard, "basic URL parser"), so ``" java\\tscript:alert(1)"`` must not slip
through as a "relative" URL.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator

LINK_SCHEMES = frozenset({"https", "http", "mailto"})
WEB_SCHEMES = frozenset({"https", "http"})


def check_url(value: str, schemes: frozenset[str] = LINK_SCHEMES) -> str:
    """Return ``value`` if it is an absolute URL with an allowed scheme, else raise ValueError."""
    if not value or value != value.strip() or any(ord(ch) < 0x21 for ch in value):
        raise ValueError("a URL may not contain spaces or control characters")
    parts = urlsplit(value)
    scheme = parts.scheme.lower()
    if not scheme:
        raise ValueError(f"not an absolute URL: {value!r} (emails need https://...)")
    if scheme not in schemes:
        allowed = ", ".join(f"{s}:" for s in sorted(schemes))
        raise ValueError(f"URL scheme {scheme}: is not allowed (use {allowed})")
    if scheme in WEB_SCHEMES and not parts.hostname:
        raise ValueError(f"URL has no host: {value!r}")
    if scheme == "mailto" and "@" not in parts.path:
        raise ValueError(f"mailto: URL has no address: {value!r}")
    return value


def is_safe_link(value: str) -> bool:
    try:
        check_url(value)
    except ValueError:
        return False
    return True


def _web(value: str) -> str:
    return check_url(value, WEB_SCHEMES)


#: A link a reader may click: https, http or mailto.
Link = Annotated[str, AfterValidator(check_url)]
#: A web page or an image: https or http.
WebUrl = Annotated[str, AfterValidator(_web)]
