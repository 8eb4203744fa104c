"""Staff sign-in: the session cookie, CSRF checks and the guard every /staff page goes through.

- The session cookie is HttpOnly, SameSite=Lax, scoped to ``/staff`` and Secure when the
  public base URL is https. Its value is a random token; the server keeps only its hash.
- Every staff form carries the CSRF token bound to the session (the login form, which has no
  session yet, uses a double-submit cookie). POSTs without a matching token get 403.
- A page reached without a session redirects to the fixed ``/staff/login`` path: there is no
  ``next=`` parameter, so no open redirect.
"""

from __future__ import annotations

import functools
import hmac
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from jinja2 import Environment
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from newsletter.bootstrap import App
from newsletter.staff import accounts as staff
from newsletter.staff.ports import Session
from newsletter.web.deps import deps

SESSION_COOKIE = "nl_staff"
LOGIN_COOKIE = "nl_login"
CSRF_FIELD = "csrf"
LOGIN_PATH = "/staff/login"
HOME_PATH = "/staff/campaigns"
#: Staff pages are private and change with every action: never cache them anywhere.
PRIVATE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}

Handler = Callable[[Request], Awaitable[Response]]


def secure_cookies(app: App) -> bool:
    return app.staff.links.base_url.startswith("https://")


def session_of(request: Request) -> Session:
    """The session :func:`guard` attached to the request."""
    found: Session = request.state.staff
    return found


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def same_token(given: object, expected: str) -> bool:
    return isinstance(given, str) and hmac.compare_digest(given.encode(), expected.encode())


def guard(
    *, approver: bool = False, files: int = 0, fields: int = 50
) -> Callable[[Handler], Handler]:
    """Wrap a staff endpoint: a live session is required, and for POSTs a matching CSRF token
    (and, with ``approver``, the approver role). ``files``: how many uploaded files the form
    may carry (none unless a page asks; the parsed form is cached for the handler);
    ``fields``: how many fields (an import's mapping step has one per column)."""

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def guarded(request: Request) -> Response:
            app = deps(request).app
            token = request.cookies.get(SESSION_COOKIE)
            session = await run_in_threadpool(staff.current, app.staff, token)
            if session is None:
                if request.method in ("GET", "HEAD"):
                    return RedirectResponse(LOGIN_PATH, 303, headers=PRIVATE)
                return Response("sign in first", 403, headers=PRIVATE)
            if request.method not in ("GET", "HEAD"):
                form = await request.form(max_files=files, max_fields=fields)
                if not same_token(form.get(CSRF_FIELD), session.csrf):
                    await form.close()  # an uploaded file's spooled temporary file
                    return Response("invalid form token; reload the page", 403, headers=PRIVATE)
            if approver and not session.user.can_approve:
                return Response("only an approver may do this", 403, headers=PRIVATE)
            request.state.staff = session
            return await handler(request)

        return guarded

    return wrap


def login_page(request: Request, error: str = "", status: int = 200) -> Response:
    """The sign-in form with a fresh double-submit CSRF token (cookie and hidden field)."""
    d = deps(request)
    app = d.app
    csrf = secrets.token_urlsafe(32)
    body = d.env.get_template("staff/login.html").render(
        lang="en", csrf=csrf, error=error, organisation=app.content.organisation.name
    )
    response = HTMLResponse(body, status, headers=PRIVATE)
    response.set_cookie(
        LOGIN_COOKIE,
        csrf,
        path=LOGIN_PATH,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(app),
    )
    return response


async def show(request: Request) -> Response:
    return login_page(request)


async def submit(request: Request) -> Response:
    app = deps(request).app
    form = await request.form(max_files=0, max_fields=10)
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not same_token(form.get(CSRF_FIELD), expected):
        return login_page(request, "The form expired; please try again.", 403)
    email, password = form.get("email"), form.get("password")
    if not isinstance(email, str) or not isinstance(password, str):
        return login_page(request, "Enter your email address and password.", 400)
    try:
        signed = await run_in_threadpool(
            staff.sign_in, app.staff, email, password, client_ip(request)
        )
    except staff.SignInRefused as exc:
        return login_page(request, str(exc), 429 if exc.throttled else 401)
    response = RedirectResponse(HOME_PATH, 303, headers=PRIVATE)
    response.set_cookie(
        SESSION_COOKIE,
        signed.token,
        max_age=staff.SESSION_HOURS * 3600,
        path="/staff",
        httponly=True,
        samesite="lax",
        secure=secure_cookies(app),
    )
    response.delete_cookie(LOGIN_COOKIE, path=LOGIN_PATH)
    return response


@guard()
async def logout(request: Request) -> Response:
    app = deps(request).app
    token = request.cookies.get(SESSION_COOKIE, "")
    await run_in_threadpool(staff.sign_out, app.staff, token)
    response = RedirectResponse(LOGIN_PATH, 303, headers=PRIVATE)
    response.delete_cookie(SESSION_COOKIE, path="/staff")
    return response


ROUTES = [
    Route(LOGIN_PATH, show, methods=["GET", "HEAD"]),
    Route(LOGIN_PATH, submit, methods=["POST"]),
    Route("/staff/logout", logout, methods=["POST"]),
]


#: Routes under /staff that are reachable without a session (the route-table test checks
#: that everything else refuses anonymous requests).
PUBLIC_STAFF_PATHS = frozenset({LOGIN_PATH, "/staff/forgot", "/staff/reset/{token}"})


def render(env: Environment, name: str, request: Request, **values: Any) -> HTMLResponse:
    """A staff page, with the signed-in user and the CSRF token every form needs."""
    session = session_of(request)
    body = env.get_template(name).render(
        lang="en", user=session.user, csrf=session.csrf, csrf_field=CSRF_FIELD, **values
    )
    return HTMLResponse(body, headers=PRIVATE)
