"""The audience panel of a campaign page: readers per language version, who falls back to
which, and the warning for a sizable group reading another language's version."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from newsletter.web.app import create_app
from tests.services import Services
from tests.synthetic import add_members
from tests.web.staff_helpers import EDITOR, add_accounts, sign_in

LETTER = "chairmans-letter"  # en, sr-Cyrl, sr-Latn; audience all-news


@pytest.fixture
def client(ctx: Services) -> Iterator[TestClient]:
    add_accounts(ctx)
    with TestClient(create_app(ctx.app), follow_redirects=False) as c:
        yield c


def test_audience_panel_shows_each_version_and_its_fallbacks(
    client: TestClient, ctx: Services
) -> None:
    engine = ctx.ledger.engine  # type: ignore[attr-defined]
    for prefix, language, count in (
        ("en", "en", 30),
        ("cy", "sr-Cyrl", 25),
        ("la", "sr-Latn", 12),
        ("ro", "ro", 40),
        ("mk", "mk", 4),
    ):
        add_members(engine, count, topics=("news",), prefix=prefix, languages=(language,))
    sign_in(client, EDITOR)
    page = client.get(f"/staff/campaigns/{LETTER}").text
    rows = re.findall(
        r'<tr data-version="([^"]+)"><td>[^<]+</td><td class="num">(\d+)</td><td>([^<]*)</td>',
        page,
    )
    assert rows == [
        ("en", "74", "4 mk, 40 ro"),
        ("sr-Cyrl", "25", "none"),
        ("sr-Latn", "12", "none"),
    ]
    warnings = re.findall(r'data-testid="coverage-warning">([^<]+)<', page)
    # 40 of 111 read Romanian; the 4 Macedonian readers are too few to warn about.
    assert warnings == [
        "40 of 111 readers (36%) read ro but get the en version (add ro to the campaign&#39;s "
        "languages to write one for them)"
    ]
    assert "111 members would receive it now." in page
