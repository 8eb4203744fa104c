"""Managing campaigns: deleting a draft (never one that is scheduled, waiting or sent), one
step paused, resumed or cancelled, and the list's dates. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from newsletter.authoring import approvals
from newsletter.authoring import documents as authoring
from newsletter.authoring.overview import act_on_step, list_campaigns
from newsletter.bootstrap import build_scheduling
from newsletter.config import Settings
from newsletter.db.tables import campaign_approvals, schedules
from newsletter.errors import CampaignError, InputError, StateError
from newsletter.scheduling.actions import cancel, pause, schedule_campaign
from newsletter.scheduling.domain.rules import ScheduleState
from newsletter.scheduling.ports import Scheduling
from newsletter.staff.domain.users import Role, StaffUser
from tests.approving import approve_now
from tests.conftest import FrozenClock
from tests.deliveries_helper import record_sent
from tests.services import Services
from tests.synthetic import add_members

FILE = "days-of-clusters-2015"
APPROVER = StaffUser(1, "approver@cluster-house.example", Role.APPROVER)
S = ScheduleState


def scheduled(ctx: Services, settings: Settings, slug: str) -> Scheduling:
    sched = build_scheduling(settings, ctx)
    approve_now(ctx, slug, APPROVER, schedule=sched.store)
    schedule_campaign(
        sched,
        slug,
        at=dt.datetime(2015, 9, 10, 9, 0),
        zone="Europe/Belgrade",
        local_time=None,
        now=ctx.clock.now(),
    )
    return sched


def count(ctx: Services, slug_column: Any, slug: str) -> int:
    engine = ctx.ledger.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).where(slug_column == slug)).scalar_one())


def test_a_draft_is_deleted_with_its_approval_and_ended_steps(
    ctx: Services, settings: Settings
) -> None:
    copy = authoring.duplicate(ctx, FILE, by="ana@x.example")
    sched = scheduled(ctx, settings, copy.slug)
    # Scheduled: refused, and nothing of it was touched.
    with pytest.raises(StateError, match=r"cannot be deleted: its step \S+ is scheduled"):
        authoring.delete_draft(ctx, copy.slug)
    assert authoring.stored(ctx, copy.slug) is not None
    # Cancelled, every step: now it is a draft that never went out.
    assert cancel(sched, copy.slug, now=ctx.clock.now()) == 3
    authoring.delete_draft(ctx, copy.slug)
    assert authoring.stored(ctx, copy.slug) is None
    assert count(ctx, schedules.c.campaign, copy.slug) == 0
    assert count(ctx, campaign_approvals.c.slug, copy.slug) == 0
    assert copy.slug not in {r.slug for r in list_campaigns(ctx)}
    # The slug is free again, and a new campaign under it starts unapproved.
    authoring.save(ctx, copy, by="ana@x.example", create=True)
    assert approvals.standing(ctx, copy.slug).latest is None


def test_files_paused_and_sent_campaigns_are_never_deleted(
    ctx: Services, settings: Settings
) -> None:
    with pytest.raises(CampaignError, match="is a campaign file: remove the file"):
        authoring.delete_draft(ctx, FILE)
    with pytest.raises(CampaignError, match="no campaign 'nope' in the database"):
        authoring.delete_draft(ctx, "nope")
    paused = authoring.duplicate(ctx, FILE, by="ana@x.example")
    sched = scheduled(ctx, settings, paused.slug)
    assert pause(sched, paused.slug, now=ctx.clock.now()) == 3
    with pytest.raises(StateError, match=r"its step \S+ is paused"):
        authoring.delete_draft(ctx, paused.slug)
    # Sent by the command line (no schedule row): the ledger's rows keep it.
    sent = authoring.duplicate(ctx, "chairmans-letter", by="ana@x.example")
    engine = ctx.ledger.engine  # type: ignore[attr-defined]
    add_members(engine, 1, prefix="sent")
    assert record_sent(engine, sent.slug, ["sent0@synthetic.example"]) == 1
    with pytest.raises(StateError, match="the ledger holds 1 delivery row"):
        authoring.delete_draft(ctx, sent.slug)
    assert authoring.stored(ctx, sent.slug) is not None


def states(sched: Scheduling) -> dict[str, ScheduleState]:
    return {e.step: e.state for e in sched.store.entries(campaign=FILE)}


@pytest.mark.parametrize(
    ("actions", "expected"),
    [
        (
            [("early-bird-3d", "pause")],
            {"main": S.SCHEDULED, "early-bird-3d": S.PAUSED, "early-bird-1d": S.SCHEDULED},
        ),
        (
            [("early-bird-3d", "pause"), ("early-bird-3d", "resume"), ("early-bird-1d", "cancel")],
            {"main": S.SCHEDULED, "early-bird-3d": S.SCHEDULED, "early-bird-1d": S.CANCELLED},
        ),
    ],
    ids=["paused", "resumed-and-cancelled"],
)
def test_one_step_is_paused_resumed_and_cancelled(
    ctx: Services,
    settings: Settings,
    actions: list[tuple[str, str]],
    expected: dict[str, ScheduleState],
) -> None:
    sched = scheduled(ctx, settings, FILE)
    for step, action in actions:
        assert act_on_step(sched, FILE, step, action) == 1
    assert states(sched) == expected


@pytest.mark.parametrize(
    ("step", "action", "error", "message"),
    [
        ("early-bird-3d", "pause", StateError, "step early-bird-3d is paused: nothing to pause"),
        ("main", "resume", StateError, "step main is scheduled: nothing to resume"),
        ("early-bird-7d", "pause", InputError, "has no scheduled step 'early-bird-7d'"),
        ("main", "delete", InputError, "unknown action 'delete'"),
    ],
)
def test_a_step_action_that_does_not_apply_is_refused(
    ctx: Services,
    settings: Settings,
    step: str,
    action: str,
    error: type[Exception],
    message: str,
) -> None:
    sched = scheduled(ctx, settings, FILE)
    assert act_on_step(sched, FILE, "early-bird-3d", "pause") == 1
    with pytest.raises(error, match=message):
        act_on_step(sched, FILE, step, action)


def test_the_list_has_each_campaigns_dates(
    ctx: Services, settings: Settings, clock: FrozenClock
) -> None:
    copy = authoring.duplicate(ctx, "chairmans-letter", by="ana@x.example")
    clock.advance(hours=1)
    sched = scheduled(ctx, settings, FILE)
    engine = ctx.ledger.engine  # type: ignore[attr-defined]
    add_members(engine, 1, prefix="sent")
    record_sent(engine, "chairmans-letter", ["sent0@synthetic.example"])  # at 09:00 UTC
    rows = {r.slug: r for r in list_campaigns(ctx, sched.store, sched.default_zone)}
    start = dt.datetime(2015, 9, 1, 8, 0, tzinfo=dt.UTC)
    assert rows[copy.slug].created_at == start and rows[copy.slug].deletable
    assert rows[copy.slug].state == "draft" and rows[copy.slug].sent_at is None
    invitation = rows[FILE]
    assert invitation.state == "scheduled" and not invitation.deletable
    assert invitation.created_at is None  # a file: not created in the database
    assert invitation.approved_at == start + dt.timedelta(hours=1)
    assert invitation.scheduled_at == dt.datetime(2015, 9, 10, 7, 0, tzinfo=dt.UTC)
    assert invitation.zone == "Europe/Belgrade"
    assert rows["chairmans-letter"].sent_at == dt.datetime(2015, 9, 1, 9, 0, tzinfo=dt.UTC)
    assert rows["chairmans-letter"].state == "sent"
