"""What the authoring use cases get (built by ``bootstrap.py``): the delivery bundle's ports
(authoring sends test emails and campaigns too) and the staff store, where approvals live."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from newsletter.content.ports.catalog import Catalog
from newsletter.content.rendering.compose import Organisation, Sender
from newsletter.delivery.ports import DeliveryServices
from newsletter.staff.ports import StaffStore


class ApprovalSources(Protocol):
    """What an approval is judged against: the campaign's segment, templates and strings, the
    sender and organisation every email names, and the stored approvals."""

    @property
    def catalog(self) -> Catalog: ...

    @property
    def sender(self) -> Sender: ...

    @property
    def organisation(self) -> Organisation: ...

    @property
    def staff(self) -> StaffStore | None: ...

    @property
    def approve_files(self) -> bool: ...


@dataclass(frozen=True, kw_only=True)
class AuthoringServices(DeliveryServices):
    #: File campaigns need an approval too (``approval.files``); database campaigns always do.
    approve_files: bool = False
    #: The IANA zone staff read times in (``scheduling.timezone``): the staff pages show
    #: stamps in it.
    office_zone: str = "Europe/Belgrade"
