"""What differs per recipient: merge values, the bulk-sender headers, deadlines in their zone.

A send personalises every member of a batch (up to 1000 per request, 100,000 per campaign)
with the same campaign, list and variant; :class:`Personalizer` works out what they share once
(the campaign's deadlines, which merge fields the variant really uses) and then costs a few
dictionary entries per recipient. :func:`personalize` is the same for one recipient, which is
what preview and test sends use, so their bytes are the sent ones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from newsletter.audiences.domain.deliveries import Recipient
from newsletter.content.domain.campaigns import CampaignDefinition
from newsletter.content.rendering import dates, merge
from newsletter.content.rendering.messages import Personalization


class Personalizer:
    """Personalisations for many recipients of one campaign and variant language.

    ``fields`` narrows the merge values to those the variant contains (see
    :func:`merge.fields_used`): substitutions for fields no placeholder asks for would only
    travel and be ignored; ``url_fields`` (:func:`merge.url_fields_used`) likewise the
    percent-encoded ones. Without them every field is filled (preview shows them all).
    """

    def __init__(
        self,
        *,
        list_id: str,
        campaign: CampaignDefinition | None = None,
        language: str = "en",
        fields: Collection[str] | None = None,
        url_fields: Collection[str] | None = None,
    ) -> None:
        self.list_id, self.language = list_id, language
        deadlines = _deadlines(campaign) if campaign is not None else ()
        if fields is not None:
            deadlines = tuple(d for d in deadlines if d[0] in fields)
        self._deadlines = deadlines
        names = [*merge.ALL_FIELDS, *(d[0] for d in deadlines)]
        self._fields = names if fields is None else [f for f in names if f in fields]
        self._url_fields = url_fields
        #: The deadline values per reader's time zone: a batch has a handful of zones.
        self._local: dict[str, dict[str, str]] = {}

    def __call__(
        self, recipient: Recipient, unsubscribe_url: str, preferences_url: str
    ) -> Personalization:
        values = merge_values(recipient, unsubscribe_url, preferences_url)
        if self._deadlines:
            local = self._local.get(recipient.timezone)
            if local is None:
                local = self._local[recipient.timezone] = self._deadline_values(recipient)
            values.update(local)
        return Personalization(
            delivery_id=recipient.delivery_id,
            to_email=recipient.email,
            to_name=values["full_name"],
            substitutions=merge.substitutions(values, self._fields, self._url_fields),
            headers=bulk_headers(unsubscribe_url, self.list_id),
        )

    def _deadline_values(self, recipient: Recipient) -> dict[str, str]:
        zone, language = recipient.timezone, self.language
        return {
            field: dates.local_time(instant, official, zone, language)
            for field, instant, official in self._deadlines
        }


def personalize(
    recipient: Recipient,
    *,
    unsubscribe_url: str,
    preferences_url: str,
    list_id: str,
    campaign: CampaignDefinition | None = None,
    language: str = "en",
) -> Personalization:
    """Merge values and the bulk-sender headers for one recipient. With ``campaign``, each of
    its milestones also in the recipient's own time zone (``local.<milestone>``)."""
    person = Personalizer(list_id=list_id, campaign=campaign, language=language)
    return person(recipient, unsubscribe_url, preferences_url)


#: Per campaign object, its milestones as (merge field, instant, official zone): computed once,
#: not once per recipient (a send personalises 100,000 messages with the same campaign).
_DEADLINES: dict[int, tuple[CampaignDefinition, tuple[tuple[str, dt.datetime, str], ...]]] = {}


def _deadlines(campaign: CampaignDefinition) -> tuple[tuple[str, dt.datetime, str], ...]:
    hit = _DEADLINES.get(id(campaign))
    if hit is not None and hit[0] is campaign:
        return hit[1]
    found = tuple(
        (merge.local_field(key), m.aware.astimezone(dt.UTC), m.timezone)
        for key, m in campaign.milestones.items()
    )
    if len(_DEADLINES) >= 64:
        _DEADLINES.clear()
    _DEADLINES[id(campaign)] = (campaign, found)
    return found


def merge_values(
    recipient: Recipient, unsubscribe_url: str, preferences_url: str
) -> dict[str, str]:
    return {
        "first_name": recipient.first_name,
        "last_name": recipient.last_name,
        "full_name": recipient.full_name,
        "organization": recipient.organization,
        "email": recipient.email,
        "unsubscribe_url": unsubscribe_url,
        "preferences_url": preferences_url,
    }


def bulk_headers(unsubscribe_url: str, list_id: str) -> tuple[tuple[str, str], ...]:
    """RFC 8058 §3.1 one-click unsubscribe (an https URI in angle brackets, and the exact POST
    body), RFC 2919 List-Id so filters and Gmail group the stream."""
    return (
        ("List-Unsubscribe", f"<{unsubscribe_url}>"),
        ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        ("List-Id", list_id),
    )
