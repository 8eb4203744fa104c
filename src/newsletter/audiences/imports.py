"""Audience use cases: import member rows with a per-row report, explain segment membership.

An import reads rows lazily in chunks, so 100 000 rows never sit in memory at once, and runs as
one transaction: everything valid goes in, or (on a crash, or ``--dry-run``) nothing does. Every
row ends as exactly one of imported / updated / unchanged / rejected, with its row number and,
when rejected, the field and reason. The rows are checked in member_rows, possibly in a second
process (``offload``) while this one writes the chunk before: the CLI does that and reaches
about twice the rows per second on two idle cores (benchmarks/audiences.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from newsletter.audiences.domain.privacy import refusal
from newsletter.audiences.domain.segments import explain_member
from newsletter.audiences.member_rows import Checked, Offload, Rows, Valid, checked_chunks
from newsletter.content.ports.catalog import ImportSession, UpsertOutcome
from newsletter.context import Context

_NEW = "new member"


@dataclass(slots=True)  # not frozen: built once per row, see domain.members.MemberRecord
class RowOutcome:
    row: int
    outcome: str  # imported | updated | unchanged | rejected
    email: str = ""
    field: str = ""
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "outcome": self.outcome,
            "email": self.email,
            "field": self.field,
            "reason": self.reason,
        }


@dataclass
class ImportReport:
    source: str
    dry_run: bool
    encoding: str = ""
    encoding_detected: bool = False
    delimiter: str = ""
    rows: list[RowOutcome] = field(default_factory=list)
    warnings: list[RowOutcome] = field(default_factory=list)  # outcome "warning"
    suppressed: int = 0  # rejected because the address is on the suppression list
    #: A few decoded non-ASCII names, so staff can see the encoding was read right.
    samples: list[str] = field(default_factory=list)
    #: The cells of every rejected row, for the rejects file.
    rejected_cells: dict[int, Mapping[str, str]] = field(default_factory=dict)

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.rows if r.outcome == outcome)

    @property
    def imported(self) -> int:
        return self.count("imported")

    @property
    def updated(self) -> int:
        return self.count("updated")

    @property
    def unchanged(self) -> int:
        return self.count("unchanged")

    @property
    def rejected(self) -> list[RowOutcome]:
        return [r for r in self.rows if r.outcome == "rejected"]

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "dry_run": self.dry_run,
            "encoding": self.encoding,
            "encoding_detected": self.encoding_detected,
            "delimiter": self.delimiter,
            "imported": self.imported,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "suppressed": self.suppressed,
            "samples": self.samples,
            "rejected": [
                {"row": p.row, "field": p.field, "reason": p.reason, "email": p.email}
                for p in self.rejected
            ],
            "warnings": [w.as_dict() for w in self.warnings],
            "rows": [r.as_dict() for r in self.rows],
        }

    def reject(self, number: int, cells: Mapping[str, str], fld: str, why: str, email: str) -> None:
        self.rows.append(RowOutcome(number, "rejected", email, fld, why))
        self.rejected_cells[number] = cells


def import_members(
    ctx: Context,
    rows: Rows,
    *,
    source: str,
    tag: str | None = None,
    dry_run: bool = False,
    encoding: str = "",
    encoding_detected: bool = False,
    delimiter: str = "",
    offload: Offload | None = None,
) -> ImportReport:
    """Validate every row, refuse duplicates and suppressed addresses, upsert the rest.

    ``offload``: check the rows in another process while this one writes (see member_rows);
    the report is the same either way.
    """
    report = ImportReport(source, dry_run, encoding, encoding_detected, delimiter)
    with ctx.members.importing(tag=tag, now=ctx.clock.now(), dry_run=dry_run) as session:
        for checked in checked_chunks(rows, ctx.links.hashing, offload):
            for number, fld, why, email, cells in checked.refused:
                report.reject(number, cells, fld, why, email)
            flags = checked.flags
            report.warnings.extend(RowOutcome(n, "warning", e, f, w) for n, e, f, w in flags)
            report.samples.extend(checked.samples)
            kept = _unsuppressed(session, checked, report)
            _record(report, kept, session.upsert([inc for _, inc, _, _ in kept]))
    report.rows.sort(key=lambda r: r.row)
    report.warnings.sort(key=lambda r: r.row)
    return report


def _unsuppressed(session: ImportSession, checked: Checked, report: ImportReport) -> list[Valid]:
    """Refuse erased, bounced and complained addresses (GDPR Art. 17/21)."""
    valid = checked.valid
    hits = session.suppressed({digest for _, _, digest, _ in valid})
    if not hits:
        return valid
    kept: list[Valid] = []
    for row in valid:
        number, inc, digest, cells = row
        reason = hits.get(digest)
        if reason is None:
            kept.append(row)
            continue
        report.suppressed += 1
        report.reject(number, checked.cells(cells), "email", refusal(reason), inc.record.email)
    return kept


def _record(report: ImportReport, kept: list[Valid], outcome: UpsertOutcome) -> None:
    rows = report.rows
    for index in outcome.imported:
        rows.append(RowOutcome(kept[index][0], "imported", kept[index][1].record.email, "", _NEW))
    for index, changed in outcome.updated.items():
        number, inc = kept[index][:2]
        rows.append(RowOutcome(number, "updated", inc.record.email, "", ", ".join(changed)))
    for index in outcome.unchanged:
        rows.append(RowOutcome(kept[index][0], "unchanged", kept[index][1].record.email, "", ""))
    for index, notes in outcome.notes.items():
        number, inc = kept[index][:2]
        for note in notes:
            report.warnings.append(RowOutcome(number, "warning", inc.record.email, "", note))


def explain_membership(
    ctx: Context, segment_name: str, email: str, topic: str | None = None
) -> tuple[bool, list[str]]:
    """Why ``email`` is in or out of a segment (the pure evaluator; SQL gives the same answer)."""
    segment = ctx.catalog.segment(segment_name)
    found = ctx.members.facts(email)
    if found is None:
        return False, [f"✗ no member with address {email}"]
    facts, status = found
    return explain_member(segment, facts, status, topic)
