"""``newsletter campaigns ...``: list, validate, preview, status (send: cli/campaign_sends.py)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from newsletter.cli.campaign_documents import campaigns_export, campaigns_import
from newsletter.cli.campaign_sends import campaigns_send
from newsletter.cli.common import State, emit_json, err, handle_errors, out, pass_state
from newsletter.cli.delivery import (
    campaigns_acknowledge,
    campaigns_report,
    campaigns_resolve_unknown,
    campaigns_retry,
)
from newsletter.cli.schedule import (
    campaigns_cancel,
    campaigns_pause,
    campaigns_reschedule,
    campaigns_resume,
    campaigns_schedule,
)
from newsletter.content.domain.campaigns import MAIN_STEP
from newsletter.errors import NewsletterError


@click.group()
def campaigns() -> None:
    """Campaigns in campaigns/*.yaml and in the database (CAMPAIGN is a slug or a path)."""


@campaigns.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_state
@handle_errors
def campaigns_list(state: State, as_json: bool) -> None:
    """List campaigns (files and the database's) with kind, audience, languages and counts."""
    from newsletter.content.library import campaign_refs, label_of

    ctx = state.app.delivery
    rows: list[dict[str, Any]] = []
    for ref in campaign_refs(ctx.catalog, ctx.campaign_documents):  # files, then the database
        try:
            c, _ = ctx.catalog.campaign(ref)
        except NewsletterError as exc:
            rows.append({"slug": label_of(ref), "error": str(exc)})
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
    from newsletter.content.composing import validate_campaign

    result = validate_campaign(state.app.content, campaign)
    if as_json:
        emit_json(
            {
                "campaign": result.campaign,
                "ok": result.ok,
                "variants": result.variants,
                "audience": result.audience,
                "problems": result.problems,
                "warnings": result.warnings,
                "versions": {
                    v.version: {"readers": v.readers, "fallbacks": v.fallbacks}
                    for v in result.coverage
                },
            }
        )
    elif result.ok:
        out.print(
            f"{result.campaign}: OK - {result.variants} variants render, audience {result.audience}"
        )
    else:
        for problem in result.problems:
            err.print(f"[red]✗[/] {problem}", highlight=False)
    if not as_json:
        for warning in result.warnings:
            err.print(f"[yellow]![/] {result.campaign}: {warning}", highlight=False)
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
@click.option(
    "--screenshot",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also write PNGs at 375 and 640 px into DIR (headless Chromium); exit 1 if the email "
    "scrolls sideways.",
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
    screenshot: Path | None,
) -> None:
    """Render exactly what a member would receive (the same code path as sending)."""
    from newsletter.content.composing import preview
    from newsletter.content.rendering.mime import to_mime
    from newsletter.delivery.transports.outbox import message_id

    ctx = state.app.content
    message = preview(ctx, campaign, email=email, language=language, step=step)
    if screenshot is not None:
        from newsletter.cli.screenshots import take_screenshots

        take_screenshots(message, screenshot, campaign, language, step)
    if output is None and screenshot is not None:
        return
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
    for attachment in message.attachments:
        (base.parent / attachment.filename).write_bytes(attachment.data)
    out.print(f"wrote {base}.html, {base}.txt and {base}.eml")


@campaigns.command("status")
@click.argument("campaign")
@click.option("--json", "as_json", is_flag=True)
@pass_state
@handle_errors
def campaigns_status(state: State, campaign: str, as_json: bool) -> None:
    """Approval, schedule, delivery counts per step, failures by kind, and unknown rows."""
    from newsletter.authoring.approvals import standing
    from newsletter.cli.schedule import scheduling
    from newsletter.delivery.domain.unknowns import unknown_policy

    ctx = state.app.authoring
    definition, _ = ctx.catalog.campaign(campaign)
    now = standing(ctx, campaign)
    approval = {
        "approved": now.approved,
        "required": now.required,
        "approved_by": now.latest.approved_by if now.latest else None,
        "approved_at": now.latest.approved_at.isoformat() if now.latest else None,
        "hold_reason": now.hold_reason,
        "changed": [c.label for c in now.changes],
    }
    planned = [
        {
            "step": e.step,
            "zone_group": e.zone_group,
            "due_utc": e.due_at.isoformat(),
            "state": "held" if now.hold_reason and e.state.value == "scheduled" else e.state.value,
            "reason": now.hold_reason
            if now.hold_reason and e.state.value == "scheduled"
            else e.reason,
        }
        for e in scheduling(state).store.entries(campaign=definition.slug)
    ]
    cid = ctx.ledger.campaign_id(definition.slug)
    steps = {
        key: (ctx.ledger.counts(cid, key).as_dict() if cid is not None else {})
        for key in definition.step_keys()
    }
    failures = {
        key: (ctx.ledger.failure_kinds(cid, key) if cid is not None else {})
        for key in definition.step_keys()
    }
    policies = {key: unknown_policy(key).value for key in definition.step_keys()}
    unknown = ctx.ledger.unknown_rows(cid) if cid is not None else []
    # The list is capped (ledger.unknown_rows); the counts say how many there are in all.
    unknown_total = sum(c.get("unknown", 0) for c in steps.values())
    if as_json:
        emit_json(
            {
                "campaign": definition.slug,
                "approval": approval,
                "schedule": planned,
                "steps": steps,
                "failures": failures,
                "unknown_policy": policies,
                "unknown": unknown,
                "unknown_total": unknown_total,
                "truncated": unknown_total > len(unknown),
            }
        )
        return
    if now.approved:
        out.print(f"approved by {approval['approved_by']} at {approval['approved_at']}")
    elif now.hold_reason:
        out.print(f"[yellow]{now.hold_reason}[/]", highlight=False)
        if now.changes:
            fields = ", ".join(c.label for c in now.changes[:10])
            out.print(f"  changed since its approval: {fields}", highlight=False)
    for row in planned:
        why = f": {row['reason']}" if row["reason"] else ""
        step = f"{row['step']} [{row['zone_group']}]" if row["zone_group"] else row["step"]
        out.print(f"  {step} due {row['due_utc']} {row['state']}{why}", highlight=False)
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
    for key, kinds in failures.items():
        if kinds:
            parts = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
            out.print(f"  failed in {key}: {parts}", highlight=False)
            if kinds.get("transient"):
                out.print(
                    f"    `newsletter campaigns retry {definition.slug} --failed` re-queues the "
                    "transient ones",
                    highlight=False,
                )
    for key, c in steps.items():
        if c.get("sending"):
            out.print(
                f"  {c['sending']} sending in {key}: a sender has them in hand; should it have "
                f"stopped, the next `newsletter campaigns send {definition.slug} --step {key}` "
                "settles them (at once on this machine, else after delivery.lease_seconds)",
                highlight=False,
            )
        if c.get("unknown"):
            if policies[key] == "ask":
                events = (
                    "provider events resolve them meanwhile"
                    if state.settings.delivery.transport != "sendgrid"
                    or state.settings.sendgrid.webhook_public_key
                    else "no provider events arrive: sendgrid.webhook_public_key is not set"
                )
                out.print(
                    f"  {c['unknown']} unknown in {key}: staff decide - `newsletter campaigns "
                    f"resolve-unknown {definition.slug} --resend` or `--mark-sent` ({events})",
                    highlight=False,
                )
            else:
                out.print(
                    f"  {c['unknown']} unknown in {key}: reminders are resent by the next run "
                    "once provider events had time to confirm them",
                    highlight=False,
                )
    for row in unknown:
        out.print(
            f"  unknown: {row['email']} ({row['step']}): {row['last_error']}", highlight=False
        )
    if unknown_total > len(unknown):
        out.print(
            f"  ... and {unknown_total - len(unknown)} more unknown rows "
            f"({len(unknown)} of {unknown_total} listed)",
            highlight=False,
        )


# The whole group in one place: the commands defined in their own modules, by what they do.
for command in (
    campaigns_import,
    campaigns_export,
    campaigns_send,
    campaigns_report,
    campaigns_retry,
    campaigns_resolve_unknown,
    campaigns_acknowledge,
    campaigns_schedule,
    campaigns_cancel,
    campaigns_pause,
    campaigns_resume,
    campaigns_reschedule,
):
    campaigns.add_command(command)
