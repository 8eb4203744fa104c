"""The approval gate on the real dispatcher and send path (virtual clock, SQLite and PostgreSQL).

The attack this guards against: an approver approves and schedules; an editor then changes the
campaign; at the due time the edited, unapproved version went to every member. Now the step is
held, every view says so, and approving the new version sends it, once, with the new text.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsletter.authoring import approvals
from newsletter.authoring import documents as authoring
from newsletter.authoring.domain.approvals import CHANGED
from newsletter.config import Settings
from newsletter.content.domain.campaigns import CampaignDefinition
from newsletter.core.clock import VirtualClock
from newsletter.delivery.sending import send_campaign
from newsletter.errors import NotApprovedError
from newsletter.scheduling.actions import schedule_campaign
from newsletter.scheduling.calendar_view import month_view
from newsletter.scheduling.dispatch import dispatch_due
from newsletter.scheduling.domain.rules import ScheduleEntry, ScheduleState
from newsletter.scheduling.ports import Scheduling
from newsletter.scheduling.timeline import timeline
from newsletter.staff.domain.users import Role, StaffUser
from tests.approving import approve_now
from tests.conftest import make_settings
from tests.scheduling.support import (
    DOC,
    MakeScheduling,
    at,
    deliveries_by_step,
    outbox_headers,
    scheduling_factory,
    scheduling_for,
)

SLUG = "gate-doc"
BOSS = StaffUser(1, "approver@x.example", Role.APPROVER)
INVITE = dt.datetime(2015, 9, 1, 10, 0)  # Belgrade wall clock = 08:00 UTC
NEW_SUBJECT = "Days of Clusters 2015: the programme has changed"


@pytest.fixture
def make_sched(settings: Settings, project: Path) -> Iterator[MakeScheduling]:
    yield from scheduling_factory(settings, project)


def in_database(sched: Scheduling) -> CampaignDefinition:
    """The sample invitation stored in the database under another slug (as `campaigns import`)."""
    written, _ = authoring.as_written(sched.ctx).campaign(DOC)
    copy = written.model_copy(update={"slug": SLUG})
    authoring.import_campaign(sched.ctx, copy, by="cli")
    return copy


def approved_and_scheduled(sched: Scheduling, clock: VirtualClock) -> CampaignDefinition:
    """The database copy, approved as it is and scheduled for 1 September 2015, 10:00."""
    campaign = in_database(sched)
    approve_now(sched.ctx, SLUG, BOSS, schedule=sched.store)
    schedule_campaign(
        sched, SLUG, at=INVITE, zone="Europe/Belgrade", local_time=None, now=clock.now()
    )
    return campaign


def edited(campaign: CampaignDefinition, **subjects: str) -> CampaignDefinition:
    return campaign.model_copy(update={"subject": {**campaign.subject, **subjects}})


def rows(sched: Scheduling, step: str) -> list[ScheduleEntry]:
    return [e for e in sched.store.entries(campaign=SLUG) if e.step == step]


def subjects(project: Path, step: str) -> Counter[str]:
    folder = project / "var" / "outbox" / SLUG / step
    return Counter(str(m["Subject"]) for m in outbox_headers(folder))


def test_an_edit_after_approval_is_held_until_the_new_version_is_approved(
    make_sched: MakeScheduling, project: Path
) -> None:
    sched, clock = make_sched()
    campaign = approved_and_scheduled(sched, clock)
    assert [e.state for e in rows(sched, "main")] == [ScheduleState.SCHEDULED]

    # The editor changes the subject after the approval: held at once, and said everywhere.
    authoring.save(sched.ctx, edited(campaign, en=NEW_SUBJECT), by="editor@x.example", create=False)
    [held] = rows(sched, "main")
    assert held.state is ScheduleState.HELD and held.reason.startswith(CHANGED)
    assert approvals.approval_of(sched.ctx, SLUG) is None

    clock.set(at(2015, 9, 1, 8, 30))  # the due time has passed
    tick = dispatch_due(sched, clock.now())
    assert [f.outcome for f in tick.fired if f.campaign == SLUG] == []  # held rows are not due
    assert deliveries_by_step(sched, SLUG) == {}
    assert not (project / "var" / "outbox" / SLUG).exists()
    line = next(r for r in timeline(sched) if (r.campaign, r.step) == (SLUG, "main"))
    assert (line.state, line.reason) == ("held", held.reason)
    month = month_view(sched, 2015, 9, "Europe/Belgrade")
    assert [i.state for i in month.items if i.campaign == SLUG and i.step == "main"] == ["held"]
    with pytest.raises(NotApprovedError, match=CHANGED):
        send_campaign(sched.ctx, SLUG)  # `campaigns send` and a resumed send: the same gate

    # The approver sees what changed, approves the new version: it goes out, once, as edited.
    changes = approvals.standing(sched.ctx, SLUG).changes
    assert [(c.label, c.after) for c in changes] == [("subject › en", NEW_SUBJECT)]
    approve_now(sched.ctx, SLUG, BOSS, schedule=sched.store)
    assert [e.state for e in rows(sched, "main")] == [ScheduleState.SCHEDULED]
    clock.set(at(2015, 9, 1, 8, 45))
    fired = [f for f in dispatch_due(sched, clock.now()).fired if f.campaign == SLUG]
    assert [(f.step, f.outcome) for f in fired] == [("main", "sent")]
    sent = deliveries_by_step(sched, SLUG)["main"]
    assert sent["sent"] == fired[0].sent > 0
    got = subjects(project, "main")
    assert got[NEW_SUBJECT] > 0 and campaign.subject["en"] not in got
    assert sum(got.values()) == sent["sent"]  # one message per recipient
    clock.set(at(2015, 9, 1, 12, 0))
    assert [f for f in dispatch_due(sched, clock.now()).fired if f.campaign == SLUG] == []
    assert deliveries_by_step(sched, SLUG)["main"] == sent


@pytest.mark.slow
def test_an_edit_between_two_reminders_holds_the_later_ones(
    make_sched: MakeScheduling, project: Path
) -> None:
    sched, clock = make_sched()
    campaign = approved_and_scheduled(sched, clock)
    [first] = rows(sched, "early-bird-3d")
    [second] = rows(sched, "early-bird-1d")
    for due in (at(2015, 9, 1, 8, 0), first.due_at):
        clock.set(due)
        dispatch_due(sched, clock.now())
    assert rows(sched, "early-bird-3d")[0].state is ScheduleState.SENT
    reminded = deliveries_by_step(sched, SLUG)["early-bird-3d"]["sent"]
    assert reminded > 0

    # An editor rewrites the last reminder's subject after the first reminder went out.
    [step] = [r for r in campaign.reminders if r.key == "early-bird-1d"]
    new = step.model_copy(update={"subject": {**step.subject, "en": "Last day: new prices"}})
    others = [r for r in campaign.reminders if r.key != "early-bird-1d"]
    authoring.save(
        sched.ctx,
        campaign.model_copy(update={"reminders": [*others, new]}),
        by="editor",
        create=False,
    )
    clock.set(second.due_at)
    fired = [f for f in dispatch_due(sched, clock.now()).fired if f.campaign == SLUG]
    # The last reminder was held when saved (not due); the first one's late-joiner run is held.
    assert [(f.step, f.outcome) for f in fired] in ([], [("early-bird-3d", "held")])
    [held] = rows(sched, "early-bird-1d")
    assert held.state is ScheduleState.HELD
    assert "early-bird-1d" not in deliveries_by_step(sched, SLUG)

    approve_now(sched.ctx, SLUG, BOSS, schedule=sched.store)
    clock.set(second.due_at + dt.timedelta(minutes=10))
    fired = [f for f in dispatch_due(sched, clock.now()).fired if f.campaign == SLUG]
    assert ("early-bird-1d", "sent") in [(f.step, f.outcome) for f in fired]
    assert subjects(project, "early-bird-1d")["Last day: new prices"] > 0
    # The first reminder was not sent again.
    assert deliveries_by_step(sched, SLUG)["early-bird-3d"]["sent"] == reminded


def test_an_approval_never_sends_late(make_sched: MakeScheduling) -> None:
    sched, clock = make_sched()
    campaign = approved_and_scheduled(sched, clock)
    authoring.save(sched.ctx, edited(campaign, en=NEW_SUBJECT), by="editor", create=False)
    clock.set(at(2015, 9, 2, 8, 0))  # a day after the due time: past the 2 h limit
    approve_now(sched.ctx, SLUG, BOSS, schedule=sched.store)
    fired = [f for f in dispatch_due(sched, clock.now()).fired if f.step == "main"]
    assert [f.outcome for f in fired] == ["skipped"]
    assert "late" in fired[0].reason
    assert deliveries_by_step(sched, SLUG) == {}


def test_a_changed_file_is_held_at_its_due_time_when_files_need_approval(
    project: Path, database_url: str
) -> None:
    settings = make_settings(project, database={"url": database_url}, approval={"files": True})
    sched, clock = scheduling_for(settings, project)
    try:
        assert sched.ctx.approve_files is True
        with pytest.raises(NotApprovedError, match="not approved"):
            send_campaign(sched.ctx, "chairmans-letter")  # a file never seen in the web app
        approve_now(sched.ctx, "chairmans-letter", BOSS, schedule=sched.store)
        schedule_campaign(
            sched,
            "chairmans-letter",
            at=INVITE,
            zone="Europe/Belgrade",
            local_time=None,
            now=clock.now(),
        )
        path = project / "campaigns" / "chairmans-letter.yaml"
        path.write_text(path.read_text(encoding="utf-8").replace("title: ", "title: New ", 1))
        # Not saved through the app: the timeline says so before the due time...
        line = next(r for r in timeline(sched) if r.campaign == "chairmans-letter")
        assert (line.state, line.reason.startswith(CHANGED)) == ("held", True)
        # ...and the dispatcher holds it at the due time.
        clock.set(at(2015, 9, 1, 8, 30))
        fired = dispatch_due(sched, clock.now()).fired
        assert [(f.campaign, f.outcome) for f in fired] == [("chairmans-letter", "held")]
        assert [e.state for e in sched.store.entries(campaign="chairmans-letter")] == [
            ScheduleState.HELD
        ]
        assert deliveries_by_step(sched, "chairmans-letter") == {}
    finally:
        sched.ctx.close()


def test_approving_a_version_that_is_not_the_one_shown_is_refused(
    make_sched: MakeScheduling,
) -> None:
    sched, _ = make_sched()
    campaign = in_database(sched)
    shown = approvals.standing(sched.ctx, SLUG).fingerprint
    authoring.save(sched.ctx, edited(campaign, en=NEW_SUBJECT), by="editor", create=False)
    with pytest.raises(Exception, match="changed since this page was shown"):
        approvals.approve(sched.ctx, SLUG, BOSS, shown=shown)
    assert approvals.standing(sched.ctx, SLUG).latest is None


def test_a_template_or_partial_edited_on_disk_holds_the_send(
    make_sched: MakeScheduling, project: Path
) -> None:
    sched, clock = make_sched()
    approved_and_scheduled(sched, clock)
    # The footer partial, reached only through the layout the invitation extends.
    footer = project / "templates" / "partials" / "footer.mjml.j2"
    footer.write_text(footer.read_text(encoding="utf-8") + "\n{# edited #}\n", encoding="utf-8")
    now = approvals.standing(sched.ctx, SLUG)
    assert now.hold_reason is not None and now.hold_reason.startswith(CHANGED)
    assert [c.label for c in now.changes] == ["templates › partials/footer.mjml.j2"]
    clock.set(at(2015, 9, 1, 8, 30))
    fired = [f for f in dispatch_due(sched, clock.now()).fired if f.campaign == SLUG]
    assert [(f.step, f.outcome) for f in fired] == [("main", "held")]
    assert deliveries_by_step(sched, SLUG) == {}
    # So does an interface string of one of its languages (templates/strings.yaml).
    approve_now(sched.ctx, SLUG, BOSS, schedule=sched.store)
    strings = project / "templates" / "strings.yaml"
    text = strings.read_text(encoding="utf-8")
    strings.write_text(text.replace("Unsubscribe", "Unsubscribe now", 1), encoding="utf-8")
    assert approvals.standing(sched.ctx, SLUG).hold_reason is not None
