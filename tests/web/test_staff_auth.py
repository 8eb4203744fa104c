"""Staff sign-in: every /staff route needs a session, cookies are locked down, CSRF is checked,
and failed sign-ins are rate limited in the database."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from newsletter.web.app import create_app
from newsletter.web.auth import PUBLIC_STAFF_PATHS, SESSION_COOKIE
from tests.services import Services
from tests.web.staff_helpers import APPROVER, EDITOR, PASSWORD, add_accounts, form_token, sign_in


@pytest.fixture
def client(ctx: Services) -> Iterator[TestClient]:
    add_accounts(ctx)
    with TestClient(create_app(ctx.app), follow_redirects=False) as c:
        yield c


#: A value for each path parameter (any other gets 32 x's, e.g. an upload id).
SAMPLES = {"slug": "days-of-clusters-2015", "lang": "en", "member_id": "1", "user_id": "1"}
PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")


def staff_routes(client: TestClient) -> list[Route]:
    app = client.app.app  # type: ignore[attr-defined]  # inside the SecurityHeaders wrapper
    return [r for r in app.routes if isinstance(r, Route) and r.path.startswith("/staff")]


def test_every_staff_route_requires_login(client: TestClient) -> None:
    routes = staff_routes(client)
    assert len(routes) >= 9
    walked = {r.path for r in routes}
    assert {"/staff/calendar", "/staff/reports", "/staff/members/{member_id:int}"} <= walked
    assert "/staff/members/import/{upload}/rejects.csv" in walked
    for route in routes:
        if route.path in PUBLIC_STAFF_PATHS:
            continue
        path = PARAM.sub(lambda m: SAMPLES.get(m.group(1), "x" * 32), route.path)
        for method in sorted(route.methods or ()):
            response = client.request(method, path)
            if method in ("GET", "HEAD"):
                assert response.status_code == 303, (method, path)
                assert response.headers["location"] == "/staff/login"
            else:
                assert response.status_code == 403, (method, path)


def test_sign_in_sets_a_locked_down_cookie_and_sign_out_ends_the_session(
    client: TestClient,
) -> None:
    page = client.get("/staff/login")
    response = client.post(
        "/staff/login",
        data={"email": EDITOR, "password": PASSWORD, "csrf": form_token(page.text)},
    )
    assert response.status_code == 303 and response.headers["location"] == "/staff/campaigns"
    cookie = next(
        v for k, v in response.headers.multi_items() if v.startswith(f"{SESSION_COOKIE}=")
    )
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/staff" in cookie
    assert "Secure" not in cookie  # base_url is http://localhost in the sample config
    home = client.get("/staff/campaigns")
    assert home.status_code == 200 and EDITOR in home.text
    out = client.post("/staff/logout", data={"csrf": form_token(home.text)})
    assert out.status_code == 303
    # The old cookie value is dead on the server too, not only deleted in this browser.
    stolen = response.cookies.get(SESSION_COOKIE)
    assert stolen
    client.cookies.set(SESSION_COOKIE, stolen, path="/staff")
    assert client.get("/staff/campaigns").status_code == 303


def test_login_form_without_its_csrf_cookie_is_refused(client: TestClient) -> None:
    response = client.post(
        "/staff/login", data={"email": EDITOR, "password": PASSWORD, "csrf": "forged"}
    )
    assert response.status_code == 403
    assert SESSION_COOKIE not in response.cookies


def test_staff_post_without_the_session_csrf_token_is_refused(client: TestClient) -> None:
    sign_in(client, APPROVER)
    response = client.post("/staff/campaigns/days-of-clusters-2015/approve", data={})
    assert response.status_code == 403
    response = client.post("/staff/logout", data={"csrf": "x" * 43})
    assert response.status_code == 403


def test_wrong_password_and_unknown_address_get_the_same_answer(client: TestClient) -> None:
    answers = []
    for email, password in ((EDITOR, "wrong password!"), ("nobody@x.example", PASSWORD)):
        page = client.get("/staff/login")
        r = client.post(
            "/staff/login",
            data={"email": email, "password": password, "csrf": form_token(page.text)},
        )
        answers.append((r.status_code, "wrong email address or password" in r.text))
    assert answers == [(401, True), (401, True)]


def test_failed_sign_ins_are_rate_limited_per_address(client: TestClient) -> None:
    def attempt(password: str) -> int:
        page = client.get("/staff/login")
        return client.post(
            "/staff/login",
            data={"email": EDITOR, "password": password, "csrf": form_token(page.text)},
        ).status_code

    assert [attempt("wrong password!") for _ in range(5)] == [401] * 5
    # Now even the right password is refused until the window passes.
    assert attempt(PASSWORD) == 429


def test_failed_sign_ins_are_rate_limited_per_client_address(
    client: TestClient, ctx: Services
) -> None:
    from newsletter.staff import accounts as staff

    for n in range(20):
        with pytest.raises(staff.SignInRefused):
            staff.sign_in(ctx, f"guess{n}@x.example", "whatever at all", "203.0.113.9")
    with pytest.raises(staff.SignInRefused) as refused:
        staff.sign_in(ctx, EDITOR, PASSWORD, "203.0.113.9")
    assert refused.value.throttled
    assert staff.sign_in(ctx, EDITOR, PASSWORD, "198.51.100.1").token


def test_login_page_is_never_cached_and_has_no_inline_script(client: TestClient) -> None:
    page = client.get("/staff/login")
    assert page.headers["cache-control"] == "no-store"
    assert "<script" not in page.text and " style=" not in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


# -- counted before checking, slowed down rather than locked out ---------------------


def test_parallel_wrong_guesses_check_at_most_the_limit(
    client: TestClient, ctx: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from newsletter.staff import accounts as staff
    from newsletter.staff.domain import users as rules

    checked = 0
    lock = threading.Lock()
    verify = rules.verify_password

    def counting(password: str, stored: str) -> bool:
        nonlocal checked
        with lock:
            checked += 1
        return verify(password, stored)

    monkeypatch.setattr(rules, "verify_password", counting)

    def guess(n: int) -> bool:
        try:
            staff.sign_in(ctx, EDITOR, f"wrong guess {n}", "203.0.113.7")
        except staff.SignInRefused as exc:
            return exc.throttled
        return False

    with ThreadPoolExecutor(max_workers=30) as pool:
        throttled = list(pool.map(guess, range(30), timeout=120))
    assert checked <= rules.MAX_FAILURES_PER_EMAIL
    assert throttled.count(True) >= 30 - rules.MAX_FAILURES_PER_EMAIL


def test_the_owner_is_slowed_down_not_locked_out(client: TestClient, ctx: Services) -> None:
    from newsletter.staff import accounts as staff
    from newsletter.staff.domain import users as rules

    clock = ctx.clock
    for n in range(rules.MAX_FAILURES_PER_EMAIL):
        with pytest.raises(staff.SignInRefused):
            staff.sign_in(ctx, EDITOR, f"mistyped {n} times", "198.51.100.4")
    with pytest.raises(staff.SignInRefused) as refused:
        staff.sign_in(ctx, EDITOR, PASSWORD, "198.51.100.4")
    assert refused.value.throttled
    clock.advance(seconds=rules.MAX_DELAY_SECONDS)  # type: ignore[attr-defined]
    assert staff.sign_in(ctx, EDITOR, PASSWORD, "198.51.100.4").token
    # A guesser keeps being refused between the ever longer waits.
    for n in range(4):
        with pytest.raises(staff.SignInRefused):
            staff.sign_in(ctx, APPROVER, f"guess {n}", "192.0.2.1")
    clock.advance(seconds=1)  # type: ignore[attr-defined]
    with pytest.raises(staff.SignInRefused) as refused:
        staff.sign_in(ctx, APPROVER, "guess 99", "192.0.2.1")
    assert not refused.value.throttled  # the fifth attempt is still checked
    with pytest.raises(staff.SignInRefused) as refused:
        staff.sign_in(ctx, APPROVER, PASSWORD, "192.0.2.1")
    assert refused.value.throttled
