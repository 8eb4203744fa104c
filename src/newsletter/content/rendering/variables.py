"""What a template sees: plain dicts, lists and strings in the variant's language.

Nothing in here is an ORM object, a settings object or a model with methods (the
sandbox then has nothing to reach through): the announcement is flattened by
:func:`~newsletter.content.domain.translated.localize` along the campaign's fallback chain,
milestones become ``{key, at, timezone, label}``, and the organisation a dict. Per-recipient values
are merge proxies added by compose.

Variables (documented here once for every template):

- ``lang``, ``dir``: BCP 47 tag and text direction of the variant (for ``<mjml lang dir>``)
- ``subject``, ``preheader``: this step's texts in this language
- ``t``: the step's ``copy`` for this language (free-form prose: kicker, headline, intro ...)
- ``c``: the announcement (``content``) in this language, per its kind's model
- ``milestones``: ``{key: {key, at, timezone, label}}``; ``at`` is aware, in its official zone
- ``milestone``: the milestone a reminder step serves (None for the announcement)
- ``deadlines``: the milestones the content names as deadlines, in order
- ``calendar``: ``[{key, title, when, google, outlook}]`` "add to calendar" links
- ``campaign``, ``org``, ``ui``: campaign facts, the organisation, UI strings (strings.yaml)
- ``recipient``, ``links``, ``local``: merge fields (name, unsubscribe/preferences URLs, each
  milestone in the reader's own time zone, e.g. ``{{ local[m.key] }}``)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from newsletter.content.domain.announcements import CallForProposals, ConferenceInvitation
from newsletter.content.domain.campaigns import CampaignDefinition, Message
from newsletter.content.domain.translated import localize
from newsletter.content.rendering import ics as calendar
from newsletter.content.rendering.messages import Organisation

RTL_LANGUAGES = frozenset({"ar", "he", "fa", "ur"})


def template_variables(
    campaign: CampaignDefinition,
    message: Message,
    step: str,
    language: str,
    subject: str,
    preheader: str,
    organisation: Organisation,
    ui: Mapping[str, str],
    entries: list[calendar.Entry],
) -> dict[str, Any]:
    chain = campaign.fallback_chain(language)
    content: dict[str, Any] = localize(campaign.content, chain)
    milestones = {
        key: {
            "key": key,
            "at": m.aware,
            "timezone": m.timezone,
            "label": m.label_for(language) or ui.get("deadline", key),
        }
        for key, m in campaign.milestones.items()
    }
    served = getattr(message, "milestone", None)
    variables: dict[str, Any] = {
        "lang": language,
        "dir": "rtl" if language.split("-")[0] in RTL_LANGUAGES else "ltr",
        "subject": subject,
        "preheader": preheader,
        "t": message.copy_for(language),
        "c": content,
        "milestones": milestones,
        "milestone": milestones.get(served) if served else None,
        "deadlines": [milestones[k] for k in campaign.content.deadlines()],
        "campaign": {
            "slug": campaign.slug,
            "title": campaign.title,
            "kind": campaign.kind,
            "topic": campaign.topic,
            "step": step,
        },
        "org": {
            "name": organisation.name,
            "postal_address": organisation.postal_address,
            "website": organisation.website,
        },
        "ui": dict(ui),
    }
    variables.update(_calendar(campaign, content, milestones, entries))
    return variables


def _calendar(
    campaign: CampaignDefinition,
    content: Mapping[str, Any],
    milestones: Mapping[str, Mapping[str, Any]],
    entries: list[calendar.Entry],
) -> dict[str, Any]:
    """Titles, place and links of the calendar entries, shared by the links and the .ics."""
    location = ""
    url = ""
    if isinstance(campaign.content, ConferenceInvitation):
        parts = (content["venue"], content["city"], content["country"])
        location = ", ".join(p for p in parts if p)
        url = content["url"] or content["registration_url"]
    elif isinstance(campaign.content, CallForProposals):
        url = content["url"]
    details = url  # the page says it all, and keeps the links short in the plain-text part
    name = content.get("name") or content.get("programme") or campaign.title
    links = []
    for entry in entries:
        if entry.key == calendar.EVENT:
            title = name
        else:
            title = f"{milestones[entry.key]['label']} – {name}"
        links.append(
            {
                "key": entry.key,
                "title": title,
                "when": milestones[entry.key]["at"] if entry.key in milestones else entry.start,
                **calendar.links(entry, title, location=location, details=details),
            }
        )
    return {
        "calendar": links,
        "calendar_location": location,
        "calendar_url": url,
        "calendar_details": details,
    }
