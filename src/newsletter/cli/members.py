"""``newsletter members ...``: import, show, erase, export."""

from __future__ import annotations

import datetime as dt
import io
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.table import Table

from newsletter.audiences.domain.sources import (
    FIELDS,
    SYSTEMS,
    UPDATE_POLICIES,
    UpdatePolicy,
    parse_mapping,
)
from newsletter.cli.common import State, emit_json, handle_errors, out, pass_state
from newsletter.errors import InputError

if TYPE_CHECKING:
    from newsletter.audiences.imports import ImportReport


@click.group()
def members() -> None:
    """Import, inspect, export and erase members."""


@members.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--tag",
    metavar="TAG",
    help="Add this tag to every imported member (segments can select by tag).",
)
@click.option("--list", "old_list", hidden=True, help="The former name of --tag.")
@click.option(
    "--map",
    "maps",
    multiple=True,
    metavar="COLUMN=FIELD",
    help="Read COLUMN as FIELD (repeatable); COLUMN= ignores it. Fields: "
    + ", ".join(FIELDS)
    + ".",
)
@click.option(
    "--ignore-column", "ignore", multiple=True, metavar="COLUMN", help="Leave COLUMN out."
)
@click.option(
    "--consent",
    "consent_source",
    metavar="SOURCE",
    help="Where everyone in the file agreed (e.g. 'Mailchimp sign-up form, 2019-2024'), "
    "for rows without a consent source of their own.",
)
@click.option(
    "--consent-date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    metavar="YYYY-MM-DD",
    help="When they agreed (YYYY-MM-DD; default: today) for rows without a date.",
)
@click.option(
    "--consent-confirmed-by",
    "confirmed_by",
    metavar="STAFF",
    help="Who confirms that these people agreed (required with --consent).",
)
@click.option(
    "--topic",
    "topics",
    multiple=True,
    metavar="TOPIC",
    help="Subscribe new people whose row names no topic to TOPIC (repeatable; needs --consent).",
)
@click.option(
    "--update",
    "policy",
    type=click.Choice(UPDATE_POLICIES),
    default="empty",
    show_default=True,
    help="Members already held: never change a field, fill only empty ones, or overwrite.",
)
@click.option("--encoding", help="File encoding, e.g. cp1250, cp1251 (default: detect safely).")
@click.option("--dry-run", is_flag=True, help="Report what would happen; write nothing.")
@click.option("--verbose", "-v", is_flag=True, help="List every row, not only problems.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report on stdout.")
@pass_state
@handle_errors
def members_import(
    state: State,
    file: Path,
    tag: str | None,
    old_list: str | None,
    maps: tuple[str, ...],
    ignore: tuple[str, ...],
    consent_source: str | None,
    consent_date: dt.datetime | None,
    confirmed_by: str | None,
    topics: tuple[str, ...],
    policy: UpdatePolicy,
    encoding: str | None,
    dry_run: bool,
    verbose: bool,
    as_json: bool,
) -> None:
    """Import members from a CSV (UTF-8, Windows-1250/1251) or XLSX file: our own columns,
    a Mailchimp audience export (subscribed, unsubscribed or cleaned) or a listmonk
    subscriber export, recognised by the header.

    Every row ends imported, updated, unchanged, suppressed (unsubscribed or cleaned in the
    source system) or rejected; columns that mean none of our fields are listed as ignored.
    Rejected rows are also written to FILE's name + ``.rejects.csv`` (not with --dry-run,
    which writes nothing at all).
    """
    from newsletter.audiences.files.forked import forked
    from newsletter.audiences.files.member_files import ColumnChoices, read_member_file
    from newsletter.audiences.files.spreadsheets import write_rejects
    from newsletter.audiences.imports import FileConsent, ImportChoices, import_members
    from newsletter.audiences.preferences import offered_topics

    if tag and old_list and tag != old_list:
        raise InputError("--list is the former name of --tag: give one of them")
    tag = tag or old_list
    try:
        mapped = parse_mapping(maps)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    consent = None
    if consent_source or confirmed_by or consent_date:
        if not (consent_source and confirmed_by):
            raise InputError("--consent and --consent-confirmed-by go together")
        day = consent_date.date() if consent_date else state.app.audiences.clock.now().date()
        consent = FileConsent(consent_source, day, confirmed_by)
    unknown = sorted(set(topics) - set(offered_topics(state.app.audiences)))
    if unknown:
        offered = ", ".join(offered_topics(state.app.audiences))
        raise InputError(f"no such topic: {', '.join(unknown)} (topics: {offered})")
    source = read_member_file(file, encoding, ColumnChoices(mapped, ignore))
    plan = source.plan
    choices = ImportChoices(
        consent,
        frozenset(topics),
        policy,
        plan.ignored if plan else (),
        SYSTEMS[plan.system] if plan else "",
    )
    report = import_members(
        state.app.audiences,
        source.rows,
        source=str(file),
        tag=tag,
        dry_run=dry_run,
        encoding=source.encoding_label if source.kind == "csv" else "xlsx",
        encoding_detected=source.encoding_detected,
        delimiter=source.delimiter,
        offload=forked,  # rows are checked in a second process while this one writes
        choices=choices,
    )
    rejects = None
    if report.rejected and not dry_run:
        rejected = [
            (r.row, f"{r.field}: {r.reason}", report.rejected_cells[r.row]) for r in report.rejected
        ]
        rejects = write_rejects(file, source.header, source.columns, rejected)
    if as_json:
        emit_json(report.as_dict() | {"rejects_file": str(rejects) if rejects else None})
    else:
        _print_report(file, report, verbose, rejects)
    if report.rejected:
        sys.exit(3)  # partial success: the valid rows are in, the rejected ones are listed


def _print_report(file: Path, report: ImportReport, verbose: bool, rejects: Path | None) -> None:
    if report.encoding and report.encoding != "xlsx":
        how = "detected" if report.encoding_detected else "as given"
        delimiter = {"\t": "TAB"}.get(report.delimiter, report.delimiter)
        out.print(f"{file}: {report.encoding} ({how}), delimiter {delimiter!r}", highlight=False)
    if report.encoding_detected and not report.encoding.startswith("UTF"):
        # A guessed code page: show decoded names so a person can see it was read right.
        for name in report.samples:
            out.print(f"  e.g. {name}", highlight=False)
    for line in report.header_lines():
        out.print(f"{file}: {line}", highlight=False)
    out.print(f"{file}: {report.summary()}", highlight=False)
    if report.no_topics:
        out.print(
            f"  warning: {report.idle} new member(s) are subscribed to no topic and will receive "
            "nothing: choose topics for new people with --topic (and --consent)",
            highlight=False,
        )
    notes = sorted([*report.rows, *report.warnings, *report.kept], key=lambda r: r.row)
    if verbose:
        notes = sorted([*notes, *report.no_topics], key=lambda r: r.row)
    for r in notes:
        if r.outcome == "updated":
            out.print(f"  {file}:{r.row}: updated {r.email}: {r.reason}", highlight=False)
        elif r.outcome in ("kept", "suppressed"):
            out.print(f"  {file}:{r.row}: {r.email}: {r.reason}", highlight=False)
        elif r.outcome == "rejected":
            out.print(f"  {file}:{r.row}: {r.field}: {r.reason}", highlight=False)
        elif r.outcome == "warning":
            field = f"{r.field}: " if r.field else ""
            out.print(f"  {file}:{r.row}: warning: {field}{r.reason}", highlight=False)
        elif verbose:
            why = f": {r.reason}" if r.reason else ""
            out.print(f"  {file}:{r.row}: {r.outcome} {r.email}{why}", highlight=False)
    if report.dry_run:
        out.print("dry run: nothing was written (no rejects file either)", highlight=False)
    elif rejects is not None:
        out.print(f"rejected rows written to {rejects}", highlight=False)


@members.command("show")
@click.argument("email")
@pass_state
@handle_errors
def members_show(state: State, email: str) -> None:
    """Everything the system holds about one person."""
    from newsletter.audiences.data_rights import person_data, suppression_of

    data = person_data(state.app.audiences, email)
    if data is None:
        suppressed = suppression_of(state.app.audiences, email)
        extra = f" (the address is suppressed: {suppressed})" if suppressed else ""
        raise InputError(f"no member with this address{extra}", location=email)
    doc = data.as_json()
    profile = Table("field", "value", title="profile")
    for key, value in doc["profile"].items():
        profile.add_row(key, "" if value is None else str(value))
    out.print(profile)
    sections = (
        ("subscriptions", ("topic", "status", "updated_at")),
        ("consent_history", ("at", "topic", "action", "source", "wording_version")),
        ("deliveries", ("campaign", "step", "status", "language", "sent_at")),
    )
    for title, cols in sections:
        table = Table(*cols, title=title)
        for item in doc[title]:
            table.add_row(*("" if item[c] is None else str(item[c]) for c in cols))
        out.print(table)
    out.print(f"tags: {', '.join(doc['tags']) or '-'}", highlight=False)
    out.print(f"suppression: {doc['suppression'] or '-'}", highlight=False)


@members.command("erase")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_state
@handle_errors
def members_erase(state: State, email: str, yes: bool) -> None:
    """Erase a person (GDPR Art. 17); keep only a keyed hash so they are never re-imported."""
    from newsletter.audiences.data_rights import erase_person

    if not yes:
        if not sys.stdin.isatty():
            raise InputError("not a terminal: pass --yes to erase without confirmation")
        click.confirm(f"Erase {email} and everything held about them?", abort=True)
    done = erase_person(state.app.audiences, email)
    what = "erased" if done.deleted else "no member held; suppressed"
    out.print(f"{email}: {what} (only a keyed hash of the address is kept)", highlight=False)


@members.command("export")
@click.option("--segment", help="Only members of this segment (default: everyone held).")
@click.option("--person", "person", help="One person's data as JSON (GDPR Art. 15/20).")
@click.option("--output", "-o", type=click.Path(path_type=Path), help="File (default: stdout).")
@pass_state
@handle_errors
def members_export(
    state: State, segment: str | None, person: str | None, output: Path | None
) -> None:
    """Export members as CSV (UTF-8 with BOM, formulas neutralised), or one person as JSON."""
    from newsletter.audiences.data_rights import export_members, person_data
    from newsletter.audiences.domain.members import COLUMNS
    from newsletter.audiences.files.spreadsheets import write_csv

    if person:
        if segment:
            raise InputError("--person and --segment exclude each other")
        data = person_data(state.app.audiences, person)
        if data is None:
            raise InputError("no member with this address", location=person)
        text = json.dumps(data.as_json(), ensure_ascii=False, indent=2) + "\n"
        if output:
            output.write_text(text, encoding="utf-8")
        else:
            click.echo(text, nl=False)
        return
    header = [*COLUMNS, "status"]
    rows = ([r[c] for c in header] for r in export_members(state.app.audiences, segment))
    if output:
        with output.open("w", encoding="utf-8", newline="") as file:
            count = write_csv(file, header, rows)
        click.echo(f"{count} members written to {output}", err=True)
        return
    sys.stdout.flush()
    stream = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="")
    try:
        write_csv(stream, header, rows)
    finally:
        stream.flush()
        stream.detach()
