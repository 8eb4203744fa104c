"""Changing a member in the staff app, through the real app on SQLite and PostgreSQL: the
profile with human labels and local times, topics and unsubscribes as consent events that say
who and why, erasure (approvers only, confirmed, exactly the CLI's), one person's data as JSON,
and the list's filters carried through its pages."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from starlette.testclient import TestClient

from newsletter.audiences.data_rights import person_data, suppression_of
from newsletter.cli import main
from newsletter.db.tables import consent_events, members, subscriptions
from newsletter.web.app import create_app
from tests.delivery.test_sending import load_samples
from tests.services import Services
from tests.web.staff_helpers import APPROVER, EDITOR, add_accounts, sign_in

DJORDJE = "djordje.ciric@wine-cluster-vranje.example"


@pytest.fixture
def client(ctx: Services, project: Path) -> Iterator[TestClient]:
    load_samples(ctx, project)
    add_accounts(ctx)
    with TestClient(create_app(ctx.app), follow_redirects=False) as c:
        yield c


def member_url(client: TestClient, query: str, email: str) -> str:
    page = client.get("/staff/members", params={"q": query}).text
    found = re.search(rf'href="(/staff/members/\d+)">{re.escape(email)}<', page)
    assert found, page
    return found.group(1)


def member_id(url: str) -> int:
    return int(url.rsplit("/", 1)[1])


def consent_sources(ctx: Services, mid: int) -> list[tuple[str, str, str]]:
    with ctx.ledger.engine.connect() as conn:  # type: ignore[attr-defined]
        rows = conn.execute(
            select(consent_events.c.topic, consent_events.c.action, consent_events.c.source)
            .where(consent_events.c.member_id == mid)
            .order_by(consent_events.c.id)
        ).all()
    return [tuple(r) for r in rows]


def subscribed(ctx: Services, mid: int) -> set[str]:
    with ctx.ledger.engine.connect() as conn:  # type: ignore[attr-defined]
        return set(
            conn.execute(
                select(subscriptions.c.topic).where(
                    subscriptions.c.member_id == mid, subscriptions.c.status == "subscribed"
                )
            ).scalars()
        )


def test_profile_shows_labels_and_local_minutes_and_saves_an_edit(
    client: TestClient, ctx: Services
) -> None:
    csrf = sign_in(client, EDITOR)
    url = member_url(client, "Ćirić", DJORDJE)  # Latin query, Cyrillic name
    page = client.get(url).text
    for shown in ("First name", "Organisation", "Consent given through", "Language and script"):
        assert shown in page
    assert '<th scope="row">first_name' not in page and "consent_source</th>" not in page
    assert not re.search(r"\d\d:\d\d:\d\d\.\d", page)  # no microseconds anywhere
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d CE[S]?T", page)  # office time, to the minute
    form = {
        "csrf": csrf, "first_name": "Đorđe", "last_name": "Ćirić",
        "organization": "Wine Cluster Vranje", "role": "project manager", "country": "rs",
        "language": "sr-Latn", "tier": "member", "timezone": "Europe/Belgrade",
    }  # fmt: skip
    saved = client.post(f"{url}/profile", data=form)
    assert saved.status_code == 303 and saved.headers["location"] == url
    after = client.get(url).text
    assert "Saved: First name, Last name, Language and script." in after
    with ctx.ledger.engine.connect() as conn:  # type: ignore[attr-defined]
        row = conn.execute(select(members).where(members.c.id == member_id(url))).one()
    assert (row.first_name, row.last_name, row.language, row.country) == (
        "Đorđe", "Ćirić", "sr-Latn", "RS",
    )  # fmt: skip
    # Found by the new spelling and still by the Cyrillic one.
    assert member_url(client, "Djordje Ciric", DJORDJE) == url
    assert member_url(client, "Ђорђе", DJORDJE) == url
    # Refused: the error names the field; nothing is saved.
    bad = client.post(f"{url}/profile", data={**form, "country": "Serbia", "first_name": "X"})
    assert bad.status_code == 303
    shown = client.get(url).text
    assert "Country: not an ISO 3166-1 alpha-2 code" in shown
    assert "Đorđe" in shown
    # Without the form token: refused before anything happens.
    assert client.post(f"{url}/profile", data={**form, "csrf": "x"}).status_code == 403


def test_topics_and_unsubscribe_are_consent_events_with_who_and_why(
    client: TestClient, ctx: Services
) -> None:
    csrf = sign_in(client, EDITOR)
    url = member_url(client, "djordje", DJORDJE)
    mid = member_id(url)
    assert subscribed(ctx, mid) == {"events", "calls"}
    before = len(consent_sources(ctx, mid))
    # No reason: refused, nothing changes.
    client.post(f"{url}/topics", data={"csrf": csrf, "topic": ["calls", "news"], "why": " "})
    assert "Reason: say why" in client.get(url).text
    assert subscribed(ctx, mid) == {"events", "calls"}
    done = client.post(
        f"{url}/topics", data={"csrf": csrf, "topic": ["calls", "news"], "why": "phoned in"}
    )
    assert done.status_code == 303
    assert "2 topic(s) changed" in client.get(url).text
    assert subscribed(ctx, mid) == {"calls", "news"}
    who = f"staff {EDITOR}: phoned in"
    assert consent_sources(ctx, mid)[before:] == [
        ("events", "unsubscribed", who),
        ("news", "subscribed", who),
    ]
    gone = client.post(f"{url}/unsubscribe", data={"csrf": csrf, "why": "wrote in on 3 May"})
    assert gone.status_code == 303
    assert "Unsubscribed from 2 topic(s)" in client.get(url).text
    assert subscribed(ctx, mid) == set()
    assert consent_sources(ctx, mid)[-2:] == [
        ("calls", "unsubscribed", f"staff {EDITOR}: wrote in on 3 May"),
        ("news", "unsubscribed", f"staff {EDITOR}: wrote in on 3 May"),
    ]
    # An unknown topic is refused by name.
    client.post(f"{url}/topics", data={"csrf": csrf, "topic": "nope", "why": "x"})
    assert "Topics: not a list: nope" in client.get(url).text


def test_erasure_is_the_clis_for_approvers_only_and_confirmed(
    client: TestClient, ctx: Services, project: Path
) -> None:
    csrf = sign_in(client, EDITOR)
    url = member_url(client, "djordje", DJORDJE)
    assert "Only an approver may erase" in client.get(url).text
    assert client.post(f"{url}/erase", data={"csrf": csrf, "confirm": DJORDJE}).status_code == 403
    assert person_data(ctx, DJORDJE) is not None
    client.post("/staff/logout", data={"csrf": csrf})
    csrf = sign_in(client, APPROVER)
    client.post(f"{url}/erase", data={"csrf": csrf, "confirm": "someone@else.example"})
    assert "type the member&#39;s address exactly" in client.get(url).text
    assert person_data(ctx, DJORDJE) is not None
    erased = client.post(f"{url}/erase", data={"csrf": csrf, "confirm": DJORDJE.upper()})
    assert erased.status_code == 303 and erased.headers["location"] == "/staff/members"
    assert "was erased" in client.get("/staff/members").text
    assert client.get(url).status_code == 404
    # What the CLI's erasure leaves, for this one and for one erased by the CLI.
    other = "a.halilovic@tuzla-technology-transfer-centre.example"
    result = CliRunner().invoke(
        main, ["--config", str(project / "config.yaml"), "members", "erase", other, "--yes"],
        env={"NEWSLETTER_DATABASE__URL": str(ctx.ledger.engine.url.render_as_string(False))},  # type: ignore[attr-defined]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    for email in (DJORDJE, other):
        assert person_data(ctx, email) is None
        assert suppression_of(ctx, email) == "erased"


def test_one_persons_data_as_a_json_download(client: TestClient) -> None:
    sign_in(client, EDITOR)
    url = member_url(client, "Ћирић", DJORDJE)
    got = client.get(f"{url}/data.json")
    assert got.status_code == 200
    assert got.headers["content-type"].startswith("application/json")
    disposition = got.headers["content-disposition"]
    assert disposition == f'attachment; filename="member-{member_id(url)}.json"'
    assert "no-store" in got.headers["cache-control"]
    doc = json.loads(got.content.decode("utf-8"))
    assert doc["profile"]["email"] == DJORDJE and doc["profile"]["first_name"] == "Ђорђе"
    assert {s["topic"] for s in doc["subscriptions"]} == {"events", "calls"}
    assert doc["consent_history"][0]["source"] == "website-signup"
    assert client.get("/staff/members/999999/data.json").status_code == 404


def test_filters_are_kept_through_the_pages(client: TestClient, ctx: Services) -> None:
    sign_in(client, EDITOR)
    first = client.get("/staff/members", params={"country": "RS", "tier": "member"}).text
    assert "79 member(s)" in first and "page 1 of 2" in first
    nxt = re.search(r'href="/staff/members\?([^"]+)" rel="next"', first)
    assert nxt, first
    query = parse_qs(nxt.group(1).replace("&amp;", "&"))
    assert query == {"country": ["RS"], "tier": ["member"], "page": ["2"]}
    second = client.get("/staff/members?" + nxt.group(1).replace("&amp;", "&")).text
    assert "page 2 of 2" in second and len(re.findall(r'href="/staff/members/\d+"', second)) == 29
    assert '<option value="RS" selected>' in second
    prev = re.search(r'href="/staff/members\?([^"]+)" rel="prev"', second)
    assert prev and "country=RS" in prev.group(1) and "tier=member" in prev.group(1)
    # A segment lists the members it would mail; an unknown one is a clear error.
    segment = client.get("/staff/members", params={"segment": "bg-rs-calls"}).text
    audience = ctx.members.count(ctx.catalog.segment("bg-rs-calls"), None)
    assert audience > 0 and f"{audience} member(s) in segment bg-rs-calls" in segment
    unknown = client.get("/staff/members", params={"segment": "nope"})
    assert unknown.status_code == 400 and "segment &#39;nope&#39;" in unknown.text
