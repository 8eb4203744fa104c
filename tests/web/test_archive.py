"""The public archive through the real app, on SQLite and PostgreSQL: only campaigns that opted
in (``archive: true``) and went out, rendered with no member's data and no personal link."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select
from starlette.testclient import TestClient

from newsletter.authoring.documents import as_written, import_campaign
from newsletter.content.archive import archived_email
from newsletter.db.tables import members
from newsletter.delivery.sending import send_campaign
from tests.delivery.test_sending import load_samples
from tests.services import Services
from tests.synthetic import add_deliveries, add_members
from tests.web.member_helpers import engine_of

CALL = "interreg-ipa-bg-rs-first-call"  # archive: true
INVITATION = "days-of-clusters-2015"  # archive: true
LETTER = "chairmans-letter"  # archive: false


def mark_sent(ctx: Services, *slugs: str) -> None:
    ids = add_members(engine_of(ctx), 2, prefix=f"reader{len(slugs)}")
    for slug in slugs:
        add_deliveries(engine_of(ctx), ids, slug=slug, at=ctx.clock.now())


def test_only_sent_campaigns_that_opted_in_are_listed(client: TestClient, ctx: Services) -> None:
    empty = client.get("/archive?lang=en")
    assert empty.status_code == 200 and "Nothing here yet." in empty.text
    assert client.get(f"/archive/{CALL}").status_code == 404  # not sent yet
    mark_sent(ctx, CALL, LETTER)
    page = client.get("/archive?lang=en")
    assert f'href="/archive/{CALL}?lang=en"' in page.text
    assert "First Call for proposals open" in page.text
    assert LETTER not in page.text and INVITATION not in page.text
    assert client.get(f"/archive/{LETTER}").status_code == 404
    assert client.get(f"/archive/{LETTER}/email/en").status_code == 404
    # Never a path: the catalog would read files by path.
    assert client.get("/archive/..%2Fconfig").status_code == 404
    assert page.headers["cache-control"] == "public, max-age=300"
    assert "<script" not in page.text and " style=" not in page.text
    bg = client.get("/archive", headers={"Accept-Language": "bg"})
    assert "Архив" in bg.text and "Първа покана" in bg.text


def test_an_archived_email_carries_no_member_data_and_no_personal_link(
    client: TestClient, ctx: Services, project: Path
) -> None:
    load_samples(ctx, project)
    report = send_campaign(ctx, CALL)
    assert report.sent > 0
    with engine_of(ctx).connect() as conn:
        people = conn.execute(
            select(members.c.email, members.c.first_name, members.c.last_name)
        ).all()
    page = client.get(f"/archive/{CALL}?lang=sr-Cyrl")
    assert page.status_code == 200
    # The email is the page (no frame of fixed height), with our chrome inside its body.
    assert "<iframe" not in page.text and '<html lang="sr-Cyrl"' in page.text
    assert '<header class="nl-archive" lang="sr-Cyrl"' in page.text
    assert "/u/" not in page.text and "/p/" not in page.text
    shown = page.headers["content-security-policy"]
    assert "sandbox" in shown and "script-src" not in shown and "frame-ancestors 'none'" in shown
    for lang in ("en", "sr-Cyrl", "sr-Latn", "bg"):
        doc = client.get(f"/archive/{CALL}/email/{lang}")
        assert doc.status_code == 200
        html = doc.text
        assert "[[nl:" not in html
        assert "/u/" not in html and "/p/" not in html  # no unsubscribe or preference token
        assert f"http://localhost:8000/subscribe?lang={lang}" in html
        for address, first, last in people:
            assert address not in html
            assert f"{first} {last}" not in html
        csp = doc.headers["content-security-policy"]
        assert "sandbox" in csp and "script-src" not in csp and "frame-ancestors 'self'" in csp
    text = archived_email(ctx, CALL, "en").text
    assert "[[nl:" not in text and "/u/" not in text and "/p/" not in text


def test_the_archive_follows_the_campaign_languages(client: TestClient, ctx: Services) -> None:
    mark_sent(ctx, INVITATION)
    page = client.get(f"/archive/{INVITATION}?lang=sr-Latn")
    assert page.status_code == 200 and '<html lang="sr-Latn"' in page.text
    for code in ("en", "ro", "bg", "mk", "tr"):
        assert f'href="/archive/{INVITATION}?lang={code}"' in page.text
    doc = client.get(f"/archive/{INVITATION}/email/mk").text
    assert re.search(r"Почитуван/а читателу", doc)
    assert "Dear reader," in archived_email(ctx, INVITATION, "en").text
    assert client.get(f"/archive/{INVITATION}/email/xx").status_code == 404


def test_a_campaign_written_in_the_browser_is_archived_once_sent(
    client: TestClient, ctx: Services
) -> None:
    # The stored copy of a campaign file, as the staff app (or `campaigns import`) keeps it.
    written, _ = as_written(ctx).campaign(LETTER)
    stored = written.model_copy(update={"slug": "letter-from-the-web", "archive": True})
    import_campaign(ctx, stored, by="editor@x.example")
    assert "letter-from-the-web" not in client.get("/archive?lang=en").text  # not sent yet
    mark_sent(ctx, "letter-from-the-web")
    page = client.get("/archive?lang=en")
    assert 'href="/archive/letter-from-the-web?lang=en"' in page.text
    assert client.get("/archive/letter-from-the-web").status_code == 200
