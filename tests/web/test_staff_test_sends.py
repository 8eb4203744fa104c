"""Test sends from the campaign page through the real app: any step, all languages at once,
addresses outside the staff only once confirmed, and test links that say they were a test."""

from __future__ import annotations

import email
import re
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from newsletter.config import Settings
from newsletter.web.app import create_app
from tests.services import Services
from tests.synthetic import add_members
from tests.web.staff_helpers import APPROVER, EDITOR, add_accounts, sign_in

SLUG = "days-of-clusters-2015"
STEP = "early-bird-1d"
LANGUAGES = ["en", "sr-Cyrl", "sr-Latn", "ro", "bg", "mk", "tr"]
PARTNER = "ana.popescu@partner.example"


@pytest.fixture
def client(ctx: Services) -> Iterator[TestClient]:
    add_accounts(ctx)
    with TestClient(create_app(ctx.app), follow_redirects=False) as c:
        yield c


def outbox_messages(settings: Settings, step: str) -> list[EmailMessage]:
    folder = Path(settings.path(settings.delivery.outbox_dir)) / SLUG / step
    found = []
    for path in sorted(folder.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        found.append(message)
    return found


def html_of(message: EmailMessage) -> str:
    body = message.get_body(("html",))
    assert body is not None
    return str(body.get_content())


def test_a_reminder_step_in_every_language_at_once(
    client: TestClient, ctx: Services, settings: Settings
) -> None:
    csrf = sign_in(client, EDITOR)
    page = client.get(f"/staff/campaigns/{SLUG}").text
    assert f'<option value="{STEP}">reminder {STEP}</option>' in page
    assert '<option value="all">all 7 languages' in page
    sent = client.post(
        f"/staff/campaigns/{SLUG}/test-send",
        data={"csrf": csrf, "step": STEP, "lang": "all", "to": [EDITOR, APPROVER]},
    )
    assert sent.status_code == 303
    notice = client.get(sent.headers["location"]).text
    assert f"Test of reminder {STEP} sent to {EDITOR}, {APPROVER} in en, sr-Cyrl" in notice
    messages = outbox_messages(settings, STEP)
    assert len(messages) == 2 * len(LANGUAGES)
    langs = sorted(re.search(r'<html lang="([^"]+)"', html_of(m)).group(1) for m in messages)  # type: ignore[union-attr]
    assert langs == sorted(LANGUAGES * 2)
    # (A subject longer than a header line is folded right after "Subject:" (RFC 5322 §2.2.3).)
    assert all(str(m["Subject"]).strip().startswith("[TEST] ") for m in messages)
    assert not outbox_messages(settings, "main")  # only the step chosen
    with ctx.ledger.engine.connect() as conn:  # type: ignore[attr-defined]
        assert conn.exec_driver_sql("select count(*) from deliveries").scalar() == 0


def test_an_address_outside_the_staff_needs_a_confirmation(
    client: TestClient, settings: Settings
) -> None:
    csrf = sign_in(client, EDITOR)
    form = {"csrf": csrf, "step": "main", "lang": "ro", "to_other": f"{PARTNER}, {APPROVER}"}
    refused = client.post(f"/staff/campaigns/{SLUG}/test-send?lang=ro", data=form)
    page = client.get(refused.headers["location"]).text
    assert f"Not sent: {PARTNER} is not a staff account" in page
    assert not outbox_messages(settings, "main")

    confirmed = client.post(
        f"/staff/campaigns/{SLUG}/test-send?lang=ro", data={**form, "confirm_outside": "yes"}
    )
    page = client.get(confirmed.headers["location"]).text
    assert f"Test sent to {PARTNER}, {APPROVER} (outbox)." in page
    to = sorted(str(m["To"]) for m in outbox_messages(settings, "main"))
    assert [APPROVER in t for t in to].count(True) == 1 and [PARTNER in t for t in to].count(
        True
    ) == 1

    bad = client.post(
        f"/staff/campaigns/{SLUG}/test-send",
        data={**form, "to_other": "not-an-address", "confirm_outside": "yes"},
    )
    assert "not an email address" in client.get(bad.headers["location"]).text


def test_the_links_of_a_test_open_a_test_page_in_its_language(
    client: TestClient, ctx: Services, settings: Settings
) -> None:
    # A member's own address: a test to it must still not carry working member links.
    engine = ctx.ledger.engine  # type: ignore[attr-defined]
    add_members(engine, 1, topics=("events",), prefix="vesna")
    # (the only member: the subscriptions table holds her one row)
    member = "vesna0@synthetic.example"
    csrf = sign_in(client, EDITOR)
    client.post(
        f"/staff/campaigns/{SLUG}/test-send",
        data={
            "csrf": csrf,
            "step": "main",
            "lang": "bg",
            "to_other": member,
            "confirm_outside": "yes",
        },
    )
    (message,) = outbox_messages(settings, "main")
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    links = dict(re.findall(r"https?://[^/\s]+/([up])/(\S+)", text))
    assert set(links) == {"u", "p"}
    header = str(message["List-Unsubscribe"])
    one_click = re.search(r"<https?://[^/]+(/u/[^>]+)>", header).group(1)  # type: ignore[union-attr]
    for response in (
        client.get(f"/u/{links['u']}"),
        client.get(f"/p/{links['p']}"),
        client.post(one_click, data={"List-Unsubscribe": "One-Click"}),
    ):
        assert response.status_code == 200
        assert "Това беше тестов имейл" in response.text  # in the test's language
        assert '<html lang="bg">' in response.text
    with engine.connect() as conn:
        status = conn.exec_driver_sql("select status from subscriptions").scalars().all()
    assert status == ["subscribed"]  # nothing changed
    assert client.get("/u/not-a-token").status_code == 404
