"""The dispatcher on a virtual clock against the sample project (SQLite and PostgreSQL).

No test waits for real time: the clock jumps to each due time and ``dispatch_due`` runs there,
as the scheduler process would call it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select

from newsletter.config import Settings
from newsletter.db.tables import member_tags, members
from newsletter.scheduling.actions import reschedule_milestone, schedule_campaign
from newsletter.scheduling.dispatch import dispatch_due
from newsletter.scheduling.domain.calendar_rules import SendingRules
from newsletter.scheduling.timeline import simulate
from tests.scheduling.support import (
    DOC,
    T0,
    MakeScheduling,
    at,
    deliveries_by_step,
    engine_of,
    outbox_recipients,
    scheduling_factory,
    sent_to,
)

NONE = SendingRules.none()
INVITE = dt.datetime(2015, 9, 1, 10, 0)  # Bucharest wall clock = 07:00 UTC
EARLY_BIRD = at(2015, 10, 2, 20, 59)  # 2 October 23:59 EEST


@pytest.fixture
def make_sched(settings: Settings, project: Path) -> Iterator[MakeScheduling]:
    yield from scheduling_factory(settings, project)


def test_a_late_wake_up_sends_the_latest_step_only_and_nothing_after_the_milestone(
    make_sched: MakeScheduling, project: Path
) -> None:
    sched, clock = make_sched(rules=NONE)
    schedule_campaign(sched, DOC, at=INVITE, zone="Europe/Bucharest", local_time=None, now=T0)
    clock.set(at(2015, 9, 1, 7, 0))
    [main] = dispatch_due(sched, clock.now()).fired
    assert (main.step, main.outcome) == ("main", "sent") and main.sent > 300
    # The scheduler was down from 28 September; it wakes on 1 October at 10:00 UTC: the 3-day
    # step (29 Sept) is superseded by the 1-day step (today 06:00 UTC, 4 h late: within 12 h).
    clock.set(at(2015, 10, 1, 10, 0))
    fired = {f.step: f for f in dispatch_due(sched, clock.now()).fired}
    assert (
        fired["early-bird-3d"].outcome == "skipped"
        and "superseded" in fired["early-bird-3d"].reason
    )
    assert fired["early-bird-1d"].outcome == "sent" and fired["early-bird-1d"].sent == main.sent
    counts = deliveries_by_step(sched)
    assert "early-bird-3d" not in counts and counts["early-bird-1d"]["sent"] == main.sent
    # After the milestone nothing of the chain goes out, not even a late joiner's catch-up.
    clock.set(EARLY_BIRD)
    assert all(f.sent == 0 for f in dispatch_due(sched, clock.now()).fired)
    assert sched.store.next_attempt() is None


def test_a_stale_announcement_is_not_sent_automatically(
    make_sched: MakeScheduling, project: Path
) -> None:
    sched, clock = make_sched(rules=NONE)
    schedule_campaign(sched, DOC, at=INVITE, zone="Europe/Bucharest", local_time=None, now=T0)
    clock.set(at(2015, 9, 1, 9, 30))  # 2.5 h late: a restored backup, a long outage
    fired = {f.step: f for f in dispatch_due(sched, clock.now()).fired}
    assert fired["main"].outcome == "skipped" and "not sent automatically" in fired["main"].reason
    assert "main" not in deliveries_by_step(sched)


@pytest.mark.slow
def test_a_member_who_joins_late_gets_only_the_step_still_open(
    make_sched: MakeScheduling, project: Path
) -> None:
    sched, clock = make_sched(rules=NONE)
    schedule_campaign(sched, DOC, at=INVITE, zone="Europe/Bucharest", local_time=None, now=T0)
    simulate(sched, clock, T0, at(2015, 10, 1, 12, 0))  # invitation, 3-day and 1-day steps sent
    late = project / "late.csv"
    late.write_text(
        "email,first_name,last_name,country,language,tier,topics,timezone,consent_source,"
        "consent_date\nlate.joiner@cluster.example,Lena,Late,RO,ro,friend,events,"
        "Europe/Bucharest,web-form,2015-10-01\n",
        encoding="utf-8",
    )
    load_file(sched, late)
    simulate(sched, clock, clock.now(), at(2015, 10, 23))
    got = sent_to(sched, "late.joiner@cluster.example")
    # The next daily catch-up (2 Oct, 09:00 Bucharest) sends the 1-day step, nothing else.
    assert got == [(DOC, "early-bird-1d", at(2015, 10, 2, 6, 0))]


def load_file(sched: object, path: Path) -> None:
    from newsletter.audiences.files.member_files import read_csv
    from newsletter.audiences.imports import import_members

    _, rows = read_csv(path)
    assert not import_members(sched.ctx, rows, source=path.name).rejected  # type: ignore[attr-defined]


@pytest.mark.slow
def test_one_reminder_per_member_per_day_across_campaigns(
    make_sched: MakeScheduling, project: Path
) -> None:
    sched, clock = make_sched(rules=NONE)
    schedule_campaign(sched, DOC, at=None, zone=None, local_time=None, now=T0)
    call = "interreg-ipa-bg-rs-first-call"
    # Move the call's deadline so its 7-day reminder falls on the same morning as ours.
    reschedule_milestone(
        sched,
        call,
        "submission_deadline",
        dt.datetime(2015, 10, 6, 16, 0),
        zone=None,
        notify=False,
        now=T0,
    )
    schedule_campaign(sched, call, at=None, zone=None, local_time=None, now=T0)
    simulate(sched, clock, T0, at(2015, 9, 30))
    ours, theirs = deliveries_by_step(sched)["early-bird-3d"], deliveries_by_step(sched, call)
    assert ours["sent"] > 0 and theirs["submission-7d"]["sent"] > 0
    capped = ours["suppressed"] + theirs["submission-7d"]["suppressed"]
    assert capped > 0  # the members in both audiences got one of the two, not both
    with engine_of(sched).connect() as conn:
        emails = list(conn.execute(select(members.c.email)).scalars())
    for address in emails:
        days = [sent.date() for _, step, sent in sent_to(sched, address) if step != "main"]
        assert len(days) == len(set(days)), address


@pytest.mark.slow
def test_members_in_the_skip_segment_are_not_reminded(
    make_sched: MakeScheduling, project: Path
) -> None:
    segments = project / "audiences" / "segments.yaml"
    segments.write_text(
        segments.read_text(encoding="utf-8")
        + "\n  dofc-registered:\n    description: Registered for Days of Clusters 2015.\n"
        "    rule: {tag: registered-dofc-2015}\n",
        encoding="utf-8",
    )
    doc = project / "campaigns" / f"{DOC}.yaml"
    text = doc.read_text(encoding="utf-8")
    doc.write_text(
        text.replace("    before: P3D\n", "    before: P3D\n    skip_segment: dofc-registered\n"),
        encoding="utf-8",
    )
    sched, clock = make_sched(rules=NONE)
    with engine_of(sched).begin() as conn:
        ids = list(conn.execute(select(members.c.id).order_by(members.c.id).limit(5)).scalars())
        conn.execute(
            insert(member_tags), [{"member_id": i, "tag": "registered-dofc-2015"} for i in ids]
        )
    schedule_campaign(sched, DOC, at=INVITE, zone="Europe/Bucharest", local_time=None, now=T0)
    simulate(sched, clock, T0, at(2015, 9, 30))
    counts = deliveries_by_step(sched)
    skipped = counts["early-bird-3d"]["suppressed"]
    assert 1 <= skipped <= 5  # the tagged members who are in the events audience
    assert counts["early-bird-3d"]["sent"] == counts["main"]["sent"] - skipped


@pytest.mark.slow
def test_nine_in_each_members_own_time_zone(make_sched: MakeScheduling, project: Path) -> None:
    sched, clock = make_sched(rules=NONE)
    planned = schedule_campaign(
        sched,
        DOC,
        at=dt.datetime(2015, 9, 1),
        zone="Europe/Bucharest",
        local_time=dt.time(9, 0),
        now=at(2015, 8, 31, 12),
    )
    groups = [e for e in planned.entries if e.step == "main"]
    assert len(groups) > 3
    simulate(sched, clock, at(2015, 8, 31, 12), at(2015, 9, 2))  # Sydney reads first
    with engine_of(sched).connect() as conn:
        people = conn.execute(select(members.c.email, members.c.timezone)).all()
    checked = 0
    for address, zone in people:
        for _, step, sent in sent_to(sched, address):
            if step == "main":
                local = sent.astimezone(ZoneInfo(zone or "Europe/Bucharest"))
                assert (local.hour, local.minute) == (9, 0), (address, zone, local)
                checked += 1
    assert checked == deliveries_by_step(sched)["main"]["sent"] > 300


@pytest.mark.slow
def test_everything_lands_once_in_the_outbox_over_the_season(
    make_sched: MakeScheduling, project: Path
) -> None:
    sched, clock = make_sched()  # the project's own rules (config.yaml)
    schedule_campaign(sched, DOC, at=INVITE, zone="Europe/Bucharest", local_time=None, now=T0)
    result = simulate(sched, clock, T0, at(2015, 10, 23))
    sends = [(f.step, f.at) for f in result.fired if f.sent]
    assert sends == [
        ("main", at(2015, 9, 1, 7, 0)),
        ("early-bird-3d", at(2015, 9, 29, 6, 0)),
        ("early-bird-1d", at(2015, 10, 1, 6, 0)),
    ]
    outbox = project / "var" / "outbox" / DOC
    for step in ("main", "early-bird-3d", "early-bird-1d"):
        got = outbox_recipients(outbox / step)
        assert set(got.values()) == {1} and sum(got.values()) > 300
