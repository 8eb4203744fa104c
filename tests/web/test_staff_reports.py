"""Staff reports through the real app, on SQLite and PostgreSQL: counts and rates as
``campaigns report`` gives them, the complaint warning and block (lifted by an approver only),
and the outcomes per day as an inline SVG chart."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from newsletter.delivery.ingest import ingest_events
from newsletter.delivery.report_series import daily_series
from newsletter.delivery.reporting import campaign_report
from newsletter.web.app import create_app
from newsletter.web.staff.charts import daily_lines, nice_ceiling
from tests.services import Services
from tests.synthetic import add_deliveries, add_members
from tests.web.staff_helpers import APPROVER, EDITOR, add_accounts, sign_in

CALL = "interreg-ipa-bg-rs-first-call"
DAY = 86400
T0 = int(dt.datetime(2015, 9, 1, 9, 0, tzinfo=dt.UTC).timestamp())


@pytest.fixture
def client(ctx: Services) -> Iterator[TestClient]:
    add_accounts(ctx)
    with TestClient(create_app(ctx.app), follow_redirects=False) as c:
        yield c


def sent(ctx: Services, count: int = 200) -> list[int]:
    engine = ctx.ledger.engine  # type: ignore[attr-defined]
    ids = add_members(engine, count, topics=("calls",))
    at = dt.datetime.fromtimestamp(T0, dt.UTC)
    return add_deliveries(engine, ids, slug=CALL, topic="calls", at=at)[1]


def event(kind: str, did: int, when: int, **extra: Any) -> dict[str, Any]:
    return {
        "email": f"m{did}@y.example",
        "timestamp": when,
        "event": kind,
        "sg_event_id": f"{kind}{did}-{when}",
        "nl_delivery_id": str(did),
        **extra,
    }


def test_report_shows_counts_rates_and_a_chart_per_day(client: TestClient, ctx: Services) -> None:
    ids = sent(ctx)
    ingest_events(
        ctx,
        [event("delivered", d, T0 + 60) for d in ids[:196]]
        + [event("bounce", d, T0 + 120, type="bounce") for d in ids[196:198]]
        + [event("open", d, T0 + DAY) for d in ids[:50]]
        + [event("open", d, T0 + DAY + 5) for d in ids[:10]]  # opening again counts once
        + [event("click", d, T0 + 3 * DAY, url="https://a.example") for d in ids[:7]],
    )
    sign_in(client, EDITOR)
    page = client.get(f"/staff/campaigns/{CALL}/report")
    assert page.status_code == 200
    text = page.text
    report = campaign_report(ctx, CALL)
    assert report.counts["delivered"] == 196 and report.counts["opened"] == 50
    assert re.search(
        r"<td>Delivered</td><td class=\"num\">196</td><td class=\"num\">98\.00 %", text
    )
    assert re.search(r"<td>Opened</td><td class=\"num\">50</td><td class=\"num\">25\.51 %", text)
    assert "<svg" in text and 'role="img"' in text
    # Four days from the send to the last click, the days between them drawn as zeros.
    series = daily_series(ctx, CALL)
    assert [d.isoformat() for d in series.days] == [
        "2015-09-01", "2015-09-02", "2015-09-03", "2015-09-04",
    ]  # fmt: skip
    assert series.values["sent"] == [200, 0, 0, 0]
    assert series.values["opened"] == [0, 50, 0, 0] and series.values["clicked"] == [0, 0, 0, 7]
    assert series.values["bounced"] == [2, 0, 0, 0]
    assert "2015-09-02: opened 50" in text
    # No script and no style attribute: colours are SVG presentation attributes.
    assert "<script" not in text and " style=" not in text
    index = client.get("/staff/reports")
    assert index.status_code == 200
    assert f'href="/staff/campaigns/{CALL}/report"' in index.text and "25.5 %" in index.text
    assert "not sent yet" in index.text  # the other sample campaigns


def test_complaints_warn_then_block_and_only_an_approver_lifts_the_block(
    client: TestClient, ctx: Services
) -> None:
    ids = sent(ctx, 400)
    ingest_events(ctx, [event("delivered", d, T0) for d in ids])
    ingest_events(ctx, [event("spamreport", ids[0], T0 + 60)])  # 0.25 %: warn
    csrf = sign_in(client, EDITOR)
    page = client.get(f"/staff/campaigns/{CALL}/report").text
    assert "mailbox providers start filtering" in page and "acknowledge-complaints" not in page
    ingest_events(ctx, [event("spamreport", ids[1], T0 + 120)])  # 0.5 %: block
    page = client.get(f"/staff/campaigns/{CALL}/report").text
    assert "new campaigns are blocked" in page and "An approver can acknowledge" in page
    refused = client.post(f"/staff/campaigns/{CALL}/acknowledge-complaints", data={"csrf": csrf})
    assert refused.status_code == 403
    assert campaign_report(ctx, CALL).stats.blocks

    client.cookies.clear()
    csrf = sign_in(client, APPROVER)
    page = client.get(f"/staff/campaigns/{CALL}/report").text
    assert "Acknowledge 2 complaint(s)" in page
    done = client.post(f"/staff/campaigns/{CALL}/acknowledge-complaints", data={"csrf": csrf})
    assert done.status_code == 303
    assert done.headers["location"] == f"/staff/campaigns/{CALL}/report"
    assert not campaign_report(ctx, CALL).stats.blocks
    assert "acknowledged at 2 complaints" in client.get(f"/staff/campaigns/{CALL}/report").text


def test_unsent_and_unknown_campaigns(client: TestClient) -> None:
    sign_in(client, EDITOR)
    page = client.get(f"/staff/campaigns/{CALL}/report")
    assert page.status_code == 200 and "Nothing has been sent yet." in page.text
    assert client.get("/staff/campaigns/nope/report").status_code == 404


def test_chart_scales_to_nice_numbers_and_escapes_labels() -> None:
    assert [nice_ceiling(v) for v in (0, 1, 3, 7, 10, 11, 99, 101, 4999)] == [
        1, 1, 5, 10, 10, 20, 100, 200, 5000,
    ]  # fmt: skip
    svg = daily_lines([dt.date(2015, 9, 1)], {"opened": [3]}, title="<b>x</b> & y")
    assert "&lt;b&gt;x&lt;/b&gt; &amp; y" in svg and "<b>" not in svg
    assert svg.count("<circle") == 1 and "<polyline" not in svg  # one day: a point, no line


def test_without_provider_events_only_handed_over_is_claimed(
    client: TestClient, ctx: Services
) -> None:
    sent(ctx, 20)  # handed to the outbox: no provider ever reports on them
    sign_in(client, EDITOR)
    index = client.get("/staff/reports").text
    row = index[index.index(f'href="/staff/campaigns/{CALL}/report"') :].split("</tr>")[0]
    assert '<td class="num">20</td>' in row and "not reported" in row
    assert row.count(" %") == 1  # only the unsubscribe rate, which is our own to know
    page = client.get(f"/staff/campaigns/{CALL}/report").text
    assert 'data-testid="not-reported"' in page
    assert re.search(
        r"<td>Delivered</td><td class=\"num\">0</td><td class=\"num\">not reported", page
    )


def test_clicks_per_link_and_outcomes_per_language(client: TestClient, ctx: Services) -> None:
    engine = ctx.ledger.engine  # type: ignore[attr-defined]
    members = add_members(engine, 200, topics=("calls",))
    at = dt.datetime.fromtimestamp(T0, dt.UTC)
    add_deliveries(engine, members[:120], slug=CALL, topic="calls", at=at, language="en")
    ids = add_deliveries(engine, members[120:], slug=CALL, topic="calls", at=at, language="bg")[1]
    en, bg = ids[:120], ids[120:]
    base = ctx.links.base_url
    programme = "https://interreg-ipa-bg-rs.example/first-call"
    ingest_events(
        ctx,
        [event("delivered", d, T0 + 60) for d in ids[:190]]
        + [event("open", d, T0 + 600) for d in en[:60] + bg[:20]]
        + [event("click", d, T0 + 900, url=programme) for d in en[:30] + bg[:5]]
        # One member clicks the programme link twice: two clicks, one member.
        + [event("click", en[0], T0 + 950, url=programme)]
        + [event("click", d, T0 + 990, url=f"{base}/u/TOKEN{d}") for d in bg[:3]]
        + [event("click", d, T0 + 999, url="mailto:office@clusterhouse.example") for d in en[:2]],
    )
    sign_in(client, EDITOR)
    page = client.get(f"/staff/campaigns/{CALL}/report").text
    rows = re.findall(
        r'<tr data-language="([^"]+)"><td>[^<]+</td>'
        r'<td class="num">(\d+)</td><td class="num">(\d+)</td>'
        r'<td class="num">(\d+)</td><td class="num">(\d+)</td></tr>',
        page,
    )
    # Delivered: the first 190 deliveries are the 120 en and the first 70 bg.
    # Clicked counts members: the three bg unsubscribe clicks are by programme clickers.
    assert rows == [("bg", "80", "70", "20", "5"), ("en", "120", "120", "60", "30")]
    links = re.findall(
        r'<tr><td class="link" title="[^"]*">([^<]+)</td><td class="num">(\d+)</td>'
        r'<td class="num">(\d+)</td>',
        page,
    )
    assert links == [
        (programme, "36", "35"),
        ("(unsubscribe link)", "3", "3"),
        ("mailto:office@clusterhouse.example", "2", "2"),
    ]
    assert "TOKEN" not in page  # a member's signed link is never listed
    long = "https://interreg-ipa-bg-rs.example/documents?" + "x" * 200
    ingest_events(ctx, [event("click", en[5], T0 + 1200, url=long)])
    page = client.get(f"/staff/campaigns/{CALL}/report").text
    assert f'title="{long}">{long[:89]}…</td>' in page  # shown cut, whole on hover


def test_outbox_report_says_only_handed_over_is_known(client: TestClient, ctx: Services) -> None:
    sent(ctx, 12)
    sign_in(client, EDITOR)
    page = client.get(f"/staff/campaigns/{CALL}/report").text
    assert 'data-testid="not-reported"' in page
    assert re.search(r"<td>Handed over</td><td class=\"num\">12</td>", page)
    assert re.search(
        r"<td>Delivered</td><td class=\"num\">0</td><td class=\"num\">not reported", page
    )
    assert "0.00 %" not in page.split("Unsubscribed")[0]
    assert re.search(
        r'<tr data-language="en"><td>en</td><td class="num">12</td>'
        r'<td class="num">not reported</td>',
        page,
    )
    assert "Not reported: clicks come from the provider" in page
