"""``newsletter campaigns send``: a step to its audience, or ``--test-to`` staff addresses.

newsletter campaigns send CAMPAIGN [--step KEY] [--dry-run] [--yes] [--json] [--without-approval]
newsletter campaigns send CAMPAIGN --test-to ADDRESS [--lang TAG | --lang all] [--step KEY]
"""

from __future__ import annotations

import sys
from typing import Any

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from newsletter.cli.common import State, emit_json, err, handle_errors, out, pass_state
from newsletter.content.domain.campaigns import MAIN_STEP
from newsletter.errors import CampaignError, NotApprovedError


@click.command("send")
@click.argument("campaign")
@click.option("--step", default=MAIN_STEP, show_default=True, help="Reminder step key.")
@click.option("--dry-run", is_flag=True, help="Compose everything and count; send nothing.")
@click.option(
    "--test-to",
    "test_to",
    multiple=True,
    metavar="EMAIL",
    help="Send a test to this staff address instead (repeatable); subject marked [TEST], "
    "nothing recorded in the ledger.",
)
@click.option(
    "--lang",
    "language",
    help="Language of the test send (default: the campaign's); 'all': one in each language.",
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option(
    "--without-approval",
    is_flag=True,
    help="Send a campaign that needs an approver's approval without one: records that you, "
    "the operator, approve this exact version (who and when, shown in the staff app).",
)
@click.option("--json", "as_json", is_flag=True)
@pass_state
@handle_errors
def campaigns_send(
    state: State,
    campaign: str,
    step: str,
    dry_run: bool,
    test_to: tuple[str, ...],
    language: str | None,
    yes: bool,
    without_approval: bool,
    as_json: bool,
) -> None:
    """Send a campaign step to its audience; running it again resumes, never repeats.
    A campaign that needs an approval goes only as approved (or with --without-approval)."""
    from newsletter.authoring import approvals
    from newsletter.delivery.sending import send_campaign

    if language is not None and not test_to:
        raise CampaignError("--lang applies to test sends (--test-to); members get their own")
    if not dry_run:
        state.settings.require_sending_ready()  # before anything else: fail at start
        _warn_unresolvable(state)
    app = state.app
    ctx = app.delivery
    if test_to and not dry_run:
        _send_test(state, campaign, step, list(test_to), language, as_json)
        return
    if not dry_run:
        hold = approvals.standing(app.authoring, campaign).hold_reason
        if hold is not None and not without_approval:
            raise NotApprovedError(
                f"{campaign}: {hold}; approve it in the staff app, or as the operator give "
                "--without-approval (recorded in your name)"
            )
    if not dry_run and not yes:
        if not sys.stdin.isatty():
            raise CampaignError("not a terminal: pass --yes to send without confirmation")
        preview_report = send_campaign(ctx, campaign, step=step, dry_run=True)
        click.confirm(
            f"Send {preview_report.campaign} ({step}) to up to {preview_report.audience} "
            f"members through {ctx.transport}?",
            abort=True,
        )
    show_bar = sys.stdout.isatty() and not as_json
    with Progress(
        TextColumn("sending"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=out,
        disable=not show_bar,
        transient=True,
    ) as bar:
        task = bar.add_task("send", total=None)
        if without_approval and not dry_run:
            _record_override(state, campaign)
        report = send_campaign(
            ctx,
            campaign,
            step=step,
            dry_run=dry_run,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    if as_json:
        emit_json(report.as_dict())
    elif dry_run:
        out.print(
            f"{report.campaign} ({step}): dry run - every variant composed, "
            f"{report.audience} members in the audience now, nothing sent"
        )
    else:
        out.print(
            f"{report.campaign} ({step}) via {report.transport}: sent {report.sent}, "
            f"failed {report.failed}, suppressed {report.suppressed}, unknown {report.unknown}, "
            f"still pending {report.pending} ({report.planned} newly planned, "
            f"{report.requests} requests)"
        )
        if ctx.transport == "outbox" and report.sent:
            from newsletter.bootstrap import outbox_dir

            folder = outbox_dir(state.settings) / report.campaign / step
            out.print(f"outbox: {folder}", highlight=False)
        _explain(report.as_dict(), campaign)
        for line in report.errors[:10]:
            err.print(f"  [yellow]![/] {line}", highlight=False)
    totals = report.totals
    # Rows a live sender holds are not left undone: that sender records them (exit 0).
    if report.failed or totals.get("unknown") or report.pending:
        sys.exit(1)


def _warn_unresolvable(state: State) -> None:
    """Rows that end ``unknown`` (a timeout, a crash mid-request) are settled by SendGrid's
    events; without the webhook's key none arrive, and only staff can settle them."""
    settings = state.settings
    if settings.delivery.transport == "sendgrid" and not settings.sendgrid.webhook_public_key:
        err.print(
            "  [bold yellow]warning:[/] sendgrid.webhook_public_key is not set, so no provider "
            "events arrive: rows that end unknown (a timeout, a sender stopped mid-request) "
            "wait for `newsletter campaigns resolve-unknown`",
            highlight=False,
        )


def _record_override(state: State, campaign: str) -> None:
    from newsletter.authoring import approvals
    from newsletter.cli.schedule import scheduling

    if approvals.standing(state.app.authoring, campaign).hold_reason is None:
        return  # approved as it is, or not in need of an approval: nothing to override
    done = approvals.approve_as_operator(
        state.app.authoring, campaign, schedule=scheduling(state).store
    )
    err.print(
        f"  [yellow]![/] recorded: {done.approved_by} approved this version of {done.slug} "
        f"at {done.approved_at:%Y-%m-%d %H:%M} UTC (--without-approval)",
        highlight=False,
    )


def _explain(report: dict[str, Any], campaign: str) -> None:
    """The lines a person needs after a send that did not finish cleanly."""
    totals = report["totals"]
    stopped = ", ".join(report["dead_senders"]) or "an earlier run"
    if report["recovered_pending"]:
        err.print(
            f"  [yellow]![/] {report['recovered_pending']} rows claimed by a sender that "
            f"stopped ({stopped}) had not been requested yet; they went back to pending and "
            "this run took them on",
            highlight=False,
        )
    if report["recovered_unknown"]:
        err.print(
            f"  [yellow]![/] {report['recovered_unknown']} rows were in a request in flight "
            f"when their sender stopped ({stopped}); they may have been sent and are now unknown",
            highlight=False,
        )
    if report["reconciled"]:
        err.print(
            f"  [yellow]![/] {report['reconciled']} rows of unknown fate were settled from the "
            "outbox: sent where their file is there, sent again where it is not",
            highlight=False,
        )
    if report["resent_unknown"]:
        err.print(
            f"  [yellow]![/] {report['resent_unknown']} reminder rows of unknown fate were "
            "resent (reminder policy)",
            highlight=False,
        )
    if totals.get("unknown"):
        if report["unknown_policy"] == "ask":
            hint = (
                f"provider events may still confirm them; otherwise decide with `newsletter "
                f"campaigns resolve-unknown {campaign} --resend` or `--mark-sent`"
            )
        else:
            hint = "they are resent by a later run once provider events had time to confirm them"
        err.print(f"  [yellow]![/] {totals['unknown']} rows unknown: {hint}", highlight=False)
    transient = report["failures"].get("transient", 0)
    if transient:
        err.print(
            f"  [yellow]![/] {transient} rows failed for transient reasons: "
            f"`newsletter campaigns retry {campaign} --failed` re-queues them",
            highlight=False,
        )
    if report["in_flight_elsewhere"]:
        who = ", ".join(f"{n} by {owner}" for owner, n in report["held_elsewhere"].items())
        err.print(
            f"  [yellow]![/] {report['in_flight_elsewhere']} rows are being sent by another "
            f"sender that is still running ({who or 'another sender'}); it records them. "
            "A sender on another machine that stopped gives its rows up after "
            "delivery.lease_seconds; `newsletter campaigns status` shows what is left",
            highlight=False,
        )
    if report["stopped"]:
        err.print(f"  [red]stopped:[/] {report['stopped']}", highlight=False)


def _send_test(
    state: State,
    campaign: str,
    step: str,
    addresses: list[str],
    language: str | None,
    as_json: bool,
) -> None:
    from newsletter.delivery.proofs import send_test, send_tests

    if language == "all":
        reports = send_tests(state.app.delivery, campaign, addresses, step=step)
    else:
        reports = [send_test(state.app.delivery, campaign, addresses, step=step, language=language)]
    if as_json:
        found = [r.as_dict() for r in reports]
        emit_json(found[0] if language != "all" else found)
    else:
        for report in reports:
            out.print(
                f"test of {report.campaign} ({report.step}, {report.language}) via "
                f"{report.transport} to {', '.join(report.recipients)}: {report.subject}",
                highlight=False,
            )
            for address, why in report.refused.items():
                err.print(f"  [red]✗[/] {address}: {why}", highlight=False)
    if any(r.refused for r in reports):
        sys.exit(1)
