"""Staff accounts in the browser (staff/passwords.py): an approver disables, enables and
makes one-time reset links at /staff/accounts; everyone changes their own password at
/staff/account; "forgot my password" (/staff/forgot) and the reset link's page
(/staff/reset/{token}) need no session. The reset form carries no CSRF token: the token in
its URL is the credential, as on the members' preference page."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from newsletter.delivery.password_mail import mail_reset_link
from newsletter.errors import DeliveryError, InputError, NewsletterError, RateLimitError, TokenError
from newsletter.staff import passwords
from newsletter.staff.accounts import store
from newsletter.staff.domain.users import RESET_MINUTES
from newsletter.web.auth import LOGIN_PATH, PRIVATE, client_ip, guard, render, session_of
from newsletter.web.deps import deps

FORGOT_PATH = "/staff/forgot"
RESET_ROUTE = "/staff/reset/{token}"
SENT = (
    "If that address belongs to a staff account, a link to set a new password is on its way "
    f"to it. The link works once, for {RESET_MINUTES} minutes."
)


def public(request: Request, name: str, status: int = 200, **values: Any) -> HTMLResponse:
    """A page reached without a session (forgot, reset)."""
    body = deps(request).env.get_template(name).render(lang="en", **values)
    return HTMLResponse(body, status, headers=PRIVATE)


def accounts_page(request: Request, status: int = 200, **values: Any) -> Response:
    d = deps(request)
    app = d.app
    users = store(app.staff).users()
    response = render(d.env, "staff/accounts.html", request, users=users, **values)
    response.status_code = status
    return response


def own_page(request: Request, error: str = "") -> Response:
    """The signed-in user's own account page; with ``error``, a 400."""
    if not error:
        return render(deps(request).env, "staff/account.html", request)
    page = render(deps(request).env, "staff/account.html", request, error=error)
    page.status_code = 400
    return page


@guard(approver=True)
async def accounts(request: Request) -> Response:
    return accounts_page(request)


@guard(approver=True)
async def account_action(request: Request) -> Response:
    app = deps(request).app
    actor = session_of(request).user
    user_id, action = int(request.path_params["user_id"]), request.path_params["action"]
    try:
        if action == "reset-link":
            user, link = await run_in_threadpool(
                passwords.issue_reset_link, app.staff, actor, user_id
            )
            return accounts_page(request, reset_for=user.email, reset_link=link)
        if action not in ("disable", "enable"):
            return accounts_page(request, 404, error="no such action")
        user = await run_in_threadpool(
            lambda: passwords.set_enabled(app.staff, actor, user_id, enabled=action == "enable")
        )
    except NewsletterError as exc:
        return accounts_page(request, 400, error=str(exc))
    done = "disabled (its sessions ended)" if user.disabled else "enabled"
    return accounts_page(request, note=f"{user.email}: {done}")


@guard()
async def own_account(request: Request) -> Response:
    return own_page(request)


@guard()
async def change_password(request: Request) -> Response:
    app = deps(request).app
    form = await request.form()  # parsed (and the CSRF token checked) by the guard
    current, new, again = form.get("current"), form.get("new"), form.get("again")
    if not all(isinstance(v, str) for v in (current, new, again)) or new != again:
        return own_page(request, "The new passwords differ.")
    user = session_of(request).user
    try:
        await run_in_threadpool(passwords.change_password, app.staff, user, str(current), str(new))
    except InputError as exc:
        return own_page(request, str(exc))
    # Every session ended with the old password, this one too: sign in with the new one.
    return RedirectResponse(LOGIN_PATH, 303, headers=PRIVATE)


async def forgot_form(request: Request) -> Response:
    return public(request, "staff/forgot.html")


async def forgot(request: Request) -> Response:
    app = deps(request).app
    form = await request.form(max_files=0, max_fields=5)
    email = form.get("email")
    if not isinstance(email, str) or not email.strip():
        return public(request, "staff/forgot.html", 400, error="Enter your email address.")
    try:
        await run_in_threadpool(mail_reset_link, app.delivery, email, client_ip(request))
    except RateLimitError as exc:
        return public(request, "staff/forgot.html", 429, error=f"{exc}; try again in an hour.")
    except DeliveryError:
        return public(request, "staff/forgot.html", 503, error="The email could not be sent.")
    return public(request, "staff/forgot.html", sent=SENT)


async def reset_form(request: Request) -> Response:
    app = deps(request).app
    try:
        user = await run_in_threadpool(
            passwords.reset_target, app.staff, request.path_params["token"]
        )
    except TokenError:
        return public(request, "staff/reset.html", 404, invalid=True)
    return public(request, "staff/reset.html", email=user.email)


async def reset(request: Request) -> Response:
    app = deps(request).app
    token = request.path_params["token"]
    form = await request.form(max_files=0, max_fields=5)
    new, again = form.get("new"), form.get("again")
    try:
        user = await run_in_threadpool(passwords.reset_target, app.staff, token)
    except TokenError:
        return public(request, "staff/reset.html", 404, invalid=True)
    if not isinstance(new, str) or new != again:
        error = "The passwords differ."
        return public(request, "staff/reset.html", 400, email=user.email, error=error)
    try:
        await run_in_threadpool(passwords.reset_password, app.staff, token, new)
    except InputError as exc:
        return public(request, "staff/reset.html", 400, email=user.email, error=str(exc))
    except TokenError:
        return public(request, "staff/reset.html", 404, invalid=True)
    return RedirectResponse(LOGIN_PATH, 303, headers=PRIVATE)


ROUTES = [
    Route("/staff/accounts", accounts, methods=["GET", "HEAD"]),
    Route("/staff/accounts/{user_id:int}/{action}", account_action, methods=["POST"]),
    Route("/staff/account", own_account, methods=["GET", "HEAD"]),
    Route("/staff/account", change_password, methods=["POST"]),
    Route(FORGOT_PATH, forgot_form, methods=["GET", "HEAD"]),
    Route(FORGOT_PATH, forgot, methods=["POST"]),
    Route(RESET_ROUTE, reset_form, methods=["GET", "HEAD"]),
    Route(RESET_ROUTE, reset, methods=["POST"]),
]
