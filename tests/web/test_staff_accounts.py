"""Staff accounts in the browser: disable and enable, one-time reset links, changing one's
own password, and "forgot my password" by email (read from the outbox's raw bytes)."""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from newsletter.config import Settings
from newsletter.staff.domain.users import RESET_MINUTES
from newsletter.staff.passwords import MAX_PER_ADDRESS, MAX_PER_CLIENT
from newsletter.web.app import create_app
from tests.conftest import FrozenClock
from tests.services import Services
from tests.web.staff_helpers import APPROVER, EDITOR, PASSWORD, add_accounts, form_token, sign_in

NEW = "a much better passphrase"


@pytest.fixture
def client(ctx: Services) -> Iterator[TestClient]:
    add_accounts(ctx)
    with TestClient(create_app(ctx.app), follow_redirects=False) as c:
        yield c


def user_id(ctx: Services, address: str) -> int:
    assert ctx.staff is not None
    return next(u.id for u in ctx.staff.users() if u.email == address)


def try_sign_in(client: TestClient, address: str, password: str) -> int:
    page = client.get("/staff/login")
    data = {"email": address, "password": password, "csrf": form_token(page.text)}
    return client.post("/staff/login", data=data).status_code


def mails(settings: Settings) -> list[EmailMessage]:
    folder = Path(settings.path(settings.delivery.outbox_dir)) / "staff"
    found = []
    for path in sorted(folder.rglob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        found.append(msg)
    return found


def test_an_approver_disables_and_enables_an_account(ctx: Services, client: TestClient) -> None:
    editor = TestClient(create_app(ctx.app), follow_redirects=False)
    sign_in(editor, EDITOR)
    csrf = sign_in(client, APPROVER)
    page = client.get("/staff/accounts")
    assert page.status_code == 200 and EDITOR in page.text
    target = user_id(ctx, EDITOR)
    done = client.post(f"/staff/accounts/{target}/disable", data={"csrf": csrf})
    assert done.status_code == 200 and f"{EDITOR}: disabled" in done.text
    # The editor's open session ended at once, and the right password no longer signs in.
    assert editor.get("/staff/campaigns").status_code == 303
    assert try_sign_in(editor, EDITOR, PASSWORD) == 401
    assert (
        "this account is disabled"
        in editor.post(
            "/staff/login",
            data={
                "email": EDITOR,
                "password": PASSWORD,
                "csrf": form_token(editor.get("/staff/login").text),
            },
        ).text
    )
    client.post(f"/staff/accounts/{target}/enable", data={"csrf": csrf})
    assert try_sign_in(editor, EDITOR, PASSWORD) == 303
    # Nobody disables themselves; an editor cannot reach the page at all.
    own = client.post(f"/staff/accounts/{user_id(ctx, APPROVER)}/disable", data={"csrf": csrf})
    assert own.status_code == 400 and "your own account" in own.text
    editor_csrf = form_token(editor.get("/staff/campaigns").text)
    assert editor.get("/staff/accounts").status_code == 403
    refused = editor.post(f"/staff/accounts/{target}/disable", data={"csrf": editor_csrf})
    assert refused.status_code == 403
    # Without the form token nothing happens.
    assert client.post(f"/staff/accounts/{target}/disable").status_code == 403


def test_a_reset_link_works_once(ctx: Services, client: TestClient, clock: FrozenClock) -> None:
    csrf = sign_in(client, APPROVER)
    page = client.post(f"/staff/accounts/{user_id(ctx, EDITOR)}/reset-link", data={"csrf": csrf})
    found = re.search(r"<code>https?://[^/]+(/staff/reset/[^<]+)</code>", page.text)
    assert found, page.text
    link = found.group(1)
    other = TestClient(create_app(ctx.app), follow_redirects=False)
    form = other.get(link)
    assert form.status_code == 200 and EDITOR in form.text
    differ = other.post(link, data={"new": NEW, "again": NEW + "x"})
    assert differ.status_code == 400
    short = other.post(link, data={"new": "short", "again": "short"})
    assert short.status_code == 400 and "10" in short.text
    assert other.post(link, data={"new": NEW, "again": NEW}).status_code == 303
    assert try_sign_in(other, EDITOR, PASSWORD) == 401
    assert try_sign_in(other, EDITOR, NEW) == 303
    # Spent: the password it was made for is gone.
    assert other.get(link).status_code == 404
    assert other.post(link, data={"new": PASSWORD, "again": PASSWORD}).status_code == 404
    # A fresh link expires after its minutes.
    page = client.post(f"/staff/accounts/{user_id(ctx, EDITOR)}/reset-link", data={"csrf": csrf})
    later = re.search(r"(/staff/reset/[^<]+)</code>", page.text)
    assert later
    clock.advance(minutes=RESET_MINUTES + 1)
    assert other.get(later.group(1)).status_code == 404


def test_a_user_changes_their_own_password(ctx: Services, client: TestClient) -> None:
    csrf = sign_in(client, EDITOR)
    wrong = client.post(
        "/staff/account", data={"csrf": csrf, "current": "nope", "new": NEW, "again": NEW}
    )
    assert wrong.status_code == 400 and "current password is wrong" in wrong.text
    changed = client.post(
        "/staff/account", data={"csrf": csrf, "current": PASSWORD, "new": NEW, "again": NEW}
    )
    assert changed.status_code == 303 and changed.headers["location"] == "/staff/login"
    assert client.get("/staff/campaigns").status_code == 303  # signed out everywhere
    assert try_sign_in(client, EDITOR, PASSWORD) == 401
    assert try_sign_in(client, EDITOR, NEW) == 303


def test_forgot_password_mails_a_link_to_staff_only_and_is_limited(
    ctx: Services, client: TestClient, settings: Settings
) -> None:
    assert "/staff/forgot" in client.get("/staff/login").text
    answers = set()
    for address in (EDITOR, "stranger@cluster-house.example"):
        response = client.post("/staff/forgot", data={"email": address})
        assert response.status_code == 200
        answers.add(response.text)
    assert len(answers) == 1  # the same page for an account and for a stranger
    (sent,) = mails(settings)
    assert sent["To"].addresses[0].addr_spec == EDITOR
    body = sent.get_body(("plain",))
    assert body is not None
    found = re.search(r"https?://[^/\s]+(/staff/reset/\S+)", body.get_content())
    assert found
    assert client.post(found.group(1), data={"new": NEW, "again": NEW}).status_code == 303
    assert try_sign_in(client, EDITOR, NEW) == 303
    # Per address: a few emails an hour, then the same answer and no mail.
    for _ in range(MAX_PER_ADDRESS + 1):
        assert client.post("/staff/forgot", data={"email": APPROVER}).status_code == 200
    assert len(mails(settings)) == 1 + MAX_PER_ADDRESS
    # Per client: past the limit the page says so.
    used = 2 + MAX_PER_ADDRESS + 1
    for _ in range(MAX_PER_CLIENT - used):
        assert (
            client.post("/staff/forgot", data={"email": "x@cluster-house.example"}).status_code
            == 200
        )
    assert client.post("/staff/forgot", data={"email": EDITOR}).status_code == 429
