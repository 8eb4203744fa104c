"""One member for staff: everything held about them, and the forms that change it.

- ``GET /staff/members/{id}``: profile with human labels, subscriptions, consent history,
  deliveries and provider events, every time in the office's zone to the minute; the forms.
- ``POST .../profile``, ``.../topics``, ``.../unsubscribe``: editors and approvers; topics and
  unsubscribes need a reason, recorded with the staff member's address as the consent source.
- ``POST .../erase``: approvers only, and only with the member's address typed again; exactly
  ``newsletter members erase``.
- ``GET .../data.json``: the person's data as one JSON download (GDPR Art. 15 and 20).

Every form follows POST/redirect/GET (:mod:`newsletter.web.flash`) and carries the session's
CSRF token (checked by :func:`newsletter.web.auth.guard`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from newsletter.audiences import member_edits
from newsletter.audiences.directory import person_view
from newsletter.audiences.domain.labels import (
    LANGUAGE_LABELS,
    STATUS_LABELS,
    TIER_LABELS,
    label,
    local_time,
)
from newsletter.audiences.domain.members import LANGUAGES, TIERS
from newsletter.audiences.ports.member_directory import EDITABLE
from newsletter.bootstrap import App
from newsletter.errors import NewsletterError
from newsletter.web import flash
from newsletter.web.auth import PRIVATE, guard, render, secure_cookies, session_of
from newsletter.web.deps import deps

#: Profile rows shown read-only (the editable ones are the form).
_SHOWN = ("email", "status", "consent_source", "consent_date", "consent_wording")
_STAMPS = ("created_at", "updated_at")


def page(request: Request, member_id: int, message: str, error: str) -> Response | None:
    """The member's page (None: no such member), every time in the office's zone."""
    d = deps(request)
    app = d.app
    zone = ZoneInfo(app.authoring.office_zone)

    def when(value: Any) -> str:
        return local_time(value, zone)

    view = person_view(app.audiences, member_id)
    if view is None:
        return None
    doc = view.data.as_json()
    profile = view.data.profile
    facts = [(label(k), _shown(k, profile.get(k))) for k in _SHOWN]
    facts += [(label(k), when(profile.get(k))) for k in _STAMPS]
    return render(
        d.env,
        "staff/member.html",
        request,
        p=view,
        doc=doc,
        profile=profile,
        facts=facts,
        editable=[(f, label(f)) for f in EDITABLE],
        languages=[(code, LANGUAGE_LABELS.get(code, code)) for code in LANGUAGES],
        tiers=[(t, TIER_LABELS[t]) for t in TIERS],
        topics=member_edits.topic_choices(app.audiences, member_id),
        when=when,
        zone=app.authoring.office_zone,
        message=message,
        error=error,
    )


@guard()
async def show(request: Request) -> Response:
    message, error = flash.take(request)
    member_id = request.path_params["member_id"]
    response = await run_in_threadpool(page, request, member_id, message, error)
    if response is None:
        return PlainTextResponse("no such member", 404, headers=PRIVATE)
    return flash.clear(request, response)


Change = Callable[[App, int, dict[str, str], str], tuple[str, str]]


async def act(request: Request, change: Change) -> Response:
    """Run ``change`` with the form's text fields and the staff address; it says where to go
    next ("" = the member's page) and what to tell. Errors go back to the member's page."""
    app = deps(request).app
    secure = secure_cookies(app)
    member_id = request.path_params["member_id"]
    form = await request.form()
    fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    fields["topic"] = "\n".join(v for v in form.getlist("topic") if isinstance(v, str))
    who = session_of(request).user.email
    url = f"/staff/members/{member_id}"
    try:
        where, message = await run_in_threadpool(change, app, member_id, fields, who)
    except NewsletterError as exc:
        return flash.redirect(url, error=str(exc), secure=secure)
    return flash.redirect(where or url, message=message, secure=secure)


@guard()
async def profile(request: Request) -> Response:
    return await act(request, _profile)


@guard()
async def topics(request: Request) -> Response:
    return await act(request, _topics)


@guard()
async def unsubscribe(request: Request) -> Response:
    return await act(request, _unsubscribe)


@guard(approver=True)
async def erase(request: Request) -> Response:
    return await act(request, _erase)


@guard()
async def data(request: Request) -> Response:
    app = deps(request).app
    member_id = request.path_params["member_id"]
    doc = await run_in_threadpool(member_edits.export_person, app.audiences, member_id)
    if doc is None:
        return PlainTextResponse("no such member", 404, headers=PRIVATE)
    body = json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    # By number, not address: a file name ends up in download lists and logs.
    name = f"member-{member_id}.json"
    headers = {**PRIVATE, "Content-Disposition": f'attachment; filename="{name}"'}
    return Response(body, media_type="application/json; charset=utf-8", headers=headers)


BASE = "/staff/members/{member_id:int}"
ROUTES = [
    Route(BASE, show, methods=["GET", "HEAD"]),
    Route(f"{BASE}/data.json", data, methods=["GET", "HEAD"]),
    Route(f"{BASE}/profile", profile, methods=["POST"]),
    Route(f"{BASE}/topics", topics, methods=["POST"]),
    Route(f"{BASE}/unsubscribe", unsubscribe, methods=["POST"]),
    Route(f"{BASE}/erase", erase, methods=["POST"]),
]


def _profile(app: App, member_id: int, form: dict[str, str], who: str) -> tuple[str, str]:
    changed = member_edits.edit_profile(app.audiences, member_id, form)
    return "", f"Saved: {', '.join(changed)}." if changed else "Nothing changed."


def _topics(app: App, member_id: int, form: dict[str, str], who: str) -> tuple[str, str]:
    wanted = {t for t in form.get("topic", "").split("\n") if t}
    changed = member_edits.set_topics(
        app.audiences, member_id, wanted, staff_email=who, why=form.get("why", "")
    )
    if not changed:
        return "", "Nothing changed."
    return "", f"{changed} topic(s) changed; each is in the consent history."


def _unsubscribe(app: App, member_id: int, form: dict[str, str], who: str) -> tuple[str, str]:
    ended = member_edits.unsubscribe_everything(
        app.audiences, member_id, staff_email=who, why=form.get("why", "")
    )
    if not ended:
        return "", "Was not subscribed to anything."
    return "", f"Unsubscribed from {ended} topic(s); each is in the consent history."


def _erase(app: App, member_id: int, form: dict[str, str], who: str) -> tuple[str, str]:
    done = member_edits.erase_member(app.audiences, member_id, form.get("confirm", ""))
    # The member's page is gone: back to the list.
    return "/staff/members", (
        f"{done.address} was erased; only a keyed hash of the address is kept, "
        "so no import will add it again."
    )


def _shown(field: str, value: Any) -> str:
    if value is None or value == "":
        return "-"
    text = str(value)
    if field == "status":
        return STATUS_LABELS.get(text, text)
    return text
