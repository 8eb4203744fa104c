"""The whole send path on the sample project: import -> segment -> plan -> compose -> send.

Runs on SQLite and PostgreSQL (the ``database_url`` fixture)."""

from __future__ import annotations

import csv
import email
import email.policy
import re
from pathlib import Path
from typing import Any

import pytest

from newsletter.audiences.files.member_files import read_csv
from newsletter.audiences.imports import import_members
from newsletter.content.domain.campaigns import MAIN_STEP
from newsletter.delivery.sending import send_campaign
from newsletter.errors import RenderError
from tests.conftest import FrozenClock, make_settings
from tests.delivery.transports.batches import LONG_BASE
from tests.fakes.sendgrid_server import FakeSendGrid
from tests.raw_headers import check_bulk_headers, one, raw_headers
from tests.services import Services, services

DOC = "days-of-clusters-2015"


def load_samples(ctx: Services, project: Path) -> None:
    for name in ("members.csv", "friends.csv"):
        _, rows = read_csv(project / "audiences" / name)
        report = import_members(ctx, rows, source=name)
        assert not report.rejected


def expected_audience(project: Path, topic: str) -> set[str]:
    """The events audience counted by hand from the CSVs: everyone with the topic."""
    found = set()
    for name in ("members.csv", "friends.csv"):
        with (project / "audiences" / name).open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                if topic in row["topics"].split(";"):
                    found.add(row["email"].lower())
    return found


@pytest.mark.slow
def test_outbox_holds_one_multipart_eml_per_member_and_resend_sends_nothing(
    ctx: Services, project: Path
) -> None:
    load_samples(ctx, project)
    audience = expected_audience(project, "events")
    report = send_campaign(ctx, DOC)
    assert report.sent == len(audience) == report.planned
    assert report.failed == report.unknown == report.pending == 0

    files = sorted((project / "var" / "outbox" / DOC / MAIN_STEP).glob("*.eml"))
    assert len(files) == len(audience)
    recipients = set()
    for path in files:
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        recipients.add(msg["To"].addresses[0].addr_spec.lower())
        # multipart/mixed when an invitation carries its .ics (content/rendering/ics.py)
        assert msg.get_content_type() in ("multipart/alternative", "multipart/mixed")
        unsubscribe = one(raw_headers(path.read_bytes()), "List-Unsubscribe")  # as written
        assert unsubscribe.startswith("<http://localhost:8000/u/") and unsubscribe.endswith(">")
        assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        html = msg.get_body(("html",))
        assert html is not None
        assert unsubscribe[1:-1] in html.get_content()  # the footer link is the same URL
        assert "[[nl:" not in html.get_content()
    assert recipients == audience

    again = send_campaign(ctx, DOC)
    assert again.sent == 0 and again.planned == 0
    assert len(list((project / "var" / "outbox" / DOC / MAIN_STEP).glob("*.eml"))) == len(audience)


@pytest.mark.slow
def test_outbox_files_carry_literal_list_headers_behind_a_long_base_url(
    project: Path, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The .eml bytes as written, with the 140-250 character links of a deployment behind a
    long https base URL: RFC 2369 ``<URI>`` literally, never RFC 2047 encoded-words."""
    monkeypatch.setenv("NEWSLETTER_SECRET_KEY", "Jm3x8Qv2-Lr9TzW4pYc7Nd1Hb6Gf0Ks5Ua_Xe2Vo8Ri")
    settings = make_settings(
        project,
        database={"url": f"sqlite:///{tmp_path / 'var' / 'long.db'}"},
        web={"base_url": LONG_BASE},
    )
    ctx = services(settings, clock=clock)
    try:
        load_samples(ctx, project)
        assert send_campaign(ctx, DOC).sent > 0
    finally:
        ctx.close()
    files = sorted((project / "var" / "outbox" / DOC / MAIN_STEP).glob("*.eml"))
    assert files
    for path in files:
        raw = path.read_bytes()
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        html = msg.get_body(("html",))
        assert html is not None
        found = re.search(rf'href="({re.escape(LONG_BASE)}/u/[^"]+)"', html.get_content())
        assert found is not None
        url = found.group(1)
        assert 140 <= len(url) <= 250  # member ids of a few digits: 147 characters
        fields = check_bulk_headers(raw, unsubscribe_url=url)
        assert one(fields, "List-Unsubscribe") == f"<{url}>"


@pytest.mark.slow
def test_members_read_their_language(ctx: Services, project: Path) -> None:
    load_samples(ctx, project)
    send_campaign(ctx, DOC)
    by_lang: dict[str, str] = {}
    for path in (project / "var" / "outbox" / DOC / MAIN_STEP).glob("*.eml"):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        html = msg.get_body(("html",))
        assert html is not None
        content = html.get_content()
        lang = content.split('lang="', 1)[1].split('"', 1)[0]
        by_lang.setdefault(lang, str(msg["Subject"]))
    assert {"en", "sr-Cyrl", "sr-Latn", "ro", "bg"} <= set(by_lang)
    assert by_lang["sr-Cyrl"] != by_lang["sr-Latn"]
    assert any("\u0400" <= ch <= "\u04ff" for ch in by_lang["sr-Cyrl"])
    assert not any("\u0400" <= ch <= "\u04ff" for ch in by_lang["sr-Latn"])


def test_sendgrid_batches_of_at_most_1000_and_each_delivery_once(
    project: Path,
    database_url: str,
    clock: FrozenClock,
    fake_sendgrid: FakeSendGrid,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SENDGRID_API_KEY", "SG.test")
    monkeypatch.setenv("NEWSLETTER_SECRET_KEY", "Jm3x8Qv2-Lr9TzW4pYc7Nd1Hb6Gf0Ks5Ua_Xe2Vo8Ri")
    settings = make_settings(
        project,
        database={"url": database_url},
        delivery={"transport": "sendgrid", "batch_size": 100},
        sendgrid={"api_host": fake_sendgrid.url, "timeout": 5},
        web={"base_url": "https://news.clusterhouse.example"},
    )
    ctx = services(settings, clock=clock)
    try:
        sendgrid_round(ctx, project, fake_sendgrid)
    finally:
        ctx.close()


def sendgrid_round(ctx: Services, project: Path, fake_sendgrid: FakeSendGrid) -> None:
    load_samples(ctx, project)
    audience = expected_audience(project, "events")
    report = send_campaign(ctx, DOC)
    assert report.sent == len(audience)
    assert all(len(r.body["personalizations"]) <= 100 for r in fake_sendgrid.requests)
    got = fake_sendgrid.recipients()
    assert len(got) == len(set(got)) == len(audience)
    ids = [
        p["custom_args"]["nl_delivery_id"]
        for r in fake_sendgrid.requests
        for p in r.body["personalizations"]
    ]
    assert len(ids) == len(set(ids))
    # Every request is one language variant: one subject, set once at the top level.
    for r in fake_sendgrid.requests:
        assert r.body["subject"]
        assert all("subject" not in p for p in r.body["personalizations"])
    assert len({r.body["subject"] for r in fake_sendgrid.requests}) >= 5  # languages

    assert send_campaign(ctx, DOC).sent == 0
    assert fake_sendgrid.request_count == report.requests


def test_a_variant_that_fails_to_compose_sends_to_nobody(ctx: Services, project: Path) -> None:
    load_samples(ctx, project)
    layout = project / "templates" / "deadline_reminder.mjml.j2"
    source = layout.read_text(encoding="utf-8")
    assert "{% endblock %}" in source
    layout.write_text(
        source.replace("{% endblock %}", "{{ no_such_variable }}{% endblock %}", 1), "utf-8"
    )
    with pytest.raises(RenderError, match="no_such_variable"):
        send_campaign(ctx, DOC, step="early-bird-3d")
    assert (
        ctx.ledger.campaign_id(DOC) is None
        or ctx.ledger.counts(ctx.ledger.campaign_id(DOC) or 0).total == 0
    )
    assert not (project / "var" / "outbox" / DOC / "early-bird-3d").exists()


def test_unsubscribed_between_plan_and_send_is_suppressed(ctx: Services, project: Path) -> None:
    load_samples(ctx, project)
    campaign, _ = ctx.catalog.campaign(DOC)
    segment = ctx.catalog.segment(campaign.audience)
    cid = ctx.ledger.ensure_campaign(campaign, now=ctx.clock.now())
    planned = ctx.ledger.plan(cid, MAIN_STEP, segment, "events", {}, "en", now=ctx.clock.now())
    someone = ctx.members.sample(segment, "events", 1)[0]["email"]
    found = ctx.members.facts(someone)
    assert found is not None
    assert ctx.members.unsubscribe(
        int(found[0].fields["id"]), "events", source="test", now=ctx.clock.now()
    )
    report = send_campaign(ctx, DOC)
    assert report.suppressed == 1 and report.sent == planned - 1
    counts = ctx.ledger.counts(cid, MAIN_STEP)
    assert counts.suppressed == 1 and counts.sent == planned - 1


def test_crash_in_flight_rows_become_unknown_then_the_outbox_settles_them(
    ctx: Services, project: Path
) -> None:
    load_samples(ctx, project)
    campaign, _ = ctx.catalog.campaign(DOC)
    cid = ctx.ledger.ensure_campaign(campaign, now=ctx.clock.now())
    segment = ctx.catalog.segment(campaign.audience)
    ctx.ledger.plan(cid, MAIN_STEP, segment, "events", {}, "en", now=ctx.clock.now())
    # Claimed with no owner named (as before claims named one): only the lease tells.
    claimed, _ = ctx.ledger.claim(cid, MAIN_STEP, "en", "events", 7, now=ctx.clock.now())
    assert len(claimed) == 7  # ... and the process dies here, with the request in flight
    # Within the lease the rows may belong to a live sender: a second run leaves them alone.
    early = send_campaign(ctx, DOC)
    assert early.recovered_unknown == 0 and early.in_flight_elsewhere == 7
    assert isinstance(ctx.clock, FrozenClock)
    ctx.clock.advance(seconds=ctx.lease_seconds + 1)  # nobody renewed the claim: it crashed
    report = send_campaign(ctx, DOC)
    assert report.recovered_unknown == 7
    # The outbox knows for certain: none of the seven files was written, so they are sent
    # now, once each (other transports keep them unknown for events or staff).
    assert report.reconciled == 7 and report.sent == 7
    counts = ctx.ledger.counts(cid, MAIN_STEP)
    assert counts.unknown == 0 and counts.sending == 0 and counts.pending == 0
    assert counts.sent == counts.total
    files = list((project / "var" / "outbox" / DOC / MAIN_STEP).glob("*.eml"))
    assert len(files) == counts.total


def test_a_message_that_cannot_be_built_fails_its_rows_with_a_reason(
    ctx: Services, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A CR/LF subject (one stored before the content model refused them) fails
    the rows with the reason; the send ends instead of leaving them ``sending``."""
    import dataclasses

    from newsletter.delivery import sending

    load_samples(ctx, project)
    compose = sending.compose_step

    def injected(*args: Any, **kwargs: Any) -> Any:
        return {
            lang: dataclasses.replace(v, subject=v.subject + "\r\nBcc: victim@example.org")
            for lang, v in compose(*args, **kwargs).items()
        }

    monkeypatch.setattr(sending, "compose_step", injected)
    report = send_campaign(ctx, DOC)
    cid = ctx.ledger.campaign_id(DOC)
    assert cid is not None
    counts = ctx.ledger.counts(cid, MAIN_STEP)
    assert report.sent == 0 and counts.sending == 0 and counts.pending == 0
    assert report.failed == counts.failed == counts.total > 0
    assert not list((project / "var" / "outbox").rglob("*.eml"))
