"""The staff calendar through the real app, on SQLite and PostgreSQL: campaign sends, reminder
steps and recurring runs from the schedule, by local day, in the zone asked for."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from newsletter.bootstrap import build_scheduling
from newsletter.config import Settings
from newsletter.scheduling.actions import schedule_campaign
from newsletter.scheduling.calendar_view import month_view
from newsletter.scheduling.dispatch import plan_recurring
from newsletter.scheduling.domain.recurrence import Recurrence
from newsletter.scheduling.ports import Scheduling
from newsletter.web.app import create_app
from tests.delivery.test_sending import load_samples
from tests.services import Services
from tests.web.staff_helpers import EDITOR, add_accounts, sign_in

DOC = "days-of-clusters-2015"


@pytest.fixture
def sched(ctx: Services, settings: Settings, project: Path) -> Scheduling:
    load_samples(ctx, project)
    return build_scheduling(settings, ctx)


@pytest.fixture
def client(ctx: Services, settings: Settings) -> Iterator[TestClient]:
    add_accounts(ctx)
    app = create_app(ctx.app, scheduling=lambda: build_scheduling(settings, ctx))
    with TestClient(app, follow_redirects=False) as c:
        sign_in(c, EDITOR)
        yield c


def plan(sched: Scheduling) -> None:
    now = sched.ctx.clock.now()
    schedule_campaign(
        sched,
        DOC,
        at=dt.datetime(2015, 9, 2, 10, 0),
        zone="Europe/Bucharest",
        local_time=None,
        now=now,
    )
    sched.store.save_recurrence(
        Recurrence("digest", "network-digest-{date:%Y-%m}", "0 10 * * mon#1", "Europe/Belgrade"),
        now=now,
    )
    plan_recurring(sched, now)


def test_month_shows_sends_reminders_and_recurring_runs_by_local_day(
    client: TestClient, sched: Scheduling
) -> None:
    plan(sched)
    page = client.get("/staff/calendar", params={"month": "2015-09", "tz": "Europe/Bucharest"})
    assert page.status_code == 200
    text = page.text
    assert "Calendar: September 2015" in text
    assert re.search(
        rf'href="/staff/campaigns/{DOC}" title="send, scheduled, \d+ members now">10:00 {DOC}</a>',
        text,
    )
    # The early-bird reminders at 09:00 in the milestone's zone (Bucharest, EEST).
    assert "2015-09-29 09:00 EEST" in text and "early-bird-3d" in text
    # The recurring digest's first run, in the schedule: 7 September, 10:00 Belgrade.
    assert "2015-09-07 11:00 EEST" in text and "network-digest-2015-09" in text
    assert "<script" not in text and " style=" not in text
    # The zone is picked from the IANA zones, the region's first, the one shown chosen.
    picker = text[
        text.index('<select name="tz"') : text.index("</select>", text.index('name="tz"'))
    ]
    assert '<option value="Europe/Bucharest" selected>' in picker
    assert picker.index("Europe/Belgrade") < picker.index("America/New_York")
    october = client.get("/staff/calendar", params={"month": "2015-10", "tz": "Europe/Belgrade"})
    # Not in the schedule yet, but the rule says so: shown as planned.
    assert "2015-10-05 10:00 CEST" in october.text
    assert "network-digest-2015-10" in october.text and "state-planned" in october.text
    assert 'href="/staff/calendar?month=2015-11&amp;tz=Europe/Belgrade"' in october.text


def test_default_month_and_zone_and_bad_input(client: TestClient, sched: Scheduling) -> None:
    page = client.get("/staff/calendar")
    assert page.status_code == 200 and "September 2015" in page.text  # the clock's month
    assert "Times in Europe/Belgrade" in page.text
    assert client.get("/staff/calendar?month=2015-13").status_code == 400
    bad = client.get("/staff/calendar?tz=Mars/Olympus")
    assert bad.status_code == 400 and "unknown time zone" in bad.text


def test_without_scheduling_the_page_says_so(ctx: Services) -> None:
    add_accounts(ctx)
    with TestClient(create_app(ctx.app), follow_redirects=False) as c:
        sign_in(c, EDITOR)
        page = c.get("/staff/calendar")
    assert page.status_code == 200 and "Scheduling is not available" in page.text


def test_every_minute_rule_is_capped(sched: Scheduling) -> None:
    now = sched.ctx.clock.now()
    sched.store.save_recurrence(
        Recurrence("noisy", "noise-{date:%Y-%m-%d}", "*/5 * * * *", "UTC"), now=now
    )
    view = month_view(sched, 2015, 9, "UTC")
    assert sum(1 for i in view.items if i.projected) == 62
    assert view.notes and "only the first 62 runs" in view.notes[0]
    assert [len(w) for w in view.weeks] == [7] * len(view.weeks)
    assert view.weeks[0][0].day == dt.date(2015, 8, 31)  # weeks start on Monday
