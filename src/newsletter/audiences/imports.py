"""Audience use cases: import member rows with a per-row report, explain segment membership.

An import reads rows lazily in chunks, so 100 000 rows never sit in memory at once, and runs as
one transaction: everything valid goes in, or (on a crash, or ``--dry-run``) nothing does. Every
row ends as exactly one of imported / updated / unchanged / rejected, with its row number and,
when rejected, the field and reason. The rows are checked in member_rows, possibly in a second
process (``offload``) while this one writes the chunk before: the CLI does that and reaches
about twice the rows per second on two idle cores (benchmarks/audiences.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from newsletter.audiences.domain.columns import SourceRow
from newsletter.audiences.domain.privacy import SuppressionReason, refusal
from newsletter.audiences.domain.segments import explain_member
from newsletter.audiences.domain.sources import OPTED_OUT
from newsletter.audiences.import_choices import FileConsent, ImportChoices
from newsletter.audiences.member_rows import Checked, Offload, Rows, Valid, checked_chunks
from newsletter.audiences.ports.members import ImportSession, UpsertOutcome
from newsletter.audiences.ports.services import AudienceServices
from newsletter.errors import InputError

__all__ = ["FileConsent", "ImportChoices", "ImportReport", "RowOutcome", "import_members"]

_NEW = "new member"
_IDLE = "subscribed to no topic: will receive nothing until topics are chosen"
#: A source system's standing -> the suppression it becomes.
_SUPPRESS = {"unsubscribed": SuppressionReason.UNSUBSCRIBED, "cleaned": SuppressionReason.BOUNCED}
_WHY = {
    "unsubscribed": "unsubscribed in the source system: suppressed, not subscribed",
    "cleaned": "cleaned (bounced) in the source system: suppressed, not subscribed",
}


@dataclass(slots=True)  # not frozen: built once per row, see domain.members.MemberRecord
class RowOutcome:
    row: int
    outcome: str  # imported | updated | unchanged | rejected | suppressed (| warning | kept)
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
    #: New members subscribed to no topic (outcome "warning"): they will receive nothing.
    no_topics: list[RowOutcome] = field(default_factory=list)
    #: Values of held members the update policy kept (outcome "kept"), for the dry run.
    kept: list[RowOutcome] = field(default_factory=list)
    suppressed: int = 0  # rejected because the address is on the suppression list
    #: A few decoded non-ASCII names, so staff can see the encoding was read right.
    samples: list[str] = field(default_factory=list)
    #: The cells of every rejected row, for the rejects file.
    rejected_cells: dict[int, Mapping[str, str]] = field(default_factory=dict)
    #: Columns ignored (name, why) and JSON attribute keys that named none of our fields.
    ignored: list[tuple[str, str]] = field(default_factory=list)
    system: str = ""
    policy: str = "overwrite"
    topics: list[str] = field(default_factory=list)
    consent: str = ""

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
    def opted_out(self) -> int:
        """Rows the source system had unsubscribed or cleaned: suppressed, not subscribed."""
        return self.count("suppressed")

    @property
    def idle(self) -> int:
        return len(self.no_topics)

    @property
    def rejected(self) -> list[RowOutcome]:
        return [r for r in self.rows if r.outcome == "rejected"]

    def summary(self) -> str:
        """The one line the CLI and the import page both show."""
        verb = "would import" if self.dry_run else "imported"
        line = (
            f"{verb} {self.imported}, updated {self.updated}, unchanged {self.unchanged}, "
            f"rejected {len(self.rejected)}"
        )
        if self.suppressed:
            line += f" ({self.suppressed} suppressed)"
        if self.opted_out:
            line += f"; {self.opted_out} unsubscribed or cleaned in the source, now suppressed"
        if self.idle:
            line += f"; {self.idle} new without any topic"
        return line

    def header_lines(self) -> list[str]:
        """How the file was read and what was chosen for it, before the summary."""
        names = {"never": "never overwrite", "empty": "fill empty fields only"}
        lines = [
            f"read as {self.system or 'spreadsheet'}; members already held: "
            f"{names.get(self.policy, self.policy)}"
        ]
        if self.consent:
            lines.append(f"consent for rows without their own: {self.consent}")
        if self.topics:
            lines.append(f"topics for new people: {', '.join(self.topics)}")
        if self.ignored:
            shown = "; ".join(f"{c!r} ({why})" for c, why in self.ignored)
            lines.append(f"ignored {len(self.ignored)} column(s): {shown}")
        return lines

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
            "opted_out": self.opted_out,
            "no_topics": [w.as_dict() for w in self.no_topics],
            "system": self.system,
            "policy": self.policy,
            "topics": self.topics,
            "consent": self.consent,
            "ignored": [{"column": c, "why": w} for c, w in self.ignored],
            "samples": self.samples,
            "rejected": [
                {"row": p.row, "field": p.field, "reason": p.reason, "email": p.email}
                for p in self.rejected
            ],
            "warnings": [w.as_dict() for w in self.warnings],
            "kept": [k.as_dict() for k in self.kept],
            "rows": [r.as_dict() for r in self.rows],
        }

    def reject(self, number: int, cells: Mapping[str, str], fld: str, why: str, email: str) -> None:
        self.rows.append(RowOutcome(number, "rejected", email, fld, why))
        self.rejected_cells[number] = cells


def import_members(
    ctx: AudienceServices,
    rows: Rows,
    *,
    source: str,
    tag: str | None = None,
    dry_run: bool = False,
    encoding: str = "",
    encoding_detected: bool = False,
    delimiter: str = "",
    offload: Offload | None = None,
    choices: ImportChoices | None = None,
) -> ImportReport:
    """Validate every row, refuse duplicates and suppressed addresses, upsert the rest; the
    people the source system had unsubscribed or cleaned become suppressions.

    ``offload``: check the rows in another process while this one writes (see member_rows);
    the report is the same either way. ``choices``: file-level consent, topics for new
    people, the update policy and the columns left out.
    """
    how = choices or ImportChoices()
    if how.topics and how.consent is None:
        raise InputError("topics for new people need the consent statement for the file")
    report = ImportReport(source, dry_run, encoding, encoding_detected, delimiter)
    report.ignored.extend(how.ignored)
    report.system, report.policy = how.system, how.policy
    report.topics = sorted(how.topics)
    report.consent = how.consent.text if how.consent else ""
    if how.consent is not None:
        rows = _consented(rows, how.consent)
    opened = ctx.members.importing(
        tag=tag, now=ctx.clock.now(), dry_run=dry_run, policy=how.policy, topics=how.topics
    )
    with opened as session:
        for checked in checked_chunks(rows, ctx.links.hashing, offload):
            for number, fld, why, email, cells in checked.refused:
                report.reject(number, cells, fld, why, email)
            flags = checked.flags
            report.warnings.extend(RowOutcome(n, "warning", e, f, w) for n, e, f, w in flags)
            report.samples.extend(checked.samples)
            report.ignored.extend(
                (f"attributes.{k}", "attribute that is not a field we keep") for k in checked.unused
            )
            checked.valid = _opted_in(session, checked.valid, report)
            kept = _unsuppressed(session, checked, report)
            _record(report, kept, session.upsert([inc for _, inc, _, _ in kept]))
    report.rows.sort(key=lambda r: r.row)
    report.warnings.sort(key=lambda r: r.row)
    report.kept.sort(key=lambda r: r.row)
    report.no_topics.sort(key=lambda r: r.row)
    return report


def _consented(rows: Rows, consent: FileConsent) -> Iterator[SourceRow]:
    """Rows without a consent source of their own get the file's, and its date."""
    text, day = consent.text, consent.date.isoformat()
    for row in rows:
        src = row if isinstance(row, SourceRow) else SourceRow(row[0], row[1])
        if not (src.cells.get("consent_source") or "").strip():
            cells = dict(src.cells)
            cells["consent_source"] = text
            if not (cells.get("consent_date") or "").strip():
                cells["consent_date"] = day
            src = SourceRow(src.number, cells, src.problem, src.problem_field)
        yield src


def _opted_in(session: ImportSession, valid: list[Valid], report: ImportReport) -> list[Valid]:
    """People the source had unsubscribed or cleaned: suppressed (GDPR Art. 21(3)), never
    subscribed; the rest go on to be imported."""
    out = [row for row in valid if row[1].record.standing not in OPTED_OUT]
    if len(out) == len(valid):
        return out
    hashes: dict[str, str] = {}
    for number, inc, digest, _ in valid:
        standing = inc.record.standing
        if standing in OPTED_OUT:
            hashes[digest] = _SUPPRESS[standing].value
            report.rows.append(
                RowOutcome(number, "suppressed", inc.record.email, "", _WHY[standing])
            )
    session.suppress(hashes)
    return out


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
    for index in outcome.idle:
        number, inc = kept[index][:2]
        report.no_topics.append(RowOutcome(number, "warning", inc.record.email, "topics", _IDLE))
    for index, values in outcome.kept.items():
        number, inc = kept[index][:2]
        for note in values:
            report.kept.append(RowOutcome(number, "kept", inc.record.email, "", note))


def explain_membership(
    ctx: AudienceServices, segment_name: str, email: str, topic: str | None = None
) -> tuple[bool, list[str]]:
    """Why ``email`` is in or out of a segment (the pure evaluator; SQL gives the same answer)."""
    segment = ctx.catalog.segment(segment_name)
    found = ctx.members.facts(email)
    if found is None:
        return False, [f"✗ no member with address {email}"]
    facts, status = found
    return explain_member(segment, facts, status, topic)
