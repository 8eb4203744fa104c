"""Rich text typed into the campaign form: the live preview shows it as members will get it,
and a link that may not be sent is an error beside the field it is in."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from newsletter.web.app import create_app
from tests.services import Services
from tests.web.staff_helpers import EDITOR, add_accounts, sign_in
from tests.web.test_staff_authoring import NEW, call_form, frame_url


@pytest.fixture
def client(ctx: Services) -> Iterator[TestClient]:
    add_accounts(ctx)
    with TestClient(create_app(ctx.app), follow_redirects=False) as c:
        yield c


def test_bold_and_a_link_in_the_intro_show_in_the_live_preview(client: TestClient) -> None:
    csrf = sign_in(client, EDITOR)
    form = call_form(
        csrf,
        **{
            "copy.intro.en": "The **second call** is [open](https://interreg.example/second).",
            "copy.intro.sr-Cyrl": "Други позив је **отворен**.",
        },
    )
    answer = client.post("/staff/campaigns/preview", data=form)
    assert answer.status_code == 200 and "<iframe" in answer.text
    mail = client.get(frame_url(answer.text)).text
    assert 'The <strong>second call</strong> is <a href="https://interreg.example/second"' in mail
    assert "**" not in mail


def test_an_unsafe_link_in_a_paragraph_is_an_error_beside_its_field(client: TestClient) -> None:
    csrf = sign_in(client, EDITOR)
    form = call_form(csrf, **{"copy.intro.en": "Click [here](javascript:alert(1)) now."})
    answer = client.post("/staff/campaigns/preview", data=form)
    problems = re.findall(r'<li data-field="([^"]+)">([^<]+)</li>', answer.text)
    assert any(
        field == "copy.intro" and "javascript" in text and "en:" in text for field, text in problems
    ), problems
    # A draft may be saved with its problems (as with any other unfinished text) but it is not
    # sendable: its page lists the problem, and composing it refuses.
    saved = client.post(NEW, data=form)
    assert saved.status_code == 303
    page = client.get(saved.headers["location"]).text
    assert "No problems found." not in page
    assert re.search(r"link &#39;here&#39; -&gt; &#39;javascript:alert\(1\)&#39;", page), page[
        :3000
    ]
