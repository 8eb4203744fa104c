"""Staff campaign pages: list, detail (previews, plain text, validation, audience), the
preview document itself, test send and approval.

The preview route returns exactly ``services.composing.preview(...).html`` - the bytes a
member's mail client gets - framed only by our own pages (``frame-ancestors 'self'``) and
sandboxed so nothing in an email can run script or navigate the staff page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from jinja2 import Environment
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from newsletter.errors import InputError, NewsletterError
from newsletter.services import composing, proofs, staff
from newsletter.services.audiences import explain_membership
from newsletter.services.context import Context
from newsletter.services.scheduling_ports import Scheduling
from newsletter.services.staff_campaigns import (
    campaign_detail,
    cancel_scheduled,
    list_campaigns,
    schedule_approved,
)
from newsletter.web.auth import PRIVATE, guard, render, session_of

#: The detail page frames its own previews; everything else as the app-wide policy.
DETAIL_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-src 'self'; frame-ancestors 'none'; base-uri 'none'"
)
#: An email has inline styles and remote images, and must never run script.
PREVIEW_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; "
    "font-src https: data:; frame-ancestors 'self'; base-uri 'none'; form-action 'none'; "
    "sandbox allow-popups allow-popups-to-escape-sandbox"
)
#: Phone (the narrowest common iPhone) and desktop widths of the preview frames.
WIDTHS = (("phone", 375), ("desktop", 640))


def routes(
    ctx: Context, env: Environment, scheduling: Callable[[], Scheduling] | None = None
) -> list[Route]:
    """``scheduling`` builds the scheduling use cases (None: no schedule form)."""

    async def home(request: Request) -> Response:
        return RedirectResponse("/staff/campaigns", 303, headers=PRIVATE)

    async def index(request: Request) -> Response:
        rows = await run_in_threadpool(list_campaigns, ctx)
        return render(env, "staff/campaigns.html", request, rows=rows)

    def detail_page(request: Request, *, message: str = "", error: str = "") -> Response:
        slug = request.path_params["slug"]
        detail = campaign_detail(ctx, slug)
        lang = request.query_params.get("lang", "")
        lang = lang if lang in detail.languages else detail.languages[0]
        text, subject, explained, problem = "", "", None, error
        try:
            # The subject is what the inbox shows first: staff check it beside the frames.
            composed = composing.preview(ctx, slug, language=lang)
            text, subject = composed.text, composed.subject
        except NewsletterError as exc:
            problem = problem or str(exc)
        email = request.query_params.get("explain", "").strip()
        if email:
            try:
                explained = explain_membership(ctx, detail.audience, email, detail.topic)
            except NewsletterError as exc:
                explained = (False, [str(exc)])
        users = staff.store(ctx).users()
        # The reminder chain as the schedule holds it (step, when, state), oldest first.
        planned = scheduling().store.entries(campaign=detail.slug) if scheduling else []
        response = render(
            env,
            "staff/campaign.html",
            request,
            c=detail,
            variant=lang,
            widths=WIDTHS,
            text=text,
            subject=subject,
            explain=email,
            explained=explained,
            staff_users=users,
            message=message,
            error=problem,
            can_schedule=scheduling is not None,
            planned=sorted(planned, key=lambda e: e.due_at),
        )
        response.headers["Content-Security-Policy"] = DETAIL_CSP
        return response

    async def detail(request: Request) -> Response:
        try:
            return await run_in_threadpool(detail_page, request)
        except NewsletterError:
            return PlainTextResponse("no such campaign", 404, headers=PRIVATE)

    async def preview(request: Request) -> Response:
        slug, lang = request.path_params["slug"], request.path_params["lang"]
        try:
            message = await run_in_threadpool(composing.preview, ctx, slug, language=lang)
        except NewsletterError as exc:
            return PlainTextResponse(str(exc), 404, headers=PRIVATE)
        headers = {
            **PRIVATE,
            "Content-Security-Policy": PREVIEW_CSP,
            "X-Frame-Options": "SAMEORIGIN",
        }
        return HTMLResponse(message.html, headers=headers)

    async def test_send(request: Request) -> Response:
        form = await request.form()
        known = {u.email for u in staff.store(ctx).users()}
        # Only staff accounts may receive a test: the form cannot mail arbitrary addresses.
        chosen = [a for a in form.getlist("to") if isinstance(a, str) and a in known]
        if not chosen:
            chosen = [session_of(request).user.email]
        lang = form.get("lang")
        try:
            report = await run_in_threadpool(
                proofs.send_test,
                ctx,
                request.path_params["slug"],
                chosen,
                language=lang if isinstance(lang, str) and lang else None,
            )
        except NewsletterError as exc:
            return await run_in_threadpool(detail_page, request, error=str(exc))
        sent = ", ".join(report.recipients)
        return await run_in_threadpool(
            detail_page, request, message=f"Test sent to {sent} ({report.transport})."
        )

    async def approve(request: Request) -> Response:
        user = session_of(request).user
        try:
            await run_in_threadpool(staff.approve, ctx, request.path_params["slug"], user)
        except NewsletterError as exc:
            return await run_in_threadpool(detail_page, request, error=str(exc))
        slug = request.path_params["slug"]
        return RedirectResponse(f"/staff/campaigns/{slug}", 303, headers=PRIVATE)

    def schedule_now(request: Request, when: str, zone: str) -> str:
        assert scheduling is not None
        sched = scheduling()
        try:
            at = dt.datetime.fromisoformat(when)
        except ValueError as exc:
            raise InputError(f"not a date and time: {when!r}") from exc
        planned = schedule_approved(
            sched, request.path_params["slug"], at, zone or sched.default_zone
        )
        steps = ", ".join(f"{e.step} at {e.due_at:%Y-%m-%d %H:%M} UTC" for e in planned.entries)
        return f"Scheduled: {steps or 'nothing new'}. {' '.join(planned.notes)}".strip()

    async def schedule(request: Request) -> Response:
        if scheduling is None:
            return PlainTextResponse("scheduling is not available here", 404, headers=PRIVATE)
        form = await request.form()
        when, zone = form.get("at"), form.get("zone")
        try:
            note = await run_in_threadpool(
                schedule_now,
                request,
                when if isinstance(when, str) else "",
                zone if isinstance(zone, str) else "",
            )
        except NewsletterError as exc:
            return await run_in_threadpool(detail_page, request, error=str(exc))
        return await run_in_threadpool(detail_page, request, message=note)

    async def cancel(request: Request) -> Response:
        if scheduling is None:
            return PlainTextResponse("scheduling is not available here", 404, headers=PRIVATE)
        slug = request.path_params["slug"]
        try:
            n = await run_in_threadpool(lambda: cancel_scheduled(scheduling(), slug))
        except NewsletterError as exc:
            return await run_in_threadpool(detail_page, request, error=str(exc))
        return await run_in_threadpool(detail_page, request, message=f"Cancelled {n} step(s).")

    return [
        Route("/staff", guard(ctx)(home), methods=["GET", "HEAD"]),
        Route("/staff/campaigns", guard(ctx)(index), methods=["GET", "HEAD"]),
        Route("/staff/campaigns/{slug}", guard(ctx)(detail), methods=["GET", "HEAD"]),
        Route(
            "/staff/campaigns/{slug}/preview/{lang}",
            guard(ctx)(preview),
            methods=["GET", "HEAD"],
        ),
        Route("/staff/campaigns/{slug}/test-send", guard(ctx)(test_send), methods=["POST"]),
        Route(
            "/staff/campaigns/{slug}/approve",
            guard(ctx, approver=True)(approve),
            methods=["POST"],
        ),
        Route(
            "/staff/campaigns/{slug}/schedule",
            guard(ctx, approver=True)(schedule),
            methods=["POST"],
        ),
        Route(
            "/staff/campaigns/{slug}/cancel",
            guard(ctx, approver=True)(cancel),
            methods=["POST"],
        ),
    ]
