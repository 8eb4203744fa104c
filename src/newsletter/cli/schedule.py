"""Scheduling commands.

newsletter campaigns schedule CAMPAIGN [--at DATETIME] [--tz ZONE] [--local-time HH:MM] [--json]
newsletter campaigns cancel|pause|resume CAMPAIGN
newsletter campaigns reschedule CAMPAIGN MILESTONE NEW_DATETIME [--tz ZONE] [--no-notify]
newsletter schedule timeline [--from DATE] [--to DATE] [--json]
newsletter schedule simulate --from DATE --to DATE [--schedule SLUG=DATETIME ...] [--json]
newsletter schedule recurring add|list|remove
newsletter scheduler run | status
"""

from __future__ import annotations

import datetime as dt

import click
from rich.table import Table

from newsletter.cli.common import State, emit_json, handle_errors, out, pass_state
from newsletter.errors import InputError
from newsletter.scheduling.actions import MilestonePassedError, Planned
from newsletter.scheduling.ports import Scheduling


def scheduling(state: State) -> Scheduling:
    from newsletter.bootstrap import build_scheduling

    return build_scheduling(state.settings, state.app.delivery)


def when(text: str, what: str) -> dt.datetime:
    """ISO 8601: ``2015-09-01``, ``2015-09-01 10:00``, ``2015-09-01T10:00+03:00``."""
    try:
        return dt.datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise InputError(
            f"{what}: {text!r} is not a date or date-time like 2015-09-01 10:00"
        ) from exc


def clock_time(text: str) -> dt.time:
    try:
        return dt.time.fromisoformat(text)
    except ValueError as exc:
        raise InputError(f"--local-time: {text!r} is not a time like 09:00") from exc


def show_planned(planned: Planned, as_json: bool) -> None:
    rows = [
        {
            "step": e.step,
            "kind": e.kind.value,
            "zone_group": e.zone_group,
            "local": e.local_due.strftime("%Y-%m-%d %H:%M %Z"),
            "due_utc": e.due_at.isoformat(),
            "state": e.state.value,
            "reason": e.reason,
        }
        for e in planned.entries
    ]
    if as_json:
        emit_json(
            {
                "campaign": planned.campaign,
                "entries": rows,
                "notes": planned.notes,
                "sequence": planned.sequence,
            }
        )
        return
    table = Table("step", "kind", "local time", "state", "reason", title=planned.campaign)
    for r in rows:
        step = f"{r['step']} [{r['zone_group']}]" if r["zone_group"] else r["step"]
        table.add_row(step, r["kind"], r["local"], r["state"], r["reason"])
    out.print(table)
    if planned.sequence is not None:
        out.print(f"calendar SEQUENCE for this milestone is now {planned.sequence}")
    for note in planned.notes:
        out.print(f"note: {note}", highlight=False)


@click.command("schedule")
@click.argument("campaign")
@click.option("--at", "at", help="When: 2015-09-01T10:00 (or a date with --local-time).")
@click.option("--tz", "zone", help="Time zone of --at (default: scheduling.timezone).")
@click.option("--local-time", help="HH:MM in each member's own time zone on the --at date.")
@click.option(
    "--after-milestones",
    is_flag=True,
    help="Schedule the announcement even though a milestone it promotes will have passed.",
)
@click.option("--json", "as_json", is_flag=True)
@pass_state
@handle_errors
def campaigns_schedule(
    state: State,
    campaign: str,
    at: str | None,
    zone: str | None,
    local_time: str | None,
    after_milestones: bool,
    as_json: bool,
) -> None:
    """Schedule the announcement and plan its reminders from the file (no --at: reminders only)."""
    sched = scheduling(state)
    try:
        planned = _schedule(sched, campaign, at, zone, local_time, after_milestones)
    except MilestonePassedError as exc:
        raise MilestonePassedError(f"{exc} with --after-milestones") from exc
    show_planned(planned, as_json)


def _schedule(
    sched: Scheduling,
    campaign: str,
    at: str | None,
    zone: str | None,
    local_time: str | None,
    after_milestones: bool,
) -> Planned:
    from newsletter.scheduling.actions import schedule_campaign

    return schedule_campaign(
        sched,
        campaign,
        at=when(at, "--at") if at else None,
        zone=zone,
        local_time=clock_time(local_time) if local_time else None,
        now=sched.ctx.clock.now(),
        after_milestones=after_milestones,
    )


@click.command("cancel")
@click.argument("campaign")
@click.option("--step", help="Only this step.")
@pass_state
@handle_errors
def campaigns_cancel(state: State, campaign: str, step: str | None) -> None:
    """Cancel what has not gone out yet."""
    from newsletter.scheduling.actions import cancel

    sched = scheduling(state)
    n = cancel(sched, campaign, step=step, now=sched.ctx.clock.now())
    out.print(f"{campaign}: {n} scheduled send(s) cancelled")


@click.command("pause")
@click.argument("campaign")
@click.option("--step", help="Only this step.")
@pass_state
@handle_errors
def campaigns_pause(state: State, campaign: str, step: str | None) -> None:
    """Hold scheduled sends (resume releases them; stale ones are not sent automatically)."""
    from newsletter.scheduling.actions import pause

    sched = scheduling(state)
    n = pause(sched, campaign, step=step, now=sched.ctx.clock.now())
    out.print(f"{campaign}: {n} send(s) paused")


@click.command("resume")
@click.argument("campaign")
@click.option("--step", help="Only this step.")
@pass_state
@handle_errors
def campaigns_resume(state: State, campaign: str, step: str | None) -> None:
    """Release paused sends."""
    from newsletter.scheduling.actions import resume

    sched = scheduling(state)
    n = resume(sched, campaign, step=step, now=sched.ctx.clock.now())
    out.print(f"{campaign}: {n} send(s) resumed")


@click.command("reschedule")
@click.argument("campaign")
@click.argument("milestone")
@click.argument("new_datetime")
@click.option("--tz", "zone", help="Zone of NEW_DATETIME (default: the milestone's own).")
@click.option(
    "--notify/--no-notify",
    default=True,
    show_default=True,
    help="Send a 'deadline extended' notice to those already reminded.",
)
@click.option("--json", "as_json", is_flag=True)
@pass_state
@handle_errors
def campaigns_reschedule(
    state: State,
    campaign: str,
    milestone: str,
    new_datetime: str,
    zone: str | None,
    notify: bool,
    as_json: bool,
) -> None:
    """Move a milestone: pending reminders follow it, those that no longer fit are cancelled."""
    from newsletter.scheduling.actions import reschedule_milestone

    sched = scheduling(state)
    planned = reschedule_milestone(
        sched,
        campaign,
        milestone,
        when(new_datetime, "NEW_DATETIME"),
        zone=zone,
        notify=notify,
        now=sched.ctx.clock.now(),
    )
    show_planned(planned, as_json)
