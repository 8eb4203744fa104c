"""The member preference centre through the real app: the signed link is the only credential,
a GET changes nothing, topics, language and script change on POST with consent events, and
'unsubscribe from everything' ends every list."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from newsletter.core.links import PREFERENCES, UNSUBSCRIBE
from newsletter.db.tables import consent_events, members, subscriptions
from tests.services import Services
from tests.synthetic import add_members
from tests.web.member_helpers import engine_of


@pytest.fixture
def member(ctx: Services) -> int:
    ids = add_members(
        engine_of(ctx), 1, topics=("events", "news"), languages=("sr-Cyrl",), consent=True
    )
    return ids[0]


def link(ctx: Services, member_id: int, purpose: str = PREFERENCES) -> str:
    token = ctx.links.token(purpose, member_id, "events", int(ctx.clock.now().timestamp()))
    return f"/p/{token}"


def state(ctx: Services, member_id: int) -> tuple[str, dict[str, str]]:
    with engine_of(ctx).connect() as conn:
        language = conn.execute(select(members.c.language).where(members.c.id == member_id))
        rows = conn.execute(
            select(subscriptions.c.topic, subscriptions.c.status).where(
                subscriptions.c.member_id == member_id
            )
        ).all()
        return str(language.scalar()), {str(r.topic): str(r.status) for r in rows}


def test_get_shows_choices_in_the_members_language_and_changes_nothing(
    client: TestClient, ctx: Services, member: int
) -> None:
    before = state(ctx, member)
    page = client.get(link(ctx, member))
    assert page.status_code == 200
    assert 'lang="sr-Cyrl"' in page.text and "Подешавања порука" in page.text
    assert 'value="events" checked' in page.text and 'value="calls">' in page.text
    assert page.headers["cache-control"] == "no-store"
    assert state(ctx, member) == before


def test_switch_to_latin_and_leave_the_events_topic(
    client: TestClient, ctx: Services, member: int
) -> None:
    response = client.post(
        link(ctx, member), data={"language": "sr-Latn", "topic": ["news"], "action": "save"}
    )
    assert response.status_code == 200
    assert "Vaša podešavanja su sačuvana." in response.text
    language, topics = state(ctx, member)
    assert language == "sr-Latn"
    assert topics == {"events": "unsubscribed", "news": "subscribed"}
    with engine_of(ctx).connect() as conn:
        sources = conn.execute(
            select(consent_events.c.topic, consent_events.c.action).where(
                consent_events.c.member_id == member,
                consent_events.c.source == "preference-centre",
            )
        ).all()
    assert [tuple(r) for r in sources] == [("events", "unsubscribed")]


def test_unsubscribe_from_everything(client: TestClient, ctx: Services, member: int) -> None:
    response = client.post(
        link(ctx, member), data={"language": "sr-Cyrl", "topic": ["news"], "action": "leave"}
    )
    assert response.status_code == 200
    _, topics = state(ctx, member)
    assert set(topics.values()) == {"unsubscribed"}


@pytest.mark.parametrize("mangle", ["flip", "purpose", "garbage"])
def test_any_bad_token_is_one_404_and_changes_nothing(
    client: TestClient, ctx: Services, member: int, mangle: str
) -> None:
    url = link(ctx, member)
    if mangle == "flip":
        url = url[:-1] + ("A" if url[-1] != "A" else "B")
    elif mangle == "purpose":
        url = link(ctx, member, UNSUBSCRIBE)
    else:
        url = "/p/nonsense"
    before = state(ctx, member)
    assert client.get(url).status_code == 404
    assert client.post(url, data={"language": "en", "action": "leave"}).status_code == 404
    assert state(ctx, member) == before


def test_an_unknown_language_or_topic_is_refused(
    client: TestClient, ctx: Services, member: int
) -> None:
    before = state(ctx, member)
    bad_language = client.post(link(ctx, member), data={"language": "xx", "action": "save"})
    bad_topic = client.post(
        link(ctx, member), data={"language": "en", "topic": ["secret"], "action": "save"}
    )
    assert bad_language.status_code == bad_topic.status_code == 400
    assert state(ctx, member) == before
