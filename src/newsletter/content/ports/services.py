"""What the content use cases get (built by ``bootstrap.py``): the audience bundle's ports
and the campaign catalog, the sender and organisation every email names, calendar
revisions and the stored campaigns."""

from __future__ import annotations

from dataclasses import dataclass

from newsletter.audiences.ports.member_directory import CampaignHistory
from newsletter.audiences.ports.services import AudienceServices
from newsletter.content.ports.catalog import CalendarRevisions, Catalog
from newsletter.content.ports.documents import CampaignDocuments
from newsletter.content.rendering.compose import Organisation, Sender


@dataclass(frozen=True, kw_only=True)
class ContentServices(AudienceServices):
    catalog: Catalog
    sender: Sender
    organisation: Organisation
    #: The sender's domain: the List-Id of every campaign (RFC 2919) is a topic under it.
    list_domain: str
    #: SEQUENCE/DTSTAMP per calendar UID; None composes without the .ics attachment.
    calendar: CalendarRevisions | None = None
    #: Campaigns written in the browser or imported (the catalog reads them too); None where
    #: campaigns come from files only.
    campaign_documents: CampaignDocuments | None = None
    #: Campaign outcomes per day and first sends, for reports and the public archive.
    history: CampaignHistory | None = None
    #: Hosts emails may load images from besides ``links.base_url``'s (``content.image_hosts``).
    image_hosts: tuple[str, ...] = ()
