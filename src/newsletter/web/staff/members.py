"""Members for staff (editors and approvers): the list, import and export.

- ``/staff/members?q=...&segment=...&language=...&country=...&tier=...&status=...&page=N``:
  search by address, name or organisation in either script (audiences/directory.py), filtered;
  with a segment, the members that segment would mail. Page links keep every filter.
- ``/staff/members/{id}``: one person, and the forms that change them (member_profile.py).
- ``/staff/members/import``: upload a CSV or XLSX file; the report is the CLI's (``members
  import``) for a dry run first; "Import" then imports the same bytes (checked by SHA-256) and
  offers the rejected rows as a CSV to fix and upload again.
- ``/staff/members/export?segment=...``: the CLI's ``members export`` as a download (UTF-8
  with BOM, formulas neutralised).
"""

from __future__ import annotations

import io
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO, Any

from jinja2 import Environment
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from newsletter.audiences.data_rights import export_members
from newsletter.audiences.directory import Filters, MemberPage, directory, search_members
from newsletter.audiences.domain.labels import LANGUAGE_LABELS, STATUS_LABELS, TIER_LABELS
from newsletter.audiences.domain.members import COLUMNS
from newsletter.audiences.files.member_files import read_member_file
from newsletter.audiences.files.spreadsheets import write_csv, write_rejects
from newsletter.audiences.files.uploads import Upload, UploadShelf
from newsletter.audiences.imports import ImportReport, import_members
from newsletter.context import Context
from newsletter.errors import InputError, NewsletterError
from newsletter.web import flash
from newsletter.web.auth import PRIVATE, guard, render

#: Encodings offered besides "detect": what the region's Excel writes
#: (audiences/files/member_files).
ENCODINGS = (("", "detect safely"), ("utf-8", "UTF-8"), ("cp1250", "Windows-1250 (Latin)"),
             ("cp1251", "Windows-1251 (Cyrillic)"))  # fmt: skip
#: Rows listed one by one under a report ("every row"); problems are always all listed.
ROWS_LISTED = 1000
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


@dataclass
class ImportRun:
    upload: Upload
    filename: str
    tag: str
    encoding: str
    report: ImportReport
    rejects: bool = False

    @property
    def notes(self) -> list[Any]:
        """Rejected rows and warnings in row order, as the CLI prints them."""
        return sorted(
            [*self.report.rejected, *self.report.warnings], key=lambda r: (r.row, r.outcome)
        )


def _page_number(text: str) -> int:
    return int(text) if text.isdigit() and len(text) < 7 else 1


def _filename(upload: UploadFile) -> str:
    name = PurePath((upload.filename or "upload").replace("\\", "/")).name
    return name[:200] or "upload"


def routes(ctx: Context, env: Environment, shelf: UploadShelf | None = None) -> list[Route]:
    uploads = shelf or UploadShelf()

    def segment_names() -> list[str]:
        return sorted(ctx.catalog.segments())

    async def index(request: Request) -> Response:
        params = request.query_params
        filters = Filters(
            params.get("q", ""),
            *(params.get(n, "") for n in ("segment", "language", "country", "tier", "status")),
        )
        page = _page_number(params.get("page", "1"))
        message, error = flash.take(request)
        try:
            found = await run_in_threadpool(search_members, ctx, filters, page)
        except NewsletterError as exc:
            found, error = MemberPage(filters, 1, 0), str(exc)
        segments = await run_in_threadpool(segment_names)
        facets = await run_in_threadpool(directory(ctx).facets)
        response = render(
            env,
            "staff/members.html",
            request,
            found=found,
            filters=found.filters,
            segments=segments,
            facets=facets,
            labels={
                "language": LANGUAGE_LABELS,
                "tier": TIER_LABELS,
                "status": STATUS_LABELS,
            },
            message=message,
            error=error,
        )
        if error and not message:
            response.status_code = 400
        return flash.clear(request, response)

    def import_page(request: Request, status: int = 200, **values: Any) -> Response:
        response = render(
            env,
            "staff/members_import.html",
            request,
            encodings=ENCODINGS,
            **{"run": None, "error": "", "dry_run": True, "listed": ROWS_LISTED, **values},
        )
        response.status_code = status
        return response

    def run_import(
        upload: Upload, filename: str, tag: str, encoding: str, *, dry_run: bool
    ) -> ImportRun:
        try:
            source = read_member_file(upload.path, encoding or None)
            report = import_members(
                ctx,
                source.rows,
                source=filename,
                tag=tag or None,
                dry_run=dry_run,
                encoding=source.encoding_label if source.kind == "csv" else "xlsx",
                encoding_detected=source.encoding_detected,
                delimiter=source.delimiter,
            )
        except InputError as exc:
            # Name the file as staff know it, not by where the upload waits on our disk.
            raise InputError(str(exc).replace(str(upload.path), filename)) from exc
        run = ImportRun(upload, filename, tag, encoding, report)
        if report.rejected and not dry_run:
            rejected = [
                (r.row, f"{r.field}: {r.reason}", report.rejected_cells[r.row])
                for r in report.rejected
            ]
            write_rejects(upload.path, source.header, source.columns, rejected)
            run.rejects = True
        return run

    async def import_form(request: Request) -> Response:
        return import_page(request)

    async def dry_run(request: Request) -> Response:
        form = await request.form()  # parsed (and the CSRF token checked) by the guard
        try:
            return await check_upload(request, form)
        finally:
            await form.close()  # the upload's spooled temporary file

    async def check_upload(request: Request, form: FormData) -> Response:
        file, tag, encoding = form.get("file"), form.get("list"), form.get("encoding")
        tag = tag.strip()[:80] if isinstance(tag, str) else ""
        encoding = encoding if isinstance(encoding, str) and encoding in dict(ENCODINGS) else ""
        if not isinstance(file, UploadFile) or not (file.filename or file.size):
            return import_page(request, 400, error="Choose a CSV or XLSX file to import.")
        filename = _filename(file)
        try:
            upload = await run_in_threadpool(uploads.put, file.file)
        except InputError as exc:
            return import_page(request, 400, error=f"{filename}: {exc}")
        try:
            run = await run_in_threadpool(
                lambda: run_import(upload, filename, tag, encoding, dry_run=True)
            )
        except NewsletterError as exc:
            uploads.done(upload)
            return import_page(request, 400, error=str(exc))
        return import_page(request, run=run, dry_run=True)

    async def confirm(request: Request) -> Response:
        form = await request.form()
        values = {k: form.get(k) for k in ("upload", "sha256", "filename", "list", "encoding")}
        text = {k: v if isinstance(v, str) else "" for k, v in values.items()}
        upload = uploads.get(text["upload"])
        if upload is None or upload.sha256 != text["sha256"]:
            return import_page(
                request,
                409,
                error="That upload has expired or was imported already: upload the file again.",
            )
        encoding = text["encoding"] if text["encoding"] in dict(ENCODINGS) else ""
        try:
            run = await run_in_threadpool(
                lambda: run_import(
                    upload,
                    text["filename"][:200] or "upload",
                    text["list"][:80],
                    encoding,
                    dry_run=False,
                )
            )
        except NewsletterError as exc:
            return import_page(request, 400, error=str(exc))
        finally:
            uploads.done(upload)
        return import_page(request, run=run, dry_run=False)

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

    async def export(request: Request) -> Response:
        segment = request.query_params.get("segment", "").strip() or None
        try:
            spool = await run_in_threadpool(_export, ctx, segment)
        except NewsletterError as exc:
            return PlainTextResponse(str(exc), 400, headers=PRIVATE)
        name = f"members-{_UNSAFE.sub('-', segment or 'all')}-{ctx.clock.now():%Y-%m-%d}.csv"
        headers = {**PRIVATE, "Content-Disposition": f'attachment; filename="{name}"'}
        return StreamingResponse(
            _chunks(spool), media_type="text/csv; charset=utf-8", headers=headers
        )

    return [
        Route("/staff/members", guard(ctx)(index), methods=["GET", "HEAD"]),
        Route("/staff/members/import", guard(ctx)(import_form), methods=["GET", "HEAD"]),
        Route("/staff/members/import", guard(ctx, files=1)(dry_run), methods=["POST"]),
        Route("/staff/members/import/confirm", guard(ctx)(confirm), methods=["POST"]),
        Route(
            "/staff/members/import/{upload}/rejects.csv",
            guard(ctx)(rejects),
            methods=["GET", "HEAD"],
        ),
        Route("/staff/members/export", guard(ctx)(export), methods=["GET", "HEAD"]),
    ]


def _export(ctx: Context, segment: str | None) -> IO[bytes]:
    """``members export`` into a spooled file (memory up to 8 MB, then disk): the same bytes
    the CLI writes, streamed to the browser afterwards."""
    spool = tempfile.SpooledTemporaryFile(max_size=8 << 20)  # noqa: SIM115 - closed by _chunks
    text = io.TextIOWrapper(spool, encoding="utf-8", newline="")
    header = [*COLUMNS, "status"]
    try:
        write_csv(text, header, ([r[c] for c in header] for r in export_members(ctx, segment)))
        text.flush()
    except BaseException:
        spool.close()
        raise
    text.detach()
    spool.seek(0)
    return spool


def _chunks(spool: IO[bytes]) -> Iterator[bytes]:
    try:
        while chunk := spool.read(1 << 16):
            yield chunk
    finally:
        spool.close()
