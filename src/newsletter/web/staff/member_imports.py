"""Member imports for staff: upload, the mapping step, the dry run, the import; templates.

- ``POST /staff/members/import``: keep the upload, recognise where it comes from (Mailchimp,
  listmonk, a spreadsheet), open the mapping step with the mapping last saved for that source
  (or the built-in one), and show the dry run of that mapping at once.
- ``POST /staff/members/import/check``: the dry run again with what staff chose: the columns,
  the consent statement for the file, topics for new people, the update policy.
- ``POST /staff/members/import/confirm``: the same bytes (checked by SHA-256) with the same
  choices, for real; the mapping is saved for that source; rejected rows offered as a CSV.
- ``/staff/members/import/template.csv`` and ``.xlsx``: an empty file with our columns.

The report is the CLI's (``members import``): the same summary line and header lines.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from jinja2 import Environment
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from newsletter.audiences.domain.members import COLUMNS
from newsletter.audiences.domain.sources import (
    FIELDS,
    SYSTEMS,
    UPDATE_POLICIES,
    ColumnPlan,
    UpdatePolicy,
    plan_columns,
    recognise,
)
from newsletter.audiences.files.member_files import (
    ColumnChoices,
    peek_member_file,
    read_member_file,
)
from newsletter.audiences.files.spreadsheets import write_csv, write_rejects, write_template_xlsx
from newsletter.audiences.files.uploads import Upload, UploadShelf
from newsletter.audiences.imports import FileConsent, ImportChoices, ImportReport, import_members
from newsletter.audiences.preferences import offered_topics
from newsletter.context import Context
from newsletter.errors import InputError, NewsletterError
from newsletter.web.auth import PRIVATE, guard, render, session_of

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
#: Rows listed one by one under a report ("every row"); problems are always all listed.
ROWS_LISTED = 1000
#: Most fields a mapping-step form carries: one per column, plus the choices.
FORM_FIELDS = 100


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


def _filename(upload: UploadFile) -> str:
    name = PurePath((upload.filename or "upload").replace("\\", "/")).name
    return name[:200] or "upload"


def _text(form: FormData, name: str, limit: int = 200) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def read_choices(form: FormData, offered: list[str]) -> Choices:
    encoding = _text(form, "encoding")
    policy = _text(form, "policy")
    columns: dict[int, str] | None = None
    for key in form:
        if key.startswith("col_") and key[4:].isdigit() and len(key) < 8:
            value = _text(form, key)
            columns = columns if columns is not None else {}
            columns[int(key[4:])] = value if value in FIELDS else ""
    return Choices(
        tag=_text(form, "list", 80),
        encoding=encoding if encoding in dict(ENCODINGS) else "",
        policy=policy if policy in UPDATE_POLICIES else "empty",
        topics=tuple(t for t in offered if t in form.getlist("topic")),
        consent_source=_text(form, "consent_source"),
        consent_date=_text(form, "consent_date", 10),
        confirmed=_text(form, "consent_confirmed") == "yes",
        columns=columns,
    )


def _consent(ctx: Context, choices: Choices, staff: str) -> FileConsent | None:
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
            else ctx.clock.now().date()
        )
    except ValueError:
        raise InputError(f"not a date: {choices.consent_date!r}") from None
    return FileConsent(choices.consent_source, day, staff)


def run_import(
    ctx: Context, upload: Upload, filename: str, choices: Choices, staff: str, *, dry_run: bool
) -> ImportRun:
    """The mapping step for the file and, when its columns can be read, the import."""
    encoding = choices.encoding or None
    try:
        header, samples = peek_member_file(upload.path, encoding)
        system = recognise(header)
        remembered = ctx.members.import_preset(system)
        mapped = {}
        if choices.columns is not None:
            mapped = {n: choices.columns.get(i, "") for i, n in enumerate(header)}
        how = ColumnChoices(mapped, (), remembered, system)
        plan = plan_columns(header, system=system, remembered=remembered, mapped=mapped)
        run = ImportRun(upload, filename, choices, header, samples, plan)
        run.remembered = bool(remembered)
        strings = ctx.catalog.ui_strings().get("en", {})
        run.topics = [(t, strings.get(f"topic_{t}", t)) for t in offered_topics(ctx)]
        if plan.problem:
            run.problem = plan.problem
            return run
        consent = _consent(ctx, choices, staff)
        source = read_member_file(upload.path, encoding, how)
        picked = ImportChoices(
            consent, frozenset(choices.topics), choices.policy, plan.ignored, run.system
        )
        report = import_members(
            ctx,
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
        ctx.members.save_import_preset(system, plan.mapping, by=staff, now=ctx.clock.now())
        if report.rejected:
            rejected = [
                (r.row, f"{r.field}: {r.reason}", report.rejected_cells[r.row])
                for r in report.rejected
            ]
            write_rejects(upload.path, source.header, source.columns, rejected)
            run.rejects = True
    return run


def routes(ctx: Context, env: Environment, uploads: UploadShelf) -> list[Route]:
    def page(request: Request, status: int = 200, **values: Any) -> Response:
        response = render(
            env,
            "staff/members_import.html",
            request,
            encodings=ENCODINGS,
            policies=POLICIES,
            fields=[(f, FIELD_HELP.get(f, f)) for f in FIELDS],
            **{"run": None, "error": "", "dry_run": True, "listed": ROWS_LISTED, **values},
        )
        response.status_code = status
        return response

    async def start(request: Request) -> Response:
        return page(request)

    async def attempt(
        request: Request, upload: Upload, filename: str, form: FormData, *, dry_run: bool
    ) -> Response:
        choices = read_choices(form, offered_topics(ctx))
        staff = session_of(request).user.email
        try:
            run = await run_in_threadpool(
                lambda: run_import(ctx, upload, filename, choices, staff, dry_run=dry_run)
            )
        except NewsletterError as exc:
            if dry_run and choices.columns is not None:
                # Keep the mapping step on screen with what was wrong, the choices as given.
                plain = Choices(choices.tag, choices.encoding, choices.policy)
                plain.columns = choices.columns
                try:
                    run = await run_in_threadpool(
                        lambda: run_import(ctx, upload, filename, plain, staff, dry_run=True)
                    )
                except NewsletterError:
                    return page(request, 400, error=str(exc))  # the file itself is unreadable
                run.choices = choices
                return page(request, 400, run=run, error=str(exc))
            uploads.done(upload)
            return page(request, 400, error=str(exc))
        if not dry_run:
            uploads.done(upload)
        return page(request, run=run, dry_run=dry_run)

    async def upload_file(request: Request) -> Response:
        form = await request.form()  # parsed (and the CSRF token checked) by the guard
        try:
            file = form.get("file")
            if not isinstance(file, UploadFile) or not (file.filename or file.size):
                return page(request, 400, error="Choose a CSV or XLSX file to import.")
            filename = _filename(file)
            try:
                upload = await run_in_threadpool(uploads.put, file.file)
            except InputError as exc:
                return page(request, 400, error=f"{filename}: {exc}")
            return await attempt(request, upload, filename, form, dry_run=True)
        finally:
            await form.close()  # the upload's spooled temporary file

    async def kept_upload(request: Request, *, dry_run: bool) -> Response:
        form = await request.form()
        upload = uploads.get(_text(form, "upload", 64))
        if upload is None or upload.sha256 != _text(form, "sha256", 64):
            return page(
                request,
                409,
                error="That upload has expired or was imported already: upload the file again.",
            )
        filename = _text(form, "filename") or "upload"
        return await attempt(request, upload, filename, form, dry_run=dry_run)

    async def check(request: Request) -> Response:
        return await kept_upload(request, dry_run=True)

    async def confirm(request: Request) -> Response:
        return await kept_upload(request, dry_run=False)

    async def rejects(request: Request) -> Response:
        path = uploads.rejects(request.path_params["upload"])
        if path is None:
            return PlainTextResponse(
                "no such file (it expires after an hour)", 404, headers=PRIVATE
            )
        return FileResponse(
            path,
            media_type="text/csv; charset=utf-8",
            filename="rejected-rows.csv",
            headers=PRIVATE,
        )

    async def template(request: Request) -> Response:
        kind = request.path_params["kind"]
        if kind not in ("csv", "xlsx"):
            return PlainTextResponse("no such template", 404, headers=PRIVATE)
        headers = {**PRIVATE, "Content-Disposition": f'attachment; filename="members.{kind}"'}
        if kind == "xlsx":
            data = io.BytesIO()
            notes = [(c, FIELD_HELP[c]) for c in COLUMNS]
            write_template_xlsx(data, COLUMNS, notes)
            media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            return Response(data.getvalue(), media_type=media, headers=headers)
        text = io.StringIO(newline="")
        write_csv(text, COLUMNS, [])
        return Response(text.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)

    many = guard(ctx, fields=FORM_FIELDS)
    return [
        Route("/staff/members/import", guard(ctx)(start), methods=["GET", "HEAD"]),
        Route(
            "/staff/members/import",
            guard(ctx, files=1, fields=FORM_FIELDS)(upload_file),
            methods=["POST"],
        ),
        Route("/staff/members/import/check", many(check), methods=["POST"]),
        Route("/staff/members/import/confirm", many(confirm), methods=["POST"]),
        Route(
            "/staff/members/import/template.{kind:str}",
            guard(ctx)(template),
            methods=["GET", "HEAD"],
        ),
        Route(
            "/staff/members/import/{upload}/rejects.csv",
            guard(ctx)(rejects),
            methods=["GET", "HEAD"],
        ),
    ]
