"""Staff campaign authoring: create from a kind, edit (or import a file campaign to edit),
the live preview while typing, and "why is this person in or out".

The form is generated from the content model (authoring/form/fields.py); a save stores the
campaign document in the database (authoring/documents.py) and withdraws any approval.
The live preview posts the whole form (with its CSRF token) and answers an HTML fragment whose
frames show :func:`newsletter.content.composing.preview` of the draft, kept for the author in
a :class:`PreviewStore` and served with the same policy as every email preview: no script,
framed only by our pages, sandboxed.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from newsletter.audiences.preferences import offered_topics
from newsletter.authoring import documents as authoring
from newsletter.authoring.form.parse import ParsedForm, parse_form
from newsletter.authoring.form.values import values_of
from newsletter.bootstrap import App
from newsletter.content.domain.announcements import CONTENT_MODELS
from newsletter.content.domain.campaigns import MAIN_STEP
from newsletter.content.ports.documents import Saved
from newsletter.content.why import why
from newsletter.errors import NewsletterError
from newsletter.web import flash
from newsletter.web.auth import PRIVATE, guard, render, secure_cookies, session_of
from newsletter.web.deps import deps
from newsletter.web.staff.campaigns import PREVIEW_CSP, WIDTHS
from newsletter.web.staff.form_view import FormView
from newsletter.web.staff.zones import zone_choices

#: The form page runs our one script, fetches previews from us and frames them.
FORM_CSP = (
    "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; "
    "img-src 'self'; form-action 'self'; frame-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
DEFAULT_TOPICS = {"conference_invitation": "events", "call_for_proposals": "calls"}


#: How often the edit form posts itself to the autosave endpoint while it has changes.
AUTOSAVE_MS = 8000


def form_values(form: FormData) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            values.setdefault(key, []).append(value)
    return values


def new_values(kind: str) -> dict[str, list[str]]:
    return {
        "kind": [kind],
        "languages": ["en"],
        "default_language": ["en"],
        "topic": [DEFAULT_TOPICS.get(kind, "news")],
    }


def page(
    request: Request,
    view: FormView,
    *,
    action: str,
    mode: str,
    base: str = "",
    version: str = "",
    status: int = 200,
) -> Response:
    d = deps(request)
    app = d.app
    response = render(
        d.env,
        "staff/campaign_form.html",
        request,
        form=view,
        action=action,
        mode=mode,
        base=base,
        version=version,
        segments=sorted(app.content.catalog.segments()),
        topics=offered_topics(app.audiences),
        zones=zone_choices(),
        autosave_ms=AUTOSAVE_MS,
    )
    response.status_code = status
    response.headers["Content-Security-Policy"] = FORM_CSP
    return response


def failed(request: Request, parsed: ParsedForm, values: Any, **kw: Any) -> Response:
    view = FormView(parsed.kind, values, parsed.errors, parsed.notes)
    return page(request, view, status=400, **kw)


def saved_note(slug: str, saved: Saved | None) -> str:
    """What a save did (``saved`` None: a new campaign was created)."""
    if saved is None:
        return f"Created {slug}: a draft, not approved or scheduled."
    if not saved.changed:
        return "Saved: nothing had changed."
    if saved.approval_dropped:
        return "Saved. The approval was withdrawn: an approver approves this new version."
    return "Saved."


def save(
    request: Request, values: dict[str, list[str]], edited: dict[str, Any] | None, **kw: Any
) -> Response:
    """Validate and store; back to the form with every problem beside its field.
    ``edited``: the document being edited (None for a new campaign)."""
    app = deps(request).app
    parsed = parse_form(values, edited)
    if parsed.campaign is None:
        return failed(request, parsed, values, **kw)
    create = kw["mode"] != "edit"
    try:
        saved = authoring.save(
            app.authoring,
            parsed.campaign,
            by=session_of(request).user.email,
            create=create,
            expected_version=None if create else kw["version"],
        )
    except NewsletterError as exc:
        # A clash with a file, a slug taken or reserved, someone saving in between.
        parsed.errors.setdefault("slug" if create else "", []).append(str(exc))
        return failed(request, parsed, values, **kw)
    slug = parsed.campaign.slug  # validated: lowercase letters, digits and dashes
    note = saved_note(slug, None if create else saved)
    return flash.redirect(f"/staff/campaigns/{slug}", message=note, secure=secure_cookies(app))


@guard()
async def new(request: Request) -> Response:
    kind = request.query_params.get("kind", "")
    if kind not in CONTENT_MODELS:
        kinds = ", ".join(CONTENT_MODELS)
        return PlainTextResponse(f"unknown kind; use ?kind= one of {kinds}", 404)
    action = f"/staff/campaigns/new?kind={kind}"
    if request.method in ("GET", "HEAD"):
        return page(request, FormView(kind, new_values(kind)), action=action, mode="new")
    values = form_values(await request.form())
    values["kind"] = [kind]
    return await run_in_threadpool(save, request, values, None, action=action, mode="new")


def source(app: App, slug: str) -> tuple[dict[str, Any], str] | None:
    """The campaign as written, and its version (empty for a file campaign)."""
    stored = authoring.stored(app.authoring, slug)
    if stored is not None:
        return dict(stored.document), stored.version
    try:
        return authoring.export_campaign(app.authoring, slug), ""
    except NewsletterError:
        return None


@guard()
async def edit(request: Request) -> Response:
    app = deps(request).app
    slug = request.path_params["slug"]
    found = await run_in_threadpool(source, app, slug)
    if found is None:
        return PlainTextResponse("no such campaign", 404, headers=PRIVATE)
    document, version = found
    # A file campaign is imported to edit: a copy under a new slug (a slug lives in one
    # place, so the file's own slug is taken).
    mode = "edit" if version else "import"
    kw: dict[str, Any] = {
        "action": f"/staff/campaigns/{slug}/edit",
        "mode": mode,
        "base": slug,
    }
    if request.method in ("GET", "HEAD"):
        values = values_of(document)
        if mode == "import":
            values["slug"] = [f"{slug}-copy"]
        view = FormView(str(document.get("kind", "letter")), values)
        return page(request, view, version=version, **kw)
    values = form_values(await request.form())
    values["kind"] = [str(document.get("kind", "letter"))]
    if mode == "edit":
        values["slug"] = [slug]  # the slug names the campaign everywhere: it stays
    given = values.get("version", [""])[0]
    return await run_in_threadpool(save, request, values, document, version=given, **kw)


def live_fragment(request: Request, values: dict[str, list[str]]) -> str:
    d = deps(request)
    app = d.app
    base_ref = values.get("base", [""])[0]
    found = source(app, base_ref) if base_ref else None
    parsed = parse_form(values, found[0] if found else None)
    result, frame = None, ""
    if parsed.campaign is not None:
        result = authoring.preview_draft(
            app.authoring,
            parsed.campaign,
            language=values.get("preview_language", [""])[0] or None,
            email=values.get("preview_member", [""])[0].strip() or None,
            step=values.get("preview_step", [""])[0] or MAIN_STEP,
        )
        if result.message is not None:
            frame = d.previews.put(session_of(request).user.id, result.message.html)
    view = FormView(parsed.kind, values, parsed.errors, parsed.notes)
    return d.env.get_template("staff/live_preview.html").render(
        form=view,
        result=result,
        frame=f"/staff/campaigns/preview/{frame}" if frame else "",
        widths=WIDTHS,
        errors=sorted(
            (name, parsed.errors.get(name, []) + parsed.notes.get(name, []))
            for name in {*parsed.errors, *parsed.notes}
        ),
    )


@guard()
async def live(request: Request) -> Response:
    values = form_values(await request.form())
    body = await run_in_threadpool(live_fragment, request, values)
    return HTMLResponse(body, headers={**PRIVATE, "Content-Security-Policy": FORM_CSP})


@guard()
async def frame(request: Request) -> Response:
    user = session_of(request).user
    html = deps(request).previews.get(user.id, request.path_params["name"])
    if html is None:
        return PlainTextResponse("this preview has expired; edit the form", 404)
    headers = {
        **PRIVATE,
        "Content-Security-Policy": PREVIEW_CSP,
        "X-Frame-Options": "SAMEORIGIN",
    }
    return HTMLResponse(html, headers=headers)


@guard()
async def why_page(request: Request) -> Response:
    d = deps(request)
    app = d.app
    slug = request.path_params["slug"]
    email = request.query_params.get("email", "").strip()[:320]
    try:
        await run_in_threadpool(app.content.catalog.campaign, slug)
    except NewsletterError:
        return PlainTextResponse("no such campaign", 404, headers=PRIVATE)
    answer, error = None, ""
    if email:
        try:
            answer = await run_in_threadpool(why, app.content, slug, email)
        except NewsletterError as exc:  # e.g. the campaign's segment does not exist
            error = str(exc)
    return render(d.env, "staff/why.html", request, slug=slug, email=email, why=answer, error=error)


ROUTES = [
    Route("/staff/campaigns/new", new, methods=["GET", "HEAD", "POST"]),
    Route("/staff/campaigns/preview", live, methods=["POST"]),
    Route("/staff/campaigns/preview/{name}", frame, methods=["GET", "HEAD"]),
    Route("/staff/campaigns/{slug}/edit", edit, methods=["GET", "HEAD", "POST"]),
    Route("/staff/campaigns/{slug}/why", why_page, methods=["GET", "HEAD"]),
]
