"""``newsletter schedule ...`` (timeline, rehearsal, recurring sends) and ``newsletter
scheduler run|status`` (the one process that sends scheduled work)."""

from __future__ import annotations

import datetime as dt
import faulthandler
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from rich.table import Table

from newsletter.cli.common import State, emit_json, handle_errors, out, pass_state
from newsletter.cli.schedule import scheduling, when
from newsletter.errors import InputError


def _day_start(text: str, zone: str, what: str) -> dt.datetime:
    day = when(text, what)
    local = day if day.tzinfo else day.replace(tzinfo=ZoneInfo(zone))
    return local.astimezone(dt.UTC)


@click.group()
def schedule() -> None:
    """What goes out when: timeline, rehearsal, recurring sends."""


@schedule.command("timeline")
@click.option("--from", "since", help="First day (default: today).")
@click.option("--to", "until", help="Last day, inclusive (default: no end).")
@click.option("--json", "as_json", is_flag=True)
@pass_state
@handle_errors
def schedule_timeline(state: State, since: str | None, until: str | None, as_json: bool) -> None:
    """Everything scheduled: campaign, step, local time in the official zone, audience now."""
    from newsletter.scheduling.timeline import timeline

    sched = scheduling(state)
    zone = sched.default_zone
    start = _day_start(since, zone, "--from") if since else None
    if start is None:
        today = sched.ctx.clock.now().astimezone(ZoneInfo(zone)).date()
        start = _day_start(today.isoformat(), zone, "--from")
    end = _day_start(until, zone, "--to") + dt.timedelta(days=1) if until else None
    rows = timeline(sched, start, end)
    if as_json:
        emit_json([r.as_dict() for r in rows])
        return
    table = Table("local time", "campaign", "step", "kind", "state", "audience", "note")
    for r in rows:
        note = r.reason or r.note
        if r.next_catch_up:
            note = f"late joiners: next {r.next_catch_up:%Y-%m-%d %H:%M} UTC"
        step = f"{r.step} [{r.zone_group}]" if r.zone_group else r.step
        audience = "-" if r.audience is None else str(r.audience)
        table.add_row(r.local, r.campaign, step, r.kind, r.state, audience, note)
    out.print(table)


@schedule.command("simulate")
@click.option("--from", "since", required=True, help="First day of the rehearsal.")
@click.option("--to", "until", required=True, help="Last day, inclusive.")
@click.option(
    "--schedule",
    "plans",
    multiple=True,
    metavar="SLUG=DATETIME",
    help="Schedule a campaign in the rehearsal first (repeatable).",
)
@click.option("--tz", "zone", help="Zone of the dates (default: scheduling.timezone).")
@click.option("--folder", type=click.Path(file_okay=False, path_type=Path), help="Output folder.")
@click.option("--json", "as_json", is_flag=True)
@pass_state
@handle_errors
def schedule_simulate(
    state: State,
    since: str,
    until: str,
    plans: tuple[str, ...],
    zone: str | None,
    folder: Path | None,
    as_json: bool,
) -> None:
    """Rehearse the schedule on a virtual clock: a copy of the database, emails into a
    separate outbox folder (var/simulations/<time>/outbox), nothing real sent or recorded."""
    from newsletter.bootstrap import build_simulation
    from newsletter.core.clock import VirtualClock
    from newsletter.scheduling.actions import schedule_campaign, zone_of
    from newsletter.scheduling.timeline import simulate

    settings = state.settings
    zone = zone_of(zone or settings.scheduling.timezone)
    start = _day_start(since, zone, "--from")
    end = _day_start(until, zone, "--to") + dt.timedelta(days=1)
    if end <= start:
        raise InputError("--to is before --from")
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    folder = folder or settings.path(settings.paths.var) / "simulations" / stamp
    clock = VirtualClock(start)
    sched, _, app = build_simulation(settings, folder, clock)
    try:
        for plan in plans:
            slug, sep, at = plan.partition("=")
            if not sep:
                raise InputError(f"--schedule {plan!r}: write SLUG=DATETIME")
            schedule_campaign(
                sched, slug, at=when(at, "--schedule"), zone=zone, local_time=None, now=start
            )
        result = simulate(sched, clock, start, end)
    finally:
        app.close()
    outbox = folder / "outbox"
    if as_json:
        emit_json({**result.as_dict(), "outbox": str(outbox)})
        return
    table = Table("local time", "campaign", "step", "outcome", "sent", "note")
    for f in result.fired:
        if f.outcome == "catch-up" and not f.sent:
            continue  # a daily late-joiner look that found nobody new
        local = f.at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")
        step = f"{f.step} [{f.zone_group}]" if f.zone_group else f.step
        table.add_row(local, f.campaign, step, f.outcome, str(f.sent), f.reason)
    out.print(table)
    out.print(f"rehearsal emails: {outbox}", highlight=False)


@schedule.group("recurring")
def recurring() -> None:
    """Recurring sends (crontab rules: 0 and 7 are Sunday; mon#1 = first Monday)."""


@recurring.command("add")
@click.argument("name")
@click.option("--campaign", required=True, help="Slug pattern, e.g. network-digest-{date:%Y-%m}.")
@click.option("--cron", "rule", required=True, help="e.g. '0 10 * * mon#1'.")
@click.option("--tz", "zone", help="Zone of the rule (default: scheduling.timezone).")
@pass_state
@handle_errors
def recurring_add(state: State, name: str, campaign: str, rule: str, zone: str | None) -> None:
    """Add a recurring send; its next run is planned at once."""
    from newsletter.scheduling.actions import add_recurring
    from newsletter.scheduling.domain.recurrence import Recurrence

    sched = scheduling(state)
    try:
        rec = Recurrence(name, campaign, rule, zone or sched.default_zone)
    except ValueError as exc:
        raise InputError(str(exc)) from exc
    first = add_recurring(sched, rec, now=sched.ctx.clock.now())
    out.print(f"{name}: next run {first.local_due:%Y-%m-%d %H:%M %Z} sends {first.campaign}")


@recurring.command("list")
@pass_state
@handle_errors
def recurring_list(state: State) -> None:
    """Recurring sends and their rules."""
    sched = scheduling(state)
    table = Table("name", "campaign", "rule", "zone", "active")
    for r in sched.store.recurrences():
        table.add_row(r.name, r.campaign, r.rule, r.zone, "yes" if r.active else "no")
    out.print(table)


@recurring.command("remove")
@click.argument("name")
@pass_state
@handle_errors
def recurring_remove(state: State, name: str) -> None:
    """Remove a recurring send and cancel its pending run."""
    from newsletter.scheduling.actions import remove_recurring

    sched = scheduling(state)
    n = remove_recurring(sched, name, now=sched.ctx.clock.now())
    out.print(f"{name}: removed ({n} pending run cancelled)")


def stop_handler(stopping: threading.Event) -> Callable[[int, object], None]:
    """The SIGTERM/SIGINT handler of ``scheduler run``: graceful, and safe to run anywhere."""

    def stop(signum: int, _frame: object) -> None:
        # Flag first, and no buffered I/O here: the signal can land while this very thread is
        # inside a logging write to stderr, where a second buffered write raises "reentrant
        # call" - logging swallows that, and the flag would never be set (a SIGTERM ignored).
        stopping.set()
        os.write(2, f"signal {signum}: finishing the current dispatch, then stopping\n".encode())

    return stop


@click.group()
def scheduler() -> None:
    """The scheduler process (exactly one leads; others wait for the lease)."""


@scheduler.command("run")
@click.option("--id", "holder", help="Name of this scheduler (default: host:pid:random).")
@pass_state
@handle_errors
def scheduler_run(state: State, holder: str | None) -> None:
    """Send scheduled work as it comes due, until SIGTERM or Ctrl-C (both graceful)."""
    from newsletter.bootstrap import scheduler_process

    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s"
    )
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    process, app = scheduler_process(state.settings, holder=holder)

    # `kill -USR1 <pid>` prints every thread's stack to stderr: how to see what a scheduler
    # that does not stop is waiting for, without stopping it.
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    stop = stop_handler(process.stopping)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        process.run()
    finally:
        app.close()


@scheduler.command("status")
@click.option("--json", "as_json", is_flag=True)
@pass_state
@handle_errors
def scheduler_status(state: State, as_json: bool) -> None:
    """Who leads, until when, and what is due next."""
    from newsletter.bootstrap import scheduler_process

    process, app = scheduler_process(state.settings, holder="status")
    held = process.lease.current()
    sched = scheduling(state)
    states: dict[str, int] = {}
    for entry in sched.store.entries():
        states[entry.state.value] = states.get(entry.state.value, 0) + 1
    data = {
        "leader": held.holder,
        "lease_until": held.lease_until,
        "next_due": sched.store.next_attempt(),
        "schedules": states,
    }
    app.close()
    if as_json:
        emit_json(data)
        return
    for key, value in data.items():
        out.print(f"{key}: {value}", highlight=False)
