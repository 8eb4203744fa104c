"""Audience use cases: import member rows with a per-row report, explain segment membership.

An import reads rows lazily in chunks, so 100 000 rows never sit in memory at once, and runs as
one transaction: everything valid goes in, or (on a crash, or ``--dry-run``) nothing does. Every
row ends as exactly one of imported / updated / unchanged / rejected, with its row number and,
when rejected, the field and reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from newsletter.domain.addresses import needs_smtputf8
from newsletter.domain.columns import CellProblem, SourceRow, clean_cells
from newsletter.domain.members import MemberRecord, RowProblem, parse_member_row
from newsletter.domain.privacy import refusal, suppression_hash
from newsletter.domain.scripts import looks_like_mojibake, mixed_script_words
from newsletter.domain.segments import explain_member
from newsletter.services.context import Context
from newsletter.services.ports import ImportSession, Incoming, UpsertOutcome

CHUNK = 1000
_NAMES = ("first_name", "last_name", "organization", "role")


@dataclass(frozen=True, slots=True)
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
    #: A few decoded non-ASCII names, so staff can see the encoding was read right (INP-01).
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


Rows = Iterable[SourceRow | tuple[int, Mapping[str, str]]]


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
) -> ImportReport:
    """Validate every row, refuse duplicates and suppressed addresses, upsert the rest."""
    report = ImportReport(source, dry_run, encoding, encoding_detected, delimiter)
    seen: dict[str, int] = {}
    # Sequential on purpose: a writer thread overlapping parsing was measured slower (the GIL
    # convoy between pure-Python parsing and sqlite3 releasing the GIL on every step).
    with ctx.members.importing(tag=tag, now=ctx.clock.now(), dry_run=dry_run) as session:
        for chunk in _chunks(rows):
            kept = _unsuppressed(ctx, session, _validate(chunk, seen, report), report)
            _record(report, kept, session.upsert([inc for _, inc in kept]))
    report.rows.sort(key=lambda r: r.row)
    report.warnings.sort(key=lambda r: r.row)
    return report


Kept = list[tuple[SourceRow, Incoming]]


def _validate(chunk: list[SourceRow], seen: dict[str, int], report: ImportReport) -> Kept:
    valid: Kept = []
    for src in chunk:
        parsed = _parse(src, report)
        if parsed is None:
            continue
        record, given = parsed
        first = seen.get(record.email_key)
        if first is not None:
            why = f"duplicate of row {first} (the same address, ignoring case)"
            report.reject(src.number, src.cells, "email", why, record.email)
            continue
        seen[record.email_key] = src.number
        valid.append((src, Incoming(record, given)))
    return valid


def _unsuppressed(ctx: Context, session: ImportSession, valid: Kept, report: ImportReport) -> Kept:
    """Refuse erased, bounced and complained addresses (GDPR Art. 17/21; reliability INP-16)."""
    secret = ctx.links.secret
    hashes = {
        inc.record.email_key: suppression_hash(secret, inc.record.email_key) for _, inc in valid
    }
    hits = session.suppressed(set(hashes.values()))
    if not hits:
        return valid
    kept: Kept = []
    for src, inc in valid:
        reason = hits.get(hashes[inc.record.email_key])
        if reason is None:
            kept.append((src, inc))
            continue
        report.suppressed += 1
        report.reject(src.number, src.cells, "email", refusal(reason), inc.record.email)
    return kept


def _record(report: ImportReport, kept: Kept, outcome: UpsertOutcome) -> None:
    for index in outcome.imported:
        _done(report, kept[index], "imported", "new member")
    for index, changed in outcome.updated.items():
        _done(report, kept[index], "updated", ", ".join(changed))
    for index in outcome.unchanged:
        _done(report, kept[index], "unchanged", "")
    for index, notes in outcome.notes.items():
        src, inc = kept[index]
        for note in notes:
            report.warnings.append(RowOutcome(src.number, "warning", inc.record.email, "", note))


def _parse(src: SourceRow, report: ImportReport) -> tuple[MemberRecord, frozenset[str]] | None:
    if src.problem:
        report.reject(src.number, src.cells, src.problem_field, src.problem, _hint(src))
        return None
    cleaned = clean_cells(src.cells)
    if isinstance(cleaned, CellProblem):
        report.reject(src.number, src.cells, cleaned.field, cleaned.reason, _hint(src))
        return None
    parsed = parse_member_row(cleaned, src.number)
    if isinstance(parsed, RowProblem):
        report.reject(src.number, src.cells, parsed.field, parsed.reason, parsed.email)
        return None
    if len(report.samples) < 5:
        name = parsed.full_name
        if not name.isascii() and name not in report.samples:
            report.samples.append(name)
    if not (parsed.email.isascii() and _ascii_names(parsed)):
        for warning in _warnings(parsed):
            report.warnings.append(RowOutcome(src.number, "warning", parsed.email, *warning))
    return parsed, frozenset(filter(cleaned.get, cleaned))


def _hint(src: SourceRow) -> str:
    return (src.cells.get("email") or "").strip()[:320]


def _ascii_names(record: MemberRecord) -> bool:
    return all(getattr(record, name).isascii() for name in _NAMES)


def _warnings(record: MemberRecord) -> Iterator[tuple[str, str]]:
    """Suspicious but possibly right: flagged in the report, imported anyway."""
    for name in _NAMES:
        value = getattr(record, name)
        if value.isascii():
            continue
        mixed = mixed_script_words(value)
        if mixed:
            words = ", ".join(repr(w) for w in mixed)
            yield name, f"{words} mixes Latin and Cyrillic letters (mojibake or a look-alike)"
        elif looks_like_mojibake(value):
            yield name, f"{value!r} looks like mojibake (UTF-8 read in the wrong encoding?)"
    if needs_smtputf8(record.email):
        yield "email", "non-ASCII before the @ needs SMTPUTF8 (RFC 6531); few providers take it"


def _done(report: ImportReport, kept: tuple[SourceRow, Incoming], outcome: str, why: str) -> None:
    src, inc = kept
    report.rows.append(RowOutcome(src.number, outcome, inc.record.email, "", why))


def _chunks(rows: Rows) -> Iterator[list[SourceRow]]:
    iterator = (r if isinstance(r, SourceRow) else SourceRow(r[0], r[1]) for r in rows)
    while chunk := list(islice(iterator, CHUNK)):
        yield chunk


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
