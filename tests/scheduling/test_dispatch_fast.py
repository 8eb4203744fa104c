"""Fast tier: the dispatcher and the approval gate on in-memory stores (tests/fakes/context.py).

No database and no mail: the send step is a recording function that marks the audience as sent,
so these run in milliseconds. The same behaviour on SQLite and PostgreSQL, with the real send
path, is in tests/authoring/test_approval_gate.py (the integration tier).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest

from newsletter.audiences.domain.segments import Rule
from newsletter.audiences.files.member_files import read_member_file
from newsletter.audiences.imports import import_members
from newsletter.authoring import approvals
from newsletter.authoring.documents import document_of
from newsletter.authoring.domain.approvals import CHANGED, NEVER_APPROVED
from newsletter.content.domain.campaigns import CampaignDefinition
from newsletter.content.files.project_files import ProjectFiles
from newsletter.content.library import CampaignLibrary
from newsletter.core.clock import VirtualClock
from newsletter.delivery.batch_sender import SendReport
from newsletter.scheduling.dispatch import dispatch_due
from newsletter.scheduling.domain.calendar_rules import SendingRules
from newsletter.scheduling.domain.reminders import MilestonePoint, plan_campaign
from newsletter.scheduling.domain.rules import SchedulePolicy, ScheduleState
from newsletter.scheduling.ports import Scheduling
from newsletter.staff.domain.users import Role, StaffUser
from tests.conftest import REPO
from tests.fakes.context import fake_context
from tests.fakes.schedule import MemoryDeliveries
from tests.services import Services

UTC = dt.UTC
T0 = dt.datetime(2015, 9, 1, 6, 0, tzinfo=UTC)
BOSS = StaffUser(1, "approver@x.example", Role.APPROVER)
SLUG = "fast-doc"
AUDIENCE = {"ana@x.example", "ion@x.example", "eva@x.example"}


@dataclass
class World:
    sched: Scheduling
    clock: VirtualClock
    deliveries: MemoryDeliveries
    library: CampaignLibrary
    #: (step, subject in English) of every send the dispatcher asked for.
    sends: list[tuple[str, str]] = field(default_factory=list)

    def send(self, ctx: Services, ref: str, step: str, only: Rule | None) -> SendReport:
        campaign, where = ctx.catalog.campaign(ref)
        approvals.check_send(ctx, campaign, where)  # as send_campaign does, first thing
        cid = ctx.ledger.ensure_campaign(campaign, now=self.clock.now())
        done = self.deliveries.sent.setdefault((cid, step), set())
        new = self.deliveries.audience - done
        done |= new
        self.sends.append((step, campaign.step(step).subject_for("en")))
        report = SendReport(campaign.slug, step, "memory")
        report.sent = len(new)
        return report

    def tick(self, at: dt.datetime) -> list[tuple[str, str]]:
        self.clock.set(at)
        fired = dispatch_due(self.sched, at, send=self.send).fired
        return [(f.step, f.outcome) for f in fired]

    def state(self, step: str = "main") -> ScheduleState:
        [entry] = [e for e in self.sched.store.entries(campaign=SLUG) if e.step == step]
        return entry.state

    def save(self, campaign: CampaignDefinition) -> None:
        self.library.save(
            SLUG,
            document_of(campaign.model_copy(update={"slug": SLUG})),
            by="editor@x.example",
            now=self.clock.now(),
            create=SLUG not in self.library.slugs(),
        )


@pytest.fixture
def world() -> World:
    deliveries = MemoryDeliveries(audience=set(AUDIENCE))
    fakes = fake_context(now=T0, deliveries=deliveries)
    # The dispatcher sends through World.send (the audience of the schedule store's
    # deliveries), not through the ledger's rows: the fake sender stands in for send_campaign.
    ctx, store, library, clock = fakes.ctx, fakes.schedule, fakes.library, fakes.clock
    files = ProjectFiles(REPO / "templates", REPO / "audiences", REPO / "campaigns")
    policy = SchedulePolicy(reminder_cap=None)
    sched = Scheduling(ctx, store, SendingRules.none(), policy, "Europe/Belgrade")
    w = World(sched, clock, deliveries, library)
    sample, _ = files.campaign("days-of-clusters-2015")
    w.save(sample.model_copy(update={"slug": SLUG}))
    return w


def schedule(w: World) -> CampaignDefinition:
    campaign, _ = w.sched.ctx.catalog.campaign(SLUG)
    points = {n: MilestonePoint.of(n, m) for n, m in campaign.milestones.items()}
    entries = plan_campaign(
        campaign,
        main_at=dt.datetime(2015, 9, 1, 10, 0),
        zone="Europe/Belgrade",
        per_member_zone=False,
        member_zones=(),
        milestones=points,
        rules=SendingRules.none(),
        now=w.clock.now(),
    )
    w.sched.store.save(entries, now=w.clock.now())
    return campaign


def approve(w: World) -> None:
    shown = approvals.standing(w.sched.ctx, SLUG).fingerprint
    approvals.approve(w.sched.ctx, SLUG, BOSS, shown=shown, schedule=w.sched.store)


def test_an_approved_campaign_goes_out_once(world: World) -> None:
    approve(world)
    schedule(world)
    assert world.tick(dt.datetime(2015, 9, 1, 8, 0, tzinfo=UTC)) == [("main", "sent")]
    assert world.tick(dt.datetime(2015, 9, 1, 9, 0, tzinfo=UTC)) == []
    assert world.deliveries.sent[(1, "main")] == AUDIENCE


def test_a_never_approved_database_campaign_is_held_at_its_due_time(world: World) -> None:
    schedule(world)
    assert world.tick(dt.datetime(2015, 9, 1, 8, 0, tzinfo=UTC)) == [("main", "held")]
    assert world.state() is ScheduleState.HELD and world.sends == []
    [entry] = [e for e in world.sched.store.entries(campaign=SLUG) if e.step == "main"]
    assert entry.reason.startswith(NEVER_APPROVED)


def test_an_edit_after_approval_is_held_then_sent_as_edited_once_approved(world: World) -> None:
    approve(world)
    campaign = schedule(world)
    new_subject = {**campaign.subject, "en": "Days of Clusters: new programme"}
    world.save(campaign.model_copy(update={"subject": new_subject}))
    assert world.state() is ScheduleState.HELD  # at once, in the same save
    assert world.tick(dt.datetime(2015, 9, 1, 8, 0, tzinfo=UTC)) == []
    assert world.sends == []
    changed = approvals.standing(world.sched.ctx, SLUG).changes
    assert [c.label for c in changed] == ["subject › en"]
    approve(world)
    assert world.state() is ScheduleState.SCHEDULED
    assert world.tick(dt.datetime(2015, 9, 1, 8, 5, tzinfo=UTC)) == [("main", "sent")]
    assert world.sends == [("main", "Days of Clusters: new programme")]


def test_late_joiners_of_a_sent_reminder_wait_for_the_new_approval(world: World) -> None:
    approve(world)
    campaign = schedule(world)
    [first] = [e for e in world.sched.store.entries(campaign=SLUG) if e.step == "early-bird-3d"]
    world.tick(dt.datetime(2015, 9, 1, 8, 0, tzinfo=UTC))
    assert ("early-bird-3d", "sent") in world.tick(first.due_at)
    world.deliveries.audience.add("late@x.example")  # joins after the reminder went out
    world.save(campaign.model_copy(update={"title": "Edited after the first reminder"}))
    catch_up = [e for e in world.sched.store.entries(campaign=SLUG) if e.step == "early-bird-3d"]
    assert catch_up[0].attempt_at is not None
    fired = world.tick(catch_up[0].attempt_at)
    assert ("early-bird-3d", "held") in fired
    assert "late@x.example" not in world.deliveries.sent[(1, "early-bird-3d")]
    [row] = [e for e in world.sched.store.entries(campaign=SLUG) if e.step == "early-bird-3d"]
    assert row.state is ScheduleState.SENT and row.reason.startswith(f"catch-up {CHANGED}")


def test_a_scheduled_campaign_and_its_reminder_go_out_through_the_real_send_path() -> None:
    """No fake sender: the dispatcher calls send_campaign on the in-memory ledger, members and
    transport, and the schedule's audience questions are answered from the same ledger."""
    fakes = fake_context(now=T0)
    found = read_member_file(REPO / "audiences" / "members.csv")
    import_members(fakes.ctx, found.rows, source="members.csv")
    sched = Scheduling(
        fakes.ctx,
        fakes.schedule,
        SendingRules.none(),
        SchedulePolicy(reminder_cap=None),
        "Europe/Belgrade",
    )
    campaign, _ = fakes.ctx.catalog.campaign("days-of-clusters-2015")
    points = {n: MilestonePoint.of(n, m) for n, m in campaign.milestones.items()}
    entries = plan_campaign(
        campaign,
        main_at=dt.datetime(2015, 9, 1, 10, 0),
        zone="Europe/Belgrade",
        per_member_zone=False,
        member_zones=(),
        milestones=points,
        rules=SendingRules.none(),
        now=T0,
    )
    fakes.schedule.save(entries, now=T0)
    main_at = dt.datetime(2015, 9, 1, 8, 0, tzinfo=UTC)
    fakes.clock.set(main_at)
    fired = dispatch_due(sched, main_at).fired
    assert [(f.step, f.outcome, f.sent) for f in fired] == [("main", "sent", 234)]
    assert sorted(fakes.mailer.recipients("main")) == sorted(set(fakes.mailer.recipients()))
    [reminder] = [e for e in fakes.schedule.entries() if e.step == "early-bird-3d"]
    fakes.clock.set(reminder.due_at)
    [sent] = dispatch_due(sched, reminder.due_at).fired
    assert (sent.step, sent.outcome) == ("early-bird-3d", "sent")
    reminded = fakes.mailer.recipients("early-bird-3d")
    assert len(reminded) == sent.sent > 0 and len(set(reminded)) == len(reminded)
    assert dispatch_due(sched, reminder.due_at + dt.timedelta(minutes=5)).fired == []
