"""The .ics attachment and "add to calendar" links, parsed back with the icalendar package."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from icalendar import Calendar

from newsletter.content.rendering import ics as calendar
from tests.content.rendering import samples

DOFC = "days-of-clusters-2015"
CALL = "interreg-ipa-bg-rs-first-call"


def parsed(slug: str, lang: str = "en", step: str = "main") -> Calendar:
    (attachment,) = samples.variant(slug, lang, step).attachments
    assert attachment.filename == f"{slug}.ics"
    assert attachment.content_type == "text/calendar"
    assert ("method", "PUBLISH") in attachment.params
    return Calendar.from_ical(attachment.data)


def events(cal: Calendar) -> dict[str, object]:
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def test_conference_invitation_carries_the_event_and_its_deadline() -> None:
    cal = parsed(DOFC)
    assert str(cal["METHOD"]) == "PUBLISH"
    assert str(cal["VERSION"]) == "2.0"
    found = events(cal)
    event = found["days-of-clusters-2015-event@clusterhouse.example"]
    assert event["DTSTART"].dt == dt.date(2015, 10, 22)
    assert event["DTEND"].dt == dt.date(2015, 10, 24)  # exclusive
    assert str(event["SUMMARY"]) == "Days of Clusters 2015"
    assert str(event["LOCATION"]) == "Brașov, Romania"
    assert str(event["URL"]) == "https://daysofclusters.example/2015"
    assert int(event["SEQUENCE"]) == 0
    assert event["DTSTAMP"].dt == samples.STAMP
    deadline = found["days-of-clusters-2015-early-bird@clusterhouse.example"]
    start = deadline["DTSTART"]
    assert start.params["TZID"] == "Europe/Bucharest"
    assert start.dt == dt.datetime(2015, 10, 2, 23, 59, tzinfo=ZoneInfo("Europe/Bucharest"))
    assert "DTEND" not in deadline
    (alarm,) = deadline.walk("VALARM")
    assert alarm["TRIGGER"].dt == -dt.timedelta(days=1)
    assert str(alarm["ACTION"]) == "DISPLAY"


def test_the_time_zone_is_written_out() -> None:
    cal = parsed(CALL, "bg")
    (zone,) = cal.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Europe/Sofia"
    (deadline,) = cal.walk("VEVENT")
    assert deadline["DTSTART"].params["TZID"] == "Europe/Sofia"
    # Parsed back through its own VTIMEZONE, the deadline is the same instant.
    assert deadline["DTSTART"].dt.astimezone(dt.UTC) == dt.datetime(
        2015, 11, 17, 14, 0, tzinfo=dt.UTC
    )
    assert str(deadline["SUMMARY"]).startswith("Подаване на проектни предложения")


def test_uids_are_the_same_in_every_language_and_summaries_are_not() -> None:
    en, sr = events(parsed(DOFC, "en")), events(parsed(DOFC, "sr-Cyrl"))
    assert en.keys() == sr.keys()
    uid = "days-of-clusters-2015-event@clusterhouse.example"
    assert str(sr[uid]["SUMMARY"]) == "Дани кластера 2015"


def test_a_reminder_step_carries_the_same_calendar() -> None:
    main = parsed(DOFC)
    reminder = parsed(DOFC, "en", "early-bird-3d")
    assert events(main).keys() == events(reminder).keys()


def test_a_higher_sequence_goes_out_for_a_changed_event() -> None:
    c = samples.campaign(DOFC)
    entries = calendar.entries(c, "clusterhouse.example")
    data = calendar.ics(
        entries,
        {e.key: e.key for e in entries},
        location="Brașov",
        url="https://daysofclusters.example/2015",
        description="",
        revisions=samples.revisions(c, sequence=3),
        producer="Cluster House",
    )
    assert {int(e["SEQUENCE"]) for e in Calendar.from_ical(data).walk("VEVENT")} == {3}


def test_fingerprint_changes_with_the_date_only() -> None:
    c = samples.campaign(DOFC)
    before = {e.key: e.fingerprint for e in calendar.entries(c, "x.example")}
    moved = c.model_copy(
        update={"content": c.content.model_copy(update={"ends": dt.date(2015, 10, 24)})}
    )
    after = {e.key: e.fingerprint for e in calendar.entries(moved, "x.example")}
    assert after["event"] != before["event"]
    assert after["early_bird"] == before["early_bird"]
    reworded = c.model_copy(update={"title": "Another title"})
    assert {e.key: e.fingerprint for e in calendar.entries(reworded, "x.example")} == before


def test_letters_have_no_calendar() -> None:
    assert samples.variant("chairmans-letter", "en").attachments == ()
    assert calendar.entries(samples.campaign("chairmans-letter"), "x.example") == []


def test_add_to_calendar_links() -> None:
    c = samples.campaign(DOFC)
    event, deadline = calendar.entries(c, "x.example")
    links = calendar.links(event, "Days of Clusters 2015", location="Brașov", details="d")
    google = parse_qs(urlsplit(links["google"]).query)
    assert links["google"].startswith("https://calendar.google.com/calendar/render?")
    assert google["dates"] == ["20151022/20151024"]
    assert google["text"] == ["Days of Clusters 2015"]
    outlook = parse_qs(urlsplit(links["outlook"]).query)
    assert outlook["startdt"] == ["2015-10-22"] and outlook["allday"] == ["true"]
    timed = calendar.links(deadline, "Early bird", location="", details="d")
    google = parse_qs(urlsplit(timed["google"]).query)
    assert google["dates"] == ["20151002T235900/20151002T235900"]
    assert google["ctz"] == ["Europe/Bucharest"]
    assert parse_qs(urlsplit(timed["outlook"]).query)["startdt"] == ["2015-10-02T23:59:00+03:00"]


def test_links_are_in_the_html_and_point_to_the_calendars() -> None:
    html = samples.variant(DOFC, "sr-Cyrl").html
    assert html.count('href="https://calendar.google.com/calendar/render?') == 2
    assert html.count('href="https://outlook.office.com/calendar/0/deeplink/compose?') == 2
