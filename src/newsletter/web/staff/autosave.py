"""Autosave of the campaign edit form: static/authoring.js posts the whole form here (with its
CSRF token, urlencoded like a submit) every few seconds while it has unsaved changes.

An autosave is a save like any other (:func:`newsletter.authoring.documents.save`): the same
validation, the same optimistic version check against someone saving meanwhile, and the same
consequence for approval: a changed campaign is no longer approved and its scheduled steps are
held until an approver approves the new version. Nothing about it bypasses the approval gate.
A form that does not validate yet is not stored; the answer says how many problems stand in
the way, and the live preview beside the form lists them.

Only stored (database) campaigns autosave: a new campaign or a file being imported has no
slug of its own in the database until "Create" is pressed, and an autosave must not invent one.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from newsletter.authoring import documents as authoring
from newsletter.authoring.form.parse import parse_form
from newsletter.bootstrap import App
from newsletter.errors import NewsletterError, StateError
from newsletter.web.auth import PRIVATE, guard, session_of
from newsletter.web.deps import deps
from newsletter.web.staff.times import in_zone


def autosave_now(
    app: App, slug: str, values: dict[str, list[str]], by: str, zone: str
) -> tuple[int, dict[str, Any]]:
    """(HTTP status, answer) for one autosave of ``slug`` with the form's ``values``."""
    stored = authoring.stored(app.authoring, slug)
    if stored is None:
        return 404, {"saved": False, "error": f"no campaign {slug!r} in the database"}
    values = {**values, "slug": [slug], "kind": [str(stored.document.get("kind", "letter"))]}
    parsed = parse_form(values, dict(stored.document))
    if parsed.campaign is None:
        n = sum(len(problems) for problems in parsed.errors.values())
        return 200, {
            "saved": False,
            "problems": n,
            "message": f"Not saved yet: {n} problem(s) to fix first (listed beside the preview).",
        }
    given = values.get("version", [""])[0]
    try:
        saved = authoring.save(
            app.authoring, parsed.campaign, by=by, create=False, expected_version=given
        )
    except StateError as exc:  # someone saved in between: theirs is not overwritten
        return 409, {"saved": False, "error": str(exc)}
    now = authoring.stored(app.authoring, slug)
    assert now is not None  # just saved
    when = in_zone(now.updated_at, zone, "%H:%M:%S")
    if not saved.changed:
        message = f"Saved at {when} (no change)."
    elif saved.approval_dropped:
        message = f"Saved at {when}. The approval was withdrawn: this version needs approving."
    else:
        message = f"Saved at {when}."
    return 200, {
        "saved": True,
        "changed": saved.changed,
        "approval_dropped": saved.approval_dropped,
        "version": now.version,
        "message": message,
    }


@guard()
async def autosave(request: Request) -> Response:
    """The "Saved at" time shows in the installation's default zone (the scheduling's)."""
    d = deps(request)
    app = d.app
    zone = d.scheduling().default_zone if d.scheduling else "UTC"
    values: dict[str, list[str]] = {}
    for key, value in (await request.form()).multi_items():
        if isinstance(value, str):
            values.setdefault(key, []).append(value)
    who = session_of(request).user.email
    try:
        status, body = await run_in_threadpool(
            autosave_now, app, request.path_params["slug"], values, who, zone
        )
    except NewsletterError as exc:  # e.g. the slug clashes with a file now
        status, body = 400, {"saved": False, "error": str(exc)}
    return JSONResponse(body, status, headers=PRIVATE)


ROUTES = [Route("/staff/campaigns/{slug}/autosave", autosave, methods=["POST"])]
