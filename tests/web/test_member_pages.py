"""The member pages through the real app (Starlette's TestClient): the landing
page, the way back after unsubscribing, leaving everything asked once, the robot trap hidden
from screen readers in the page's language, localised dates and chrome with per-string
fallback, and the archived email shown as the page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from starlette.testclient import TestClient

from newsletter.core.links import PREFERENCES, UNSUBSCRIBE
from newsletter.web.subscribe_strings import SUBSCRIBE, subscribe_strings
from tests.services import Services
from tests.synthetic import add_deliveries
from tests.web.member_helpers import engine_of, sent_members

CALL = "interreg-ipa-bg-rs-first-call"  # archive: true; en, bg, sr-Cyrl, sr-Latn
SENT = dt.datetime(2015, 10, 2, 9, 30, tzinfo=dt.UTC)


@pytest.fixture
def member(ctx: Services) -> int:
    mids = sent_members(ctx, "tr")
    add_deliveries(engine_of(ctx), mids, slug=CALL, at=SENT)
    return mids[0]


def token(ctx: Services, member_id: int, purpose: str) -> str:
    return ctx.links.token(purpose, member_id, "events", int(ctx.clock.now().timestamp()))


def test_the_landing_page_says_what_the_network_sends(
    client: TestClient, ctx: Services, member: int
) -> None:
    page = client.get("/", headers={"Accept-Language": "mk-MK,en;q=0.5"})
    assert page.status_code == 200 and '<html lang="mk">' in page.text
    assert "Мрежа на кластери од Балканот и Црното Море" in page.text  # the name in Macedonian
    assert 'href="/subscribe?lang=mk"' in page.text and 'href="/archive?lang=mk"' in page.text
    assert f'href="/archive/{CALL}?lang=mk"' in page.text
    assert "2\xa0октомври 2015" in page.text  # CLDR's Macedonian date, day kept with month
    assert "<script" not in page.text and " style=" not in page.text
    assert client.get("/?lang=tr").text.count('lang="tr"') >= 1


def test_unsubscribed_page_offers_a_way_back(
    client: TestClient, ctx: Services, member: int
) -> None:
    url = f"/u/{token(ctx, member, UNSUBSCRIBE)}"
    done = client.post(url, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "Aboneliğiniz sonlandırıldı" in done.text
    assert "Fikrinizi mi değiştirdiniz?" in done.text
    found = re.search(r'<a href="(/p/[^"]+)">Aldığınız e-postaları seçin</a>', done.text)
    assert found, done.text
    back = client.get(found.group(1))
    assert back.status_code == 200 and "E-posta tercihleriniz" in back.text
    assert 'id="topic-events" name="topic" value="events">' in back.text  # now off


def test_leaving_everything_is_asked_once_and_looks_apart(
    client: TestClient, ctx: Services, member: int
) -> None:
    page = client.get(f"/p/{token(ctx, member, PREFERENCES)}").text
    details = page[page.index('<details class="danger-zone">') : page.index("</details>")]
    assert "<summary>Tüm e-postalardan çık</summary>" in details
    assert 'value="leave" class="danger">Evet, tüm e-postalardan çık</button>' in details
    assert 'value="save"' not in details
    for control in re.findall(r'<input type="(?:checkbox|radio)" id="([^"]+)"', page):
        assert f'<label for="{control}"' in page


@pytest.mark.parametrize("lang", sorted(SUBSCRIBE))
def test_the_robot_trap_is_hidden_from_everyone_in_every_language(
    client: TestClient, lang: str
) -> None:
    page = client.get(f"/subscribe?lang={lang}").text
    trap = re.search(r'<div class="trap" aria-hidden="true">(.*?)</div>', page)
    assert trap, page
    assert subscribe_strings(lang)["trap"] in trap.group(1)
    assert 'tabindex="-1"' in trap.group(1) and 'autocomplete="off"' in trap.group(1)


def test_archive_dates_and_chrome_follow_the_visitor(
    client: TestClient, ctx: Services, member: int
) -> None:
    index = client.get("/archive?lang=sr-Latn").text
    assert ">2015-10-02<" not in index and ">2.\xa0oktobar 2015.<" in index
    # Macedonian: the call is not written in it, the chrome still is.
    shown = client.get(f"/archive/{CALL}?lang=mk")
    assert shown.status_code == 200 and "<iframe" not in shown.text
    assert '<header class="nl-archive" lang="mk"' in shown.text
    assert "Испратено 2\xa0октомври 2015" in shown.text and "Сите известувања" in shown.text
    assert "Не е напишано на Македонски" in shown.text
    assert shown.text.index("</header>") < shown.text.index("</body>")


def test_a_missing_string_falls_back_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    partial = {k: v for k, v in SUBSCRIBE["bg"].items() if k != "archive_intro"}
    monkeypatch.setitem(SUBSCRIBE, "bg", partial)
    s = subscribe_strings("bg")
    assert s["archive_intro"] == SUBSCRIBE["en"]["archive_intro"]
    assert s["archive_title"] == "Архив"  # the rest stays Bulgarian


def test_a_bad_link_is_answered_in_the_visitors_language(client: TestClient) -> None:
    page = client.get("/p/nonsense", headers={"Accept-Language": "ro"})
    assert page.status_code == 404 and "Acest link nu este valid" in page.text
    page = client.get("/u/nonsense", headers={"Accept-Language": "sr-Latn"})
    assert page.status_code == 404 and "Ova veza ne važi" in page.text


def test_an_unknown_address_gets_the_page_not_a_bare_not_found(client: TestClient) -> None:
    page = client.get("/no/such/page", headers={"Accept-Language": "bg"})
    assert page.status_code == 404 and '<html lang="bg">' in page.text
    assert "Тази връзка не е валидна" in page.text
    assert "content-security-policy" in page.headers
