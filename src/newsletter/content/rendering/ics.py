"""Calendar entries for an announcement: an ``.ics`` attachment and "add to calendar" links.

A conference becomes an all-day VEVENT (the announcements give days, not hours); every deadline the
content names (early bird, registration, submission) becomes a VEVENT at its instant in its
official zone (``DTSTART;TZID=...`` with the VTIMEZONE written out, RFC 5545 §3.2.19 and
§3.6.5) and a VALARM a day before (§3.6.6). A deadline has no DTEND: it "ends on the same
calendar date and time of day" it starts (§3.6.1).

UIDs are stable, ``<slug>-<event>@<domain>`` (§3.8.4.7), so a changed event replaces the old
one in the reader's calendar when it comes with a higher SEQUENCE (§3.8.7.4). The sequence and
DTSTAMP of each UID come from the caller (services keep them per :func:`fingerprint`), which keeps
this module pure and makes a preview's attachment byte for byte the sent one. ``METHOD:PUBLISH``
(RFC 5546 §3.2.1): these are published events, not meeting requests awaiting an RSVP.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from icalendar import Alarm, Calendar, Event

from newsletter.content.domain.announcements import CallForProposals, ConferenceInvitation
from newsletter.content.domain.campaigns import CampaignDefinition

#: Clients that read only the first event of a file still get the conference itself.
EVENT = "event"
ALARM_BEFORE = dt.timedelta(days=1)
GOOGLE = "https://calendar.google.com/calendar/render"
OUTLOOK = "https://outlook.office.com/calendar/0/deeplink/compose"


@dataclass(frozen=True, slots=True)
class Revision:
    """What a calendar UID carries now: SEQUENCE and the DTSTAMP of that sequence."""

    sequence: int
    stamp: dt.datetime


@dataclass(frozen=True, slots=True)
class Entry:
    """One calendar event of a campaign, before any language is chosen."""

    key: str  # EVENT or a milestone key
    uid: str
    start: dt.datetime | dt.date
    end: dt.date | None  # exclusive end of an all-day event
    zone: str  # the event's time zone (an all-day event's too: it happens somewhere)
    fingerprint: str


def entries(campaign: CampaignDefinition, domain: str) -> list[Entry]:
    """The calendar events of a campaign: the conference, then each deadline it names."""
    content = campaign.content
    found: list[Entry] = []
    if isinstance(content, ConferenceInvitation):
        facts = {
            "starts": content.starts.isoformat(),
            "ends": content.ends.isoformat(),
            "place": [
                x.model_dump() if x is not None else None
                for x in (content.venue, content.city, content.country)
            ],
            "url": content.url or content.registration_url,
        }
        end = content.ends + dt.timedelta(days=1)
        uid = _uid(campaign, EVENT, domain)
        found.append(Entry(EVENT, uid, content.starts, end, content.timezone, fingerprint(facts)))
    if isinstance(content, ConferenceInvitation | CallForProposals):
        for key in content.deadlines():
            milestone = campaign.milestones[key]
            at = milestone.aware
            facts = {"at": at.astimezone(dt.UTC).isoformat(), "zone": milestone.timezone}
            uid = _uid(campaign, key, domain)
            found.append(Entry(key, uid, at, None, milestone.timezone, fingerprint(facts)))
    return found


def fingerprint(facts: Mapping[str, Any]) -> str:
    """What makes a revision significant (§3.8.7.4: start, end, place); wording is not."""
    blob = json.dumps(facts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def _uid(campaign: CampaignDefinition, key: str, domain: str) -> str:
    return f"{campaign.slug}-{key.replace('_', '-')}@{domain}"


def ics(
    found: list[Entry],
    titles: Mapping[str, str],
    *,
    location: str,
    url: str,
    description: str,
    revisions: Mapping[str, Revision],
    producer: str,
) -> bytes:
    """The ``.ics`` file in one language: ``titles`` maps each entry key to its summary."""
    cal = Calendar()
    cal.add("prodid", f"-//{producer}//newsletter//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    days: list[dt.date] = []
    for entry in found:
        revision = revisions[entry.uid]
        event = Event()
        event.add("uid", entry.uid)
        event.add("sequence", revision.sequence)
        event.add("dtstamp", revision.stamp.astimezone(dt.UTC))
        event.add("summary", titles[entry.key])
        event.add("dtstart", entry.start)
        if entry.end is not None:
            event.add("dtend", entry.end)
        if location:
            event.add("location", location)
        event.add("url", url)
        event.add("description", description)
        if entry.key != EVENT:
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("trigger", -ALARM_BEFORE)
            alarm.add("description", titles[entry.key])
            event.add_component(alarm)
        cal.add_component(event)
        days.append(entry.start.date() if isinstance(entry.start, dt.datetime) else entry.start)
    if days:
        # Transitions from a year before to a year after are enough, and keep the file small.
        first, last = min(days), max(days)
        cal.add_missing_timezones(dt.date(first.year - 1, 1, 1), dt.date(last.year + 2, 1, 1))
    data: bytes = cal.to_ical()
    return data


def links(entry: Entry, title: str, *, location: str, details: str) -> dict[str, str]:
    """ "Add to Google Calendar" and "add to Outlook" URLs for one entry."""
    google: dict[str, str] = {"action": "TEMPLATE", "text": title, "details": details}
    outlook: dict[str, str] = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": title,
        "body": details,
    }
    if location:
        google["location"] = outlook["location"] = location
    google["ctz"] = entry.zone
    if isinstance(entry.start, dt.datetime):
        stamp = entry.start.strftime("%Y%m%dT%H%M%S")  # wall-clock time in ``ctz``
        google["dates"] = f"{stamp}/{stamp}"
        iso = entry.start.isoformat()
        outlook.update(startdt=iso, enddt=iso)
    else:
        assert entry.end is not None
        google["dates"] = f"{entry.start:%Y%m%d}/{entry.end:%Y%m%d}"  # end exclusive
        outlook.update(startdt=entry.start.isoformat(), enddt=entry.end.isoformat(), allday="true")
    return {
        "google": f"{GOOGLE}?{urlencode(google, quote_via=quote)}",
        "outlook": f"{OUTLOOK}?{urlencode(outlook, quote_via=quote)}",
    }
