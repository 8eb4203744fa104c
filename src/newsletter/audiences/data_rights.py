"""A person's data rights: see everything held (Art. 15), take it away (Art. 20), erase it
(Art. 17) while staying suppressed, and staff exports of a segment."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from newsletter.audiences.domain.privacy import PersonData, suppression_hash
from newsletter.audiences.ports.services import AudienceServices
from newsletter.core.addresses import AddressError, email_key, normalize_address
from newsletter.errors import InputError


@dataclass(frozen=True, slots=True)
class Erasure:
    address: str
    deleted: bool  # a member was held and is gone; False: only the suppression was recorded


def _key(email: str, *, strict: bool) -> str:
    try:
        return normalize_address(email)[1]
    except AddressError as exc:
        if strict:
            raise InputError(f"not an email address: {exc}", location=email) from exc
        return email_key(email)


def _hash(ctx: AudienceServices, key: str) -> str:
    # The installation secret that signs links also keys the suppression hash
    # (audiences/domain/privacy).
    return suppression_hash(ctx.links.hashing, key)


def person_data(ctx: AudienceServices, email: str) -> PersonData | None:
    """Everything held about one person, or None when nobody with that address is held."""
    key = _key(email, strict=False)
    return ctx.members.person(key, _hash(ctx, key))


def suppression_of(ctx: AudienceServices, email: str) -> str | None:
    key = _key(email, strict=False)
    return ctx.members.suppression(_hash(ctx, key))


def erase_person(ctx: AudienceServices, email: str) -> Erasure:
    """Delete the person and everything attached; keep only the keyed hash as ``erased`` so
    the address is refused by every later import. Erasing an unknown address still records
    the suppression: the request itself says "do not contact me"."""
    key = _key(email, strict=True)
    deleted = ctx.members.erase(key, _hash(ctx, key), now=ctx.clock.now())
    return Erasure(email, deleted)


def export_members(ctx: AudienceServices, segment_name: str | None) -> Iterator[dict[str, str]]:
    """Members of a segment (eligible for its topic, as counted), or everyone held."""
    segment = ctx.catalog.segment(segment_name) if segment_name else None
    return ctx.members.export_rows(segment)
