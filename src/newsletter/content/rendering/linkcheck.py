"""The last line of defence for links: the finished HTML may only point at safe URLs.

Content models validate their URLs and templates pass hrefs through the ``href`` filter, but a
template can also write a link by hand, and MJML adds attributes of its own. After MJML, every
attribute a mail client follows or fetches is checked (core/urls.py); entities are decoded
first, as the mail client will: ``&#106;avascript:`` is ``javascript:``.
"""

from __future__ import annotations

import html as htmllib
import re
from collections.abc import Collection
from urllib.parse import urlsplit

from newsletter.content.domain.images import allowed_host, host_of
from newsletter.core.urls import is_safe_link
from newsletter.errors import TemplateSecurityError

#: Attributes whose value a mail client follows or fetches (HTML 5 §4.6, §4.8; MSO VML).
_URL_ATTRIBUTE = re.compile(
    r"""\b(href|src|background|action|formaction|poster)\s*=\s*("([^"]*)"|'([^']*)')""",
    re.IGNORECASE,
)
_PLACEHOLDER = re.compile(r"^\[\[nl:[a-z0-9_]+(:[hu])?\]\]$")


def check_links(
    html: str, *, template: str | None = None, image_hosts: Collection[str] | None = None
) -> None:
    """Refuse HTML that links or loads anything but https/http/mailto URLs and our merge
    placeholders, wherever it came from (template text, content, a filter, MJML itself).
    Entities are decoded first, as the mail client will: ``&#106;avascript:`` is javascript.
    ``image_hosts``: the only hosts anything fetched on opening (an image, a background) may
    come from; a template that writes an image by hand is held to them too."""
    for found in _URL_ATTRIBUTE.finditer(html):
        value = htmllib.unescape(found.group(3) if found.group(3) is not None else found.group(4))
        if _PLACEHOLDER.match(value):
            continue
        attribute = found.group(1).lower()
        if not is_safe_link(value):
            raise TemplateSecurityError(
                f"unsafe {attribute}={value[:80]!r}: only https, http and mailto links",
                template=template,
            )
        if image_hosts is not None and attribute in _FETCHED:
            host = host_of(value)
            if not allowed_host(host, image_hosts):
                raise TemplateSecurityError(
                    f"{attribute}={value[:80]!r}: image host {host!r} is not in "
                    f"content.image_hosts ({', '.join(sorted(image_hosts)) or 'none'})",
                    template=template,
                )


#: Attributes a mail client fetches by itself when the message is opened (no click needed).
_FETCHED = frozenset({"src", "background", "poster"})


def external_hosts(html: str, own_url: str) -> tuple[list[str], list[str]]:
    """(hosts the email loads from when opened, hosts it links to), other than ``own_url``'s,
    sorted: what an approver must see before approving (a remote image tells its host who
    opened the email and when). Merge placeholders and mailto: links are not hosts."""
    own = urlsplit(own_url).hostname or ""
    loaded: set[str] = set()
    linked: set[str] = set()
    for found in _URL_ATTRIBUTE.finditer(html):
        value = htmllib.unescape(found.group(3) if found.group(3) is not None else found.group(4))
        host = urlsplit(value.strip()).hostname if not _PLACEHOLDER.match(value) else None
        if not host or host == own:
            continue
        (loaded if found.group(1).lower() in _FETCHED else linked).add(host)
    return sorted(loaded), sorted(linked - loaded)
