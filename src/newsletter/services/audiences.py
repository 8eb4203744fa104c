"""Audience use cases: import member rows, count and explain segments."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from newsletter.domain.members import MemberRecord, RowProblem, parse_member_row
from newsletter.domain.segments import explain
from newsletter.services.context import Context


@dataclass
class ImportReport:
    source: str
    dry_run: bool
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[RowProblem] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "dry_run": self.dry_run,
            "imported": self.imported,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": [
                {"row": p.row, "field": p.field, "reason": p.reason, "email": p.email}
                for p in self.rejected
            ],
        }


def import_members(
    ctx: Context,
    rows: Iterable[tuple[int, Mapping[str, str]]],
    *,
    source: str,
    tag: str | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Validate every row, refuse duplicates within the file, upsert the rest in one go."""
    report = ImportReport(source, dry_run)
    records: list[MemberRecord] = []
    seen: dict[str, int] = {}
    for number, row in rows:
        parsed = parse_member_row(row, number)
        if isinstance(parsed, RowProblem):
            report.rejected.append(parsed)
            continue
        first = seen.get(parsed.email_key)
        if first is not None:
            report.rejected.append(
                RowProblem(number, "email", f"duplicate of row {first}", parsed.email)
            )
            continue
        seen[parsed.email_key] = number
        records.append(parsed)
    outcome = ctx.members.upsert(records, tag=tag, now=ctx.clock.now(), dry_run=dry_run)
    report.imported = len(outcome.imported)
    report.updated = len(outcome.updated)
    report.unchanged = len(outcome.unchanged)
    return report


def explain_membership(ctx: Context, segment_name: str, email: str) -> tuple[bool, list[str]]:
    """Why ``email`` is in or out of a segment (the pure evaluator; SQL gives the same answer)."""
    segment = ctx.catalog.segment(segment_name)
    found = ctx.members.facts(email)
    if found is None:
        return False, [f"✗ no member with address {email}"]
    facts, status = found
    lines: list[str] = []
    ok = True
    if status != "active":
        ok = False
        lines.append(f"✗ address status is {status}: no mail at all")
    if segment.topic:
        subscribed = segment.topic in facts.topics
        ok = ok and subscribed
        lines.append(
            f"{'✓' if subscribed else '✗'} subscribed to the segment topic {segment.topic!r}"
        )
    rule_ok, rule_lines = explain(segment.rule, facts)
    return ok and rule_ok, lines + rule_lines
