"""``newsletter segments ...``."""

from __future__ import annotations

import click
from rich.table import Table

from newsletter.cli.common import State, emit_json, handle_errors, out, pass_state


# -- segments ----------------------------------------------------------------------------
@click.group()
def segments() -> None:
    """Segments defined in audiences/*.yaml."""


@segments.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_state
@handle_errors
def segments_list(state: State, as_json: bool) -> None:
    """List segments with their current size."""
    ctx = state.app.audiences
    rows = [
        {
            "name": s.name,
            "topic": s.topic,
            "count": ctx.members.count(s, None),
            "description": s.description,
        }
        for s in ctx.catalog.segments().values()
    ]
    if as_json:
        emit_json(rows)
        return
    table = Table("segment", "topic", "members", "description")
    for r in rows:
        table.add_row(
            str(r["name"]), str(r["topic"] or "-"), str(r["count"]), str(r["description"])
        )
    out.print(table)


@segments.command("count")
@click.argument("name")
@click.option("--topic", help="Count eligible for this topic instead of the segment's own.")
@click.option("--json", "as_json", is_flag=True)
@pass_state
@handle_errors
def segments_count(state: State, name: str, topic: str | None, as_json: bool) -> None:
    """How many members are in a segment now."""
    ctx = state.app.audiences
    count = ctx.members.count(ctx.catalog.segment(name), topic)
    if as_json:
        emit_json({"segment": name, "count": count})
    else:
        click.echo(count)


@segments.command("show")
@click.argument("name")
@click.option("--limit", default=20, show_default=True)
@pass_state
@handle_errors
def segments_show(state: State, name: str, limit: int) -> None:
    """Show the first members of a segment."""
    ctx = state.app.audiences
    rows = ctx.members.sample(ctx.catalog.segment(name), None, limit)
    table = Table("email", "name", "organization", "country", "language", "tier")
    for r in rows:
        table.add_row(
            r["email"],
            f"{r['first_name']} {r['last_name']}",
            r["organization"],
            r["country"],
            r["language"],
            r["tier"],
        )
    out.print(table)


@segments.command("explain")
@click.argument("name")
@click.argument("email")
@pass_state
@handle_errors
def segments_explain(state: State, name: str, email: str) -> None:
    """Why a person is in or out of a segment."""
    from newsletter.audiences.imports import explain_membership

    ok, lines = explain_membership(state.app.audiences, name, email)
    out.print(f"{email} is {'IN' if ok else 'OUT of'} segment {name}", highlight=False)
    for line in lines:
        out.print(f"  {line}", highlight=False)
