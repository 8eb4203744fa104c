"""Which hosts an email may load images from.

An image is fetched by the mail client when the message is opened, so its host learns who
opened the email and when (the "tracking pixel"). The policy: images come only from our own
host and the hosts the organisation lists in ``content.image_hosts``; anything else is refused
before a campaign is approved or sent, with the field that holds it named.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel

from newsletter.content.domain.announcements import Image


def host_of(url: str) -> str:
    """The lower-case host of ``url`` without a trailing dot ('' if it has none)."""
    try:
        host = urlsplit(url.strip()).hostname or ""
    except ValueError:
        return ""
    return host.rstrip(".")


def allowed_host(host: str, allowed: Collection[str]) -> bool:
    """Exact host names only: a listed ``example.org`` does not admit ``cdn.example.org``
    (a subdomain may be served by someone else entirely)."""
    return host in allowed


def foreign_images(value: Any, allowed: Collection[str], path: str = "content") -> Iterator[str]:
    """One problem per image in ``value`` (a content model) whose host is not ``allowed``,
    each naming the field: ``content.sections.1.image.src: image host tracker.example ...``."""
    if isinstance(value, Image):
        host = host_of(value.src)
        if not allowed_host(host, allowed):
            yield (
                f"{path}.src: image host {host or value.src!r} is not in content.image_hosts "
                f"({', '.join(sorted(allowed)) or 'none'}); a remote image tells its host "
                "who opened the email"
            )
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from foreign_images(getattr(value, name), allowed, f"{path}.{name}")
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from foreign_images(item, allowed, f"{path}.{i}")
