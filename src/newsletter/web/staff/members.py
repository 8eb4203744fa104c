"""Members for staff (editors and approvers): the list, import and export.

- ``/staff/members?q=...&segment=...&language=...&country=...&tier=...&status=...&page=N``:
  search by address, name or organisation in either script (audiences/directory.py), filtered;
  with a segment, the members that segment would mail. Page links keep every filter.
- ``/staff/members/{id}``: one person, and the forms that change them (member_profile.py).
- ``/staff/members/import``: upload a file, map its columns, dry run, import
  (``member_imports.py``).
- ``/staff/members/export?segment=...``: the CLI's ``members export`` as a download (UTF-8
  with BOM, formulas neutralised).
"""

from __future__ import annotations

import io
import re
import tempfile
from collections.abc import Iterator
from typing import IO

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from newsletter.audiences.data_rights import export_members
from newsletter.audiences.directory import Filters, MemberPage, directory, search_members
from newsletter.audiences.domain.labels import LANGUAGE_LABELS, STATUS_LABELS, TIER_LABELS
from newsletter.audiences.domain.members import COLUMNS
from newsletter.audiences.files.spreadsheets import write_csv
from newsletter.bootstrap import App
from newsletter.errors import NewsletterError
from newsletter.web import flash
from newsletter.web.auth import PRIVATE, guard, render
from newsletter.web.deps import deps
from newsletter.web.staff import member_imports

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def _page_number(text: str) -> int:
    return int(text) if text.isdigit() and len(text) < 7 else 1


@guard()
async def index(request: Request) -> Response:
    d = deps(request)
    app = d.app
    params = request.query_params
    filters = Filters(
        params.get("q", ""),
        *(params.get(n, "") for n in ("segment", "language", "country", "tier", "status")),
    )
    page = _page_number(params.get("page", "1"))
    message, error = flash.take(request)
    try:
        found = await run_in_threadpool(search_members, app.audiences, filters, page)
    except NewsletterError as exc:
        found, error = MemberPage(filters, 1, 0), str(exc)
    segments = await run_in_threadpool(lambda: sorted(app.content.catalog.segments()))
    facets = await run_in_threadpool(directory(app.audiences).facets)
    response = render(
        d.env,
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


@guard()
async def export(request: Request) -> Response:
    app = deps(request).app
    segment = request.query_params.get("segment", "").strip() or None
    try:
        spool = await run_in_threadpool(_export, app, segment)
    except NewsletterError as exc:
        return PlainTextResponse(str(exc), 400, headers=PRIVATE)
    name = f"members-{_UNSAFE.sub('-', segment or 'all')}-{app.staff.clock.now():%Y-%m-%d}.csv"
    headers = {**PRIVATE, "Content-Disposition": f'attachment; filename="{name}"'}
    return StreamingResponse(_chunks(spool), media_type="text/csv; charset=utf-8", headers=headers)


ROUTES = [
    Route("/staff/members", index, methods=["GET", "HEAD"]),
    *member_imports.ROUTES,
    Route("/staff/members/export", export, methods=["GET", "HEAD"]),
]


def _export(app: App, segment: str | None) -> IO[bytes]:
    """``members export`` into a spooled file (memory up to 8 MB, then disk): the same bytes
    the CLI writes, streamed to the browser afterwards."""
    spool = tempfile.SpooledTemporaryFile(max_size=8 << 20)  # noqa: SIM115 - closed by _chunks
    text = io.TextIOWrapper(spool, encoding="utf-8", newline="")
    header = [*COLUMNS, "status"]
    try:
        write_csv(
            text, header, ([r[c] for c in header] for r in export_members(app.audiences, segment))
        )
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
