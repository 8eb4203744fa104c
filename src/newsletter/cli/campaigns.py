"""``newsletter campaigns ...``: list, validate, preview, send, status."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from newsletter.cli.common import State, emit_json, err, handle_errors, out, pass_state
from newsletter.domain.campaigns import MAIN_STEP
from newsletter.errors import CampaignError, NewsletterError


@click.group()
def campaigns() -> None:
    """Campaigns defined in campaigns/*.yaml (CAMPAIGN is a slug or a path)."""


@campaigns.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_state
@handle_errors
def campaigns_list(state: State, as_json: bool) -> None:
    """List campaign files with kind, audience, languages and delivery counts."""
    ctx = state.ctx
    rows: list[dict[str, Any]] = []
    for path in ctx.catalog.campaign_paths():
        try:
            c, _ = ctx.catalog.campaign(str(path))
        except NewsletterError as exc:
            rows.append({"slug": path.stem, "error": str(exc)})
            continue
        cid = ctx.ledger.campaign_id(c.slug)
        counts = ctx.ledger.counts(cid).as_dict() if cid is not None else {}
        rows.append(
            {
                "slug": c.slug,
                "kind": c.kind,
                "title": c.title,
                "audience": c.audience,
                "languages": c.languages,
                "steps": c.step_keys(),
                "deliveries": counts,
            }
        )
    if as_json:
        emit_json(rows)
        return
    table = Table("slug", "kind", "audience", "languages", "sent / total")
    for r in rows:
        if "error" in r:
            table.add_row(str(r["slug"]), "[red]invalid[/]", str(r["error"]), "", "")
            continue
        d = r["deliveries"]
        table.add_row(
            str(r["slug"]),
            str(r["kind"]),
            str(r["audience"]),
            ", ".join(r["languages"]),
            f"{d.get('sent', 0)} / {d.get('total', 0)}" if d else "-",
        )
    out.print(table)


@campaigns.command("validate")
@click.argument("campaign")
@click.option("--json", "as_json", is_flag=True)
@pass_state
@handle_errors
def campaigns_validate(state: State, campaign: str, as_json: bool) -> None:
    """Check a campaign: file, audience, texts in every language, every variant renders."""
    from newsletter.services.composing import validate_campaign

    result = validate_campaign(state.ctx, campaign)
    if as_json:
        emit_json(
            {
                "campaign": result.campaign,
                "ok": result.ok,
                "variants": result.variants,
                "audience": result.audience,
                "problems": result.problems,
            }
        )
    elif result.ok:
        out.print(
            f"{result.campaign}: OK - {result.variants} variants render, audience {result.audience}"
        )
    else:
        for problem in result.problems:
            err.print(f"[red]✗[/] {problem}", highlight=False)
    if not result.ok:
        sys.exit(2)


@campaigns.command("preview")
@click.argument("campaign")
@click.option("--member", "email", help="Render for this member (default: a sample reader).")
@click.option("--lang", "language", help="Language variant, e.g. sr-Cyrl.")
@click.option("--step", default=MAIN_STEP, show_default=True, help="Reminder step key.")
@click.option(
    "--output",
    type=click.Path(path_type=Path),
    help="Write FILE.html, FILE.txt and FILE.eml instead of printing the text.",
)
@pass_state
@handle_errors
def campaigns_preview(
    state: State,
    campaign: str,
    email: str | None,
    language: str | None,
    step: str,
    output: Path | None,
) -> None:
    """Render exactly what a member would receive (the same code path as sending)."""
    from newsletter.adapters.mail.outbox import message_id
    from newsletter.rendering.mime import to_mime
    from newsletter.services.composing import preview

    ctx = state.ctx
    message = preview(ctx, campaign, email=email, language=language, step=step)
    if output is None:
        out.print(f"Subject: {message.subject}\nTo: {message.to_email}\n", highlight=False)
        click.echo(message.text)
        return
    base = output.with_suffix("") if output.suffix in (".html", ".txt", ".eml") else output
    base.parent.mkdir(parents=True, exist_ok=True)
    base.with_suffix(".html").write_text(message.html, encoding="utf-8")
    base.with_suffix(".txt").write_text(message.text, encoding="utf-8")
    mime = to_mime(message, message_id=message_id(None, message.from_email), date=ctx.clock.now())
    base.with_suffix(".eml").write_bytes(mime.as_bytes())
    out.print(f"wrote {base}.html, {base}.txt and {base}.eml")


@campaigns.command("send")
@click.argument("campaign")
@click.option("--step", default=MAIN_STEP, show_default=True, help="Reminder step key.")
@click.option("--dry-run", is_flag=True, help="Compose everything and count; send nothing.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--json", "as_json", is_flag=True)
@pass_state
@handle_errors
def campaigns_send(
    state: State, campaign: str, step: str, dry_run: bool, yes: bool, as_json: bool
) -> None:
    """Send a campaign step to its audience; running it again resumes, never repeats."""
    from newsletter.services.sending import send_campaign

    if not dry_run:
        state.settings.require_sending_ready()  # before anything else: fail at start
    ctx = state.ctx
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
        for line in report.errors[:10]:
            err.print(f"  [yellow]![/] {line}", highlight=False)
    if report.failed or report.unknown or report.pending:
        sys.exit(1)


@campaigns.command("status")
@click.argument("campaign")
@click.option("--json", "as_json", is_flag=True)
@pass_state
@handle_errors
def campaigns_status(state: State, campaign: str, as_json: bool) -> None:
    """Delivery counts per step, and the rows whose fate is unknown."""
    ctx = state.ctx
    definition, _ = ctx.catalog.campaign(campaign)
    cid = ctx.ledger.campaign_id(definition.slug)
    steps = {
        key: (ctx.ledger.counts(cid, key).as_dict() if cid is not None else {})
        for key in definition.step_keys()
    }
    unknown = ctx.ledger.unknown_rows(cid) if cid is not None else []
    if as_json:
        emit_json({"campaign": definition.slug, "steps": steps, "unknown": unknown})
        return
    table = Table("step", "pending", "sending", "sent", "failed", "suppressed", "unknown", "total")
    for key, c in steps.items():
        table.add_row(
            key,
            *(
                str(c.get(k, 0))
                for k in ("pending", "sending", "sent", "failed", "suppressed", "unknown", "total")
            ),
        )
    out.print(table)
    for row in unknown:
        out.print(
            f"  unknown: {row['email']} ({row['step']}): {row['last_error']}", highlight=False
        )
