"""Member imports for staff: upload, the mapping step, the dry run, the import; templates.

- ``POST /staff/members/import``: keep the upload, recognise where it comes from (Mailchimp,
  listmonk, a spreadsheet), open the mapping step with the mapping last saved for that source
  (or the built-in one), and show the dry run of that mapping at once.
- ``POST /staff/members/import/check``: the dry run again with what staff chose: the columns,
  the consent statement for the file, topics for new people, the update policy.
- ``POST /staff/members/import/confirm``: the same bytes (checked by SHA-256) with the same
  choices, for real; the mapping is saved for that source; rejected rows offered as a CSV.
- ``/staff/members/import/template.csv`` and ``.xlsx``: an empty file with our columns.

The report is the CLI's (``members import``): the same summary line and header lines. What
one step reads from the form and runs is in :mod:`newsletter.web.staff.import_steps`.
"""

from __future__ import annotations

import io
from pathlib import PurePath
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from newsletter.audiences.domain.members import COLUMNS
from newsletter.audiences.domain.sources import FIELDS
from newsletter.audiences.files.spreadsheets import write_csv, write_template_xlsx
from newsletter.audiences.files.uploads import Upload
from newsletter.audiences.preferences import offered_topics
from newsletter.errors import InputError, NewsletterError
from newsletter.web.auth import PRIVATE, guard, render, session_of
from newsletter.web.deps import deps
from newsletter.web.staff.import_steps import (
    ENCODINGS,
    FIELD_HELP,
    POLICIES,
    Choices,
    read_choices,
    run_import,
    text_field,
)

#: Rows listed one by one under a report ("every row"); problems are always all listed.
ROWS_LISTED = 1000
#: Most fields a mapping-step form carries: one per column, plus the choices.
FORM_FIELDS = 100


def _filename(upload: UploadFile) -> str:
    name = PurePath((upload.filename or "upload").replace("\\", "/")).name
    return name[:200] or "upload"


def page(request: Request, status: int = 200, **values: Any) -> Response:
    response = render(
        deps(request).env,
        "staff/members_import.html",
        request,
        encodings=ENCODINGS,
        policies=POLICIES,
        fields=[(f, FIELD_HELP.get(f, f)) for f in FIELDS],
        **{"run": None, "error": "", "dry_run": True, "listed": ROWS_LISTED, **values},
    )
    response.status_code = status
    return response


@guard()
async def start(request: Request) -> Response:
    return page(request)


async def attempt(
    request: Request, upload: Upload, filename: str, form: FormData, *, dry_run: bool
) -> Response:
    """One dry run or import of a kept upload with the form's choices, and its page."""
    d = deps(request)
    app = d.app
    choices = read_choices(form, offered_topics(app.audiences))
    staff = session_of(request).user.email
    try:
        run = await run_in_threadpool(
            lambda: run_import(app, upload, filename, choices, staff, dry_run=dry_run)
        )
    except NewsletterError as exc:
        if dry_run and choices.columns is not None:
            return await _mapping_again(request, upload, filename, choices, str(exc))
        d.uploads.done(upload)
        return page(request, 400, error=str(exc))
    if not dry_run:
        d.uploads.done(upload)
    return page(request, run=run, dry_run=dry_run)


async def _mapping_again(
    request: Request, upload: Upload, filename: str, choices: Choices, error: str
) -> Response:
    """Keep the mapping step on screen with what was wrong, the choices as given."""
    app = deps(request).app
    staff = session_of(request).user.email
    plain = Choices(choices.tag, choices.encoding, choices.policy)
    plain.columns = choices.columns
    try:
        run = await run_in_threadpool(
            lambda: run_import(app, upload, filename, plain, staff, dry_run=True)
        )
    except NewsletterError:
        return page(request, 400, error=error)  # the file itself is unreadable
    run.choices = choices
    return page(request, 400, run=run, error=error)


@guard(files=1, fields=FORM_FIELDS)
async def upload_file(request: Request) -> Response:
    uploads = deps(request).uploads
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
    uploads = deps(request).uploads
    form = await request.form()
    upload = uploads.get(text_field(form, "upload", 64))
    if upload is None or upload.sha256 != text_field(form, "sha256", 64):
        return page(
            request,
            409,
            error="That upload has expired or was imported already: upload the file again.",
        )
    filename = text_field(form, "filename") or "upload"
    return await attempt(request, upload, filename, form, dry_run=dry_run)


@guard(fields=FORM_FIELDS)
async def check(request: Request) -> Response:
    return await kept_upload(request, dry_run=True)


@guard(fields=FORM_FIELDS)
async def confirm(request: Request) -> Response:
    return await kept_upload(request, dry_run=False)


@guard()
async def rejects(request: Request) -> Response:
    path = deps(request).uploads.rejects(request.path_params["upload"])
    if path is None:
        return PlainTextResponse("no such file (it expires after an hour)", 404, headers=PRIVATE)
    return FileResponse(
        path,
        media_type="text/csv; charset=utf-8",
        filename="rejected-rows.csv",
        headers=PRIVATE,
    )


@guard()
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


ROUTES = [
    Route("/staff/members/import", start, methods=["GET", "HEAD"]),
    Route("/staff/members/import", upload_file, methods=["POST"]),
    Route("/staff/members/import/check", check, methods=["POST"]),
    Route("/staff/members/import/confirm", confirm, methods=["POST"]),
    Route("/staff/members/import/template.{kind:str}", template, methods=["GET", "HEAD"]),
    Route("/staff/members/import/{upload}/rejects.csv", rejects, methods=["GET", "HEAD"]),
]
