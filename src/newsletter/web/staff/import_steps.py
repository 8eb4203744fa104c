"""One step of a member import on the staff page: what staff chose (read from the form),
and the run of the mapping step and the import with those choices."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

from newsletter.audiences.domain.sources import (
    FIELDS,
    SYSTEMS,
    UPDATE_POLICIES,
    ColumnPlan,
    UpdatePolicy,
    plan_columns,
    recognise,
)
from newsletter.audiences.files.isolated import read_isolated
from newsletter.audiences.files.member_files import (
    ColumnChoices,
    peek_member_file,
)
from newsletter.audiences.files.spreadsheets import write_rejects
from newsletter.audiences.files.uploads import Upload
from newsletter.audiences.imports import FileConsent, ImportChoices, ImportReport, import_members
from newsletter.audiences.preferences import offered_topics
from newsletter.bootstrap import App
from newsletter.errors import InputError

#: Encodings offered besides "detect": what the region's Excel writes
#: (audiences/files/member_files).
ENCODINGS = (("", "detect safely"), ("utf-8", "UTF-8"), ("cp1250", "Windows-1250 (Latin)"),
             ("cp1251", "Windows-1251 (Cyrillic)"))  # fmt: skip
POLICIES: dict[UpdatePolicy, str] = {
    "never": "never overwrite what we hold",
    "empty": "fill empty fields only",
    "overwrite": "overwrite with the file's values",
}
#: What each field is, for the mapping step and the template's second sheet.
FIELD_HELP: dict[str, str] = {
    "email": "e-mail address (required)",
    "first_name": "first (given) name",
    "last_name": "last name (surname)",
    "organization": "organisation",
    "role": "role or job title",
    "country": "country, two letters (RS, BG, MK, RO ...)",
    "language": "language: en, sr-Cyrl, sr-Latn, bg, ro, mk, tr",
    "tier": "member or friend",
    "topics": "topics, separated by ; (events;calls;news)",
    "timezone": "time zone, e.g. Europe/Belgrade",
    "consent_source": "where the person agreed (a form, a registration, an agreement)",
    "consent_date": "when the person agreed (YYYY-MM-DD)",
    "consent_wording": "version of the consent text the person saw",
    "full_name": "first and last name in one column",
    "status": "our own export's status (only active rows are imported)",
    "standing": "status in the old system (subscribed, unsubscribed, cleaned ...)",
    "unsubscribed_at": "unsubscribe time: filled means unsubscribed",
    "cleaned_at": "clean time: filled means the address bounced",
    "attributes": "a JSON object of further fields",
}


@dataclass
class Choices:
    """What staff chose on the page, as the form carries it."""

    tag: str = ""
    encoding: str = ""
    policy: UpdatePolicy = "empty"
    topics: tuple[str, ...] = ()
    consent_source: str = ""
    consent_date: str = ""
    confirmed: bool = False
    columns: dict[int, str] | None = None  # column position -> field ("" left out)


@dataclass
class ImportRun:
    upload: Upload
    filename: str
    choices: Choices
    header: list[str]
    samples: list[list[str]]
    plan: ColumnPlan
    report: ImportReport | None = None
    rejects: bool = False
    remembered: bool = False
    problem: str = ""
    topics: list[tuple[str, str]] = field(default_factory=list)

    @property
    def notes(self) -> list[Any]:
        """Rejected rows, warnings and values kept, in row order, as the CLI prints them."""
        if self.report is None:
            return []
        r = self.report
        return sorted([*r.rejected, *r.warnings, *r.kept], key=lambda n: (n.row, n.outcome))

    @property
    def system(self) -> str:
        return SYSTEMS[self.plan.system]

    def column_rows(self) -> list[tuple[int, str, str, str]]:
        """(position, column, first values, field) per column, for the mapping step."""
        out = []
        for i, name in enumerate(self.header):
            seen = [row[i] for row in self.samples if i < len(row) and row[i].strip()]
            shown = " · ".join(v if len(v) <= 40 else v[:40] + "…" for v in seen)
            target = self.plan.columns[i] if i < len(self.plan.columns) else None
            out.append((i, name, shown, target or ""))
        return out


def text_field(form: FormData, name: str, limit: int = 200) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def read_choices(form: FormData, offered: list[str]) -> Choices:
    encoding = text_field(form, "encoding")
    policy = text_field(form, "policy")
    columns: dict[int, str] | None = None
    for key in form:
        if key.startswith("col_") and key[4:].isdigit() and len(key) < 8:
            value = text_field(form, key)
            columns = columns if columns is not None else {}
            columns[int(key[4:])] = value if value in FIELDS else ""
    return Choices(
        tag=text_field(form, "list", 80),
        encoding=encoding if encoding in dict(ENCODINGS) else "",
        policy=policy if policy in UPDATE_POLICIES else "empty",
        topics=tuple(t for t in offered if t in form.getlist("topic")),
        consent_source=text_field(form, "consent_source"),
        consent_date=text_field(form, "consent_date", 10),
        confirmed=text_field(form, "consent_confirmed") == "yes",
        columns=columns,
    )


def _consent(app: App, choices: Choices, staff: str) -> FileConsent | None:
    if not (choices.consent_source or choices.confirmed or choices.consent_date):
        return None
    if not choices.consent_source:
        raise InputError("say where these people agreed (the consent source)")
    if not choices.confirmed:
        raise InputError("tick the box to confirm that these people agreed to receive our mail")
    try:
        day = (
            dt.date.fromisoformat(choices.consent_date)
            if choices.consent_date
            else app.staff.clock.now().date()
        )
    except ValueError:
        raise InputError(f"not a date: {choices.consent_date!r}") from None
    return FileConsent(choices.consent_source, day, staff)


def run_import(
    app: App, upload: Upload, filename: str, choices: Choices, staff: str, *, dry_run: bool
) -> ImportRun:
    """The mapping step for the file and, when its columns can be read, the import."""
    encoding = choices.encoding or None
    try:
        header, samples = peek_member_file(upload.path, encoding)
        system = recognise(header)
        remembered = app.audiences.members.import_preset(system)
        mapped = {}
        if choices.columns is not None:
            mapped = {n: choices.columns.get(i, "") for i, n in enumerate(header)}
        how = ColumnChoices(mapped, (), remembered, system)
        plan = plan_columns(header, system=system, remembered=remembered, mapped=mapped)
        run = ImportRun(upload, filename, choices, header, samples, plan)
        run.remembered = bool(remembered)
        strings = app.content.catalog.ui_strings().get("en", {})
        run.topics = [(t, strings.get(f"topic_{t}", t)) for t in offered_topics(app.audiences)]
        if plan.problem:
            run.problem = plan.problem
            return run
        consent = _consent(app, choices, staff)
        # In a child process with its own memory and time limits: a file built to exhaust
        # the reader stops that child, not the web app (audiences/files/isolated.py).
        source = read_isolated(upload.path, encoding, how)
        picked = ImportChoices(
            consent, frozenset(choices.topics), choices.policy, plan.ignored, run.system
        )
        report = import_members(
            app.audiences,
            source.rows,
            source=filename,
            tag=choices.tag or None,
            dry_run=dry_run,
            encoding=source.encoding_label if source.kind == "csv" else "xlsx",
            encoding_detected=source.encoding_detected,
            delimiter=source.delimiter,
            choices=picked,
        )
        run.report = report
    except InputError as exc:
        # Name the file as staff know it, not by where the upload waits on our disk.
        raise InputError(str(exc).replace(str(upload.path), filename)) from exc
    if not dry_run:
        app.audiences.members.save_import_preset(
            system, plan.mapping, by=staff, now=app.staff.clock.now()
        )
        if report.rejected:
            rejected = [
                (r.row, f"{r.field}: {r.reason}", report.rejected_cells[r.row])
                for r in report.rejected
            ]
            write_rejects(upload.path, source.header, source.columns, rejected)
            run.rejects = True
    return run
