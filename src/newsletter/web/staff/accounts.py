"""Staff accounts in the browser (staff/passwords.py): an approver disables, enables and
makes one-time reset links at /staff/accounts; everyone changes their own password at
/staff/account; "forgot my password" (/staff/forgot) and the reset link's page
(/staff/reset/{token}) need no session. The reset form carries no CSRF token: the token in
its URL is the credential, as on the members' preference page."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from newsletter.context import Context
from newsletter.delivery.password_mail import mail_reset_link
from newsletter.errors import DeliveryError, InputError, NewsletterError, RateLimitError, TokenError
from newsletter.staff import passwords
from newsletter.staff.accounts import store
from newsletter.staff.domain.users import RESET_MINUTES
from newsletter.web.auth import LOGIN_PATH, PRIVATE, client_ip, guard, render, session_of

FORGOT_PATH = "/staff/forgot"
RESET_ROUTE = "/staff/reset/{token}"
SENT = (
    "If that address belongs to a staff account, a link to set a new password is on its way "
    f"to it. The link works once, for {RESET_MINUTES} minutes."
)


def routes(ctx: Context, env: Environment) -> list[Route]:
    def public(name: str, status: int = 200, **values: Any) -> HTMLResponse:
        body = env.get_template(name).render(lang="en", **values)
        return HTMLResponse(body, status, headers=PRIVATE)

    def accounts_page(request: Request, status: int = 200, **values: Any) -> Response:
        users = store(ctx).users()
        response = render(env, "staff/accounts.html", request, users=users, **values)
        response.status_code = status
        return response

    @guard(ctx, approver=True)
    async def accounts(request: Request) -> Response:
        return accounts_page(request)

    @guard(ctx, approver=True)
    async def account_action(request: Request) -> Response:
        actor = session_of(request).user
        user_id, action = int(request.path_params["user_id"]), request.path_params["action"]
        try:
            if action == "reset-link":
                user, link = await run_in_threadpool(
                    passwords.issue_reset_link, ctx, actor, user_id
                )
                return accounts_page(request, reset_for=user.email, reset_link=link)
            if action not in ("disable", "enable"):
                return accounts_page(request, 404, error="no such action")
            user = await run_in_threadpool(
                lambda: passwords.set_enabled(ctx, actor, user_id, enabled=action == "enable")
            )
        except NewsletterError as exc:
            return accounts_page(request, 400, error=str(exc))
        done = "disabled (its sessions ended)" if user.disabled else "enabled"
        return accounts_page(request, note=f"{user.email}: {done}")

    @guard(ctx)
    async def own_account(request: Request) -> Response:
        return render(env, "staff/account.html", request)

    @guard(ctx)
    async def change_password(request: Request) -> Response:
        form = await request.form()  # parsed (and the CSRF token checked) by the guard
        current, new, again = form.get("current"), form.get("new"), form.get("again")
        if not all(isinstance(v, str) for v in (current, new, again)) or new != again:
            page = render(env, "staff/account.html", request, error="The new passwords differ.")
            page.status_code = 400
            return page
        user = session_of(request).user
        try:
            await run_in_threadpool(passwords.change_password, ctx, user, str(current), str(new))
        except InputError as exc:
            page = render(env, "staff/account.html", request, error=str(exc))
            page.status_code = 400
            return page
        # Every session ended with the old password, this one too: sign in with the new one.
        return RedirectResponse(LOGIN_PATH, 303, headers=PRIVATE)

    async def forgot_form(request: Request) -> Response:
        return public("staff/forgot.html")

    async def forgot(request: Request) -> Response:
        form = await request.form(max_files=0, max_fields=5)
        email = form.get("email")
        if not isinstance(email, str) or not email.strip():
            return public("staff/forgot.html", 400, error="Enter your email address.")
        try:
            await run_in_threadpool(mail_reset_link, ctx, email, client_ip(request))
        except RateLimitError as exc:
            return public("staff/forgot.html", 429, error=f"{exc}; try again in an hour.")
        except DeliveryError:
            return public("staff/forgot.html", 503, error="The email could not be sent.")
        return public("staff/forgot.html", sent=SENT)

    async def reset_form(request: Request) -> Response:
        try:
            user = await run_in_threadpool(
                passwords.reset_target, ctx, request.path_params["token"]
            )
        except TokenError:
            return public("staff/reset.html", 404, invalid=True)
        return public("staff/reset.html", email=user.email)

    async def reset(request: Request) -> Response:
        token = request.path_params["token"]
        form = await request.form(max_files=0, max_fields=5)
        new, again = form.get("new"), form.get("again")
        try:
            user = await run_in_threadpool(passwords.reset_target, ctx, token)
        except TokenError:
            return public("staff/reset.html", 404, invalid=True)
        if not isinstance(new, str) or new != again:
            return public("staff/reset.html", 400, email=user.email, error="The passwords differ.")
        try:
            await run_in_threadpool(passwords.reset_password, ctx, token, new)
        except InputError as exc:
            return public("staff/reset.html", 400, email=user.email, error=str(exc))
        except TokenError:
            return public("staff/reset.html", 404, invalid=True)
        return RedirectResponse(LOGIN_PATH, 303, headers=PRIVATE)

    return [
        Route("/staff/accounts", accounts, methods=["GET", "HEAD"]),
        Route("/staff/accounts/{user_id:int}/{action}", account_action, methods=["POST"]),
        Route("/staff/account", own_account, methods=["GET", "HEAD"]),
        Route("/staff/account", change_password, methods=["POST"]),
        Route(FORGOT_PATH, forgot_form, methods=["GET", "HEAD"]),
        Route(FORGOT_PATH, forgot, methods=["POST"]),
        Route(RESET_ROUTE, reset_form, methods=["GET", "HEAD"]),
        Route(RESET_ROUTE, reset, methods=["POST"]),
    ]
