"""Delivery commands: what happened after sending, staff decisions, provider events.

newsletter campaigns report CAMPAIGN [--json]
newsletter campaigns retry CAMPAIGN --failed [--step KEY]
newsletter campaigns resolve-unknown CAMPAIGN (--resend | --mark-sent) [--step KEY]
newsletter campaigns acknowledge-complaints CAMPAIGN
newsletter events ingest FILE [--json]

(`newsletter serve` lives in cli/serve.py.)
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.table import Table

from newsletter.cli.common import State, emit_json, err, handle_errors, out, pass_state
from newsletter.errors import InputError


@click.command("report")
@click.argument("campaign")
@click.option("--json", "as_json", is_flag=True)
@pass_state
@handle_errors
def campaigns_report(state: State, campaign: str, as_json: bool) -> None:
    """Delivered / bounced / opened / clicked / complained / unsubscribed, with rates."""
    from newsletter.delivery.reporting import campaign_report

    report = campaign_report(state.app.delivery, campaign)
    if as_json:
        emit_json(report.as_dict())
        return
    counts, rates = report.counts, report.rates
    relative = "delivered" if report.stats.delivered else "sent"
    table = Table("outcome", "count", "rate", title=f"{report.campaign}: {report.title}")
    table.add_row("sent", str(counts["sent"]), "")
    table.add_row("delivered", str(counts["delivered"]), f"{rates['delivered']:.1%} of sent")
    table.add_row(
        "bounced",
        f"{counts['bounced']} hard, {counts['blocked']} blocked",
        f"{rates['bounced']:.1%} of sent",
    )
    for key in ("opened", "clicked", "complained", "unsubscribed"):
        precision = ".2%" if key == "complained" else ".1%"
        table.add_row(key, str(counts[key]), f"{rates[key]:{precision}} of {relative}")
    out.print(table)
    for line in report.warnings:
        err.print(f"[yellow]warning:[/] {line}", highlight=False)


@click.command("retry")
@click.argument("campaign")
@click.option("--failed", "failed", is_flag=True, required=True, help="Re-queue failed rows.")
@click.option("--step", default=None, help="Only this step (default: every step).")
@pass_state
@handle_errors
def campaigns_retry(state: State, campaign: str, failed: bool, step: str | None) -> None:
    """Re-queue rows that failed for transient reasons (timeouts, 5xx, deferrals) so the next
    `campaigns send` tries them again; rows the provider refused stay failed."""
    from newsletter.delivery.sending import retry_failed

    result = retry_failed(state.app.delivery, campaign, step=step)
    out.print(
        f"{result.campaign}: {result.rows} transiently failed rows re-queued; "
        f"run `newsletter campaigns send {result.campaign}"
        f"{f' --step {step}' if step else ''}` to send them",
        highlight=False,
    )


@click.command("resolve-unknown")
@click.argument("campaign")
@click.option("--resend", "decision", flag_value="resend", help="Send them again.")
@click.option("--mark-sent", "decision", flag_value="mark-sent", help="Count them as sent.")
@click.option("--step", default=None, help="Only this step (default: every step).")
@pass_state
@handle_errors
def campaigns_resolve_unknown(
    state: State, campaign: str, decision: str | None, step: str | None
) -> None:
    """Decide about rows whose request may or may not have reached the provider.

    --resend risks a duplicate for members whose message did arrive; --mark-sent risks a miss
    for members whose did not. `campaigns status` lists them; provider events resolve any they
    can on their own.
    """
    from newsletter.delivery.sending import resolve_unknown

    if decision is None:
        raise InputError("say what to do with them: --resend or --mark-sent")
    result = resolve_unknown(state.app.delivery, campaign, resend=decision == "resend", step=step)
    if decision == "resend":
        out.print(
            f"{result.campaign}: {result.rows} unknown rows re-queued; run `newsletter campaigns "
            f"send {result.campaign}{f' --step {step}' if step else ''}` to send them",
            highlight=False,
        )
    else:
        out.print(f"{result.campaign}: {result.rows} unknown rows marked sent", highlight=False)


@click.command("acknowledge-complaints")
@click.argument("campaign")
@pass_state
@handle_errors
def campaigns_acknowledge(state: State, campaign: str) -> None:
    """Lift the block a campaign's complaint rate (>= 0.3 %) puts on new campaigns, until more
    complaints arrive."""
    from newsletter.delivery.reporting import acknowledge_complaints

    report = acknowledge_complaints(state.app.delivery, campaign)
    out.print(
        f"{report.campaign}: {report.stats.complained} complaints acknowledged "
        f"({report.rates['complained']:.2%}); new campaigns may be sent again",
        highlight=False,
    )


@click.group()
def events() -> None:
    """Provider events (SendGrid Event Webhook batches)."""


@events.command("ingest")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True)
@pass_state
@handle_errors
def events_ingest(state: State, file: Path, as_json: bool) -> None:
    """Apply a saved JSON batch of SendGrid events, as the webhook would (no signature check).
    Replaying a batch already applied changes nothing."""
    from newsletter.delivery.ingest import ingest_events, parse_batch

    try:
        body = file.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", location=str(file)) from exc
    report = ingest_events(state.app.delivery, parse_batch(body, source=str(file)))
    if as_json:
        emit_json(report.as_dict())
    else:
        out.print(
            f"{file}: {report.received} events, {report.new} new, {report.duplicates} already "
            f"seen, {report.skipped} skipped, {report.test_events} from test sends; "
            f"{report.confirmed} deliveries confirmed, {report.suppressed} addresses suppressed, "
            f"{report.unsubscribed} subscriptions ended",
            highlight=False,
        )
        for problem in report.problems:
            err.print(f"  [yellow]![/] {file}: {problem}", highlight=False)
    if report.skipped:
        sys.exit(1)
