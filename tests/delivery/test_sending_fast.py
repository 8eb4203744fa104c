"""Fast tier: sending a campaign through the real use case (``send_campaign``) on in-memory ports
(tests/fakes/context.py): planning from the repository's member list, batches per language,
retries, suppressions, the approval gate, the complaint block and resuming after a crash.

The same paths on SQLite and PostgreSQL with the outbox, SMTP and SendGrid transports are the
integration tier (test_sending.py, test_delivery.py, test_crash_recovery.py); the fakes are held
to the SQL stores by test_ledger_contract.py and tests/audiences/test_member_store_contract.py.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from newsletter.audiences.files.member_files import read_member_file
from newsletter.audiences.imports import import_members
from newsletter.authoring.documents import document_of
from newsletter.core.addresses import email_key
from newsletter.core.links import UNSUBSCRIBE
from newsletter.delivery.domain.events import Action, Effect, EventKind, ProviderEvent
from newsletter.delivery.reporting import acknowledge_complaints
from newsletter.delivery.sending import resolve_unknown, retry_failed, send_campaign
from newsletter.errors import (
    AccountError,
    NotApprovedError,
    StateError,
    TransientDeliveryError,
)
from tests.conftest import REPO
from tests.fakes.context import Fakes, fake_context
from tests.fakes.mailer import Crash, RecordingOutbox

DAYS = "days-of-clusters-2015"


def _with_members(**options: object) -> Fakes:
    fakes = fake_context(**options)  # type: ignore[arg-type]
    found = read_member_file(REPO / "audiences" / "members.csv")
    report = import_members(fakes.ctx, found.rows, source="members.csv")
    assert report.imported == 263 and report.rejected == []
    return fakes


def _audience(fakes: Fakes) -> dict[str, str]:
    """email -> language of everyone the campaign's segment holds now."""
    segment = fakes.ctx.catalog.segment("events-audience")
    return {m.record.email: m.record.language for m in fakes.members.in_segment(segment, "events")}


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def test_every_member_gets_one_message_in_their_language_in_batches_of_the_size() -> None:
    fakes = _with_members(batch_size=40)
    audience = _audience(fakes)
    report = send_campaign(fakes.ctx, DAYS)
    assert report.audience == report.planned == report.sent == len(audience) == 234
    sent = fakes.mailer.recipients()
    assert sorted(sent) == sorted(audience)  # each member once, nobody else
    campaign, _ = fakes.ctx.catalog.campaign(DAYS)
    for batch in fakes.mailer.batches:
        assert 0 < len(batch.personalizations) <= 40
        for p in batch.personalizations:  # the variant written for the member's language
            assert campaign.variant_for(audience[p.to_email]) == batch.variant.language
    by_language = Counter(b.variant.language for b in fakes.mailer.batches)
    assert set(by_language) == {campaign.variant_for(lang) for lang in set(audience.values())}
    assert fakes.ledger.campaigns[1].state.value == "sent"
    # Run again: the ledger already holds every delivery, nothing goes out twice.
    again = send_campaign(fakes.ctx, DAYS)
    assert (again.planned, again.sent) == (0, 0) and len(fakes.mailer.recipients()) == 234


def test_each_message_carries_its_own_signed_one_click_link() -> None:
    fakes = _with_members()
    send_campaign(fakes.ctx, DAYS)
    now = int(fakes.clock.now().timestamp())
    for message in fakes.mailer.messages()[:50]:
        headers = dict(message.headers)
        url = headers["List-Unsubscribe"].strip("<>")
        assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        claims = fakes.ctx.links.verify(url.rsplit("/", 1)[1], purpose=UNSUBSCRIBE, now=now)
        member = fakes.members.members[claims.member_id]
        assert member.record.email == message.to_email and claims.topic == "events"
        assert url in message.text or url.replace("&", "&amp;") in message.html


def test_transient_errors_are_retried_with_backoff_and_cost_an_attempt_each() -> None:
    fakes = _with_members(batch_size=1000)
    fakes.mailer.fail = [TransientDeliveryError("503 busy"), TransientDeliveryError("503 busy")]
    sleeps = Sleeps()
    report = send_campaign(fakes.ctx, DAYS, sleep=sleeps)
    assert report.sent == 234 and report.errors == ["503 busy", "503 busy"]
    assert sleeps[:2] == [2.0, 4.0]  # 2 ** streak seconds
    # The first batch was tried three times (two failures, then sent), every other row once.
    first = len(fakes.mailer.batches[0].personalizations)
    attempts = Counter(r.attempts for r in fakes.ledger.rows.values())
    assert attempts == {3: first, 1: 234 - first}
    assert fakes.ledger.counts(1).sent == 234


def test_a_request_that_may_have_gone_out_waits_for_staff() -> None:
    fakes = _with_members()
    fakes.mailer.fail = [TransientDeliveryError("read timeout", maybe_sent=True)]
    report = send_campaign(fakes.ctx, DAYS, sleep=Sleeps())
    first = report.unknown
    assert first > 0 and report.totals["unknown"] == first
    assert fakes.ledger.campaigns[1].state.value == "sending"  # not done while rows are unknown
    # The announcement is never resent on its own: a person decides.
    assert send_campaign(fakes.ctx, DAYS, sleep=Sleeps()).totals["unknown"] == first
    assert resolve_unknown(fakes.ctx, DAYS, resend=True).rows == first
    final = send_campaign(fakes.ctx, DAYS, sleep=Sleeps())
    assert final.sent == first and final.totals["sent"] == 234


def test_refused_recipients_fail_for_good_and_retry_takes_only_transient_ones() -> None:
    fakes = _with_members()
    audience = sorted(_audience(fakes))
    fakes.mailer.reject = {audience[0]: "550 5.1.1 no such user", audience[1]: "550 mailbox full"}
    report = send_campaign(fakes.ctx, DAYS)
    assert (report.sent, report.failed, report.failures) == (232, 2, {"permanent": 2})
    assert retry_failed(fakes.ctx, DAYS).rows == 0
    assert fakes.ledger.counts(1).failed == 2


def test_an_account_error_stops_the_run_and_leaves_everyone_pending() -> None:
    fakes = _with_members()
    fakes.mailer.fail = [AccountError("401: the API key was refused")]
    report = send_campaign(fakes.ctx, DAYS)
    assert report.stopped and "401" in report.stopped
    assert fakes.mailer.batches == [] and fakes.ledger.counts(1).pending == 234
    # Attempts were refunded: the rows are as planned.
    assert {r.attempts for r in fakes.ledger.rows.values()} == {0}


def test_members_who_unsubscribe_or_bounce_after_planning_are_not_mailed() -> None:
    fakes = _with_members()
    fakes.mailer.fail = [AccountError("401")]
    send_campaign(fakes.ctx, DAYS)  # planned, nothing sent
    first, second = sorted(_audience(fakes))[:2]
    gone = fakes.members.facts(first)
    assert gone is not None
    fakes.members.unsubscribe(
        int(gone[0].fields["id"]), "events", source="web", now=fakes.clock.now()
    )
    bounce = ProviderEvent(EventKind.BOUNCED, second, fakes.clock.now(), "bounce-1")
    fakes.events.record(
        [(bounce, (Effect(Action.SUPPRESS_BOUNCED),))],
        suppression_hashes={second: "h-second"},
        now=fakes.clock.now(),
    )
    report = send_campaign(fakes.ctx, DAYS)
    assert report.sent == 232 and report.suppressed == 2
    assert first not in fakes.mailer.recipients() and second not in fakes.mailer.recipients()
    assert fakes.members.suppression("h-second") == "bounced"
    assert email_key(second) not in {
        m.record.email_key
        for m in fakes.members.in_segment(fakes.ctx.catalog.segment("events-audience"), "events")
    }


def test_a_database_campaign_without_approval_is_refused_before_anything_is_written() -> None:
    fakes = _with_members()
    campaign, _ = fakes.ctx.catalog.campaign(DAYS)
    slug = "days-draft"
    document = document_of(campaign.model_copy(update={"slug": slug}))
    fakes.library.save(slug, document, by="editor@x.example", now=fakes.clock.now(), create=True)
    with pytest.raises(NotApprovedError, match="days-draft"):
        send_campaign(fakes.ctx, slug)
    assert fakes.ledger.campaign_id(slug) is None and fakes.mailer.batches == []
    # A dry run counts the audience without the gate and without writing.
    assert send_campaign(fakes.ctx, slug, dry_run=True).audience == 234
    assert fakes.ledger.rows == {}


def test_file_campaigns_need_approval_when_configured() -> None:
    fakes = _with_members(approve_files=True)
    with pytest.raises(NotApprovedError):
        send_campaign(fakes.ctx, DAYS)
    assert fakes.ledger.rows == {} and fakes.mailer.batches == []


def test_complaints_over_the_limit_block_new_campaigns_until_acknowledged() -> None:
    fakes = _with_members()
    send_campaign(fakes.ctx, DAYS)
    complaints = [
        (
            ProviderEvent(EventKind.COMPLAINED, row_email, fakes.clock.now(), f"c-{did}", did),
            (Effect(Action.SUPPRESS_COMPLAINED),),
        )
        for did, row_email in [
            (r.id, fakes.members.members[r.member_id].record.email)
            for r in list(fakes.ledger.rows.values())[:3]
        ]
    ]
    outcome = fakes.events.record(complaints, suppression_hashes={}, now=fakes.clock.now())
    assert (outcome.new, outcome.suppressed) == (3, 3)
    assert (
        fakes.events.record(complaints, suppression_hashes={}, now=fakes.clock.now()).duplicates
        == 3
    )
    with pytest.raises(StateError, match=f"campaign {DAYS} .*3 spam reports"):
        send_campaign(fakes.ctx, "interreg-ipa-bg-rs-first-call")
    acknowledge_complaints(fakes.ctx, DAYS)
    assert send_campaign(fakes.ctx, "interreg-ipa-bg-rs-first-call").sent > 0


def test_a_crash_after_a_request_resumes_without_sending_anyone_twice() -> None:
    fakes = _with_members(batch_size=50, mailer=RecordingOutbox(crash_after=2))
    with pytest.raises(Crash):
        send_campaign(fakes.ctx, DAYS)
    sizes = [len(b.personalizations) for b in fakes.mailer.batches]
    counts = fakes.ledger.counts(1)
    assert (counts.sent, counts.sending) == (sizes[0] + sizes[1], sizes[2])
    assert counts.pending == 234 - sum(sizes) > 0
    # At once: the crashed batch is still this live process's claim; the rest goes out.
    fakes.mailer.crash_after = None
    report = send_campaign(fakes.ctx, DAYS)
    assert report.sent == counts.pending and report.in_flight_elsewhere == sizes[2]
    # Once its lease ran out the rows become unknown, and the outbox settles them: it holds
    # their messages, so they count as sent and nobody is mailed again.
    fakes.clock.set(fakes.clock.now() + dt.timedelta(seconds=61))
    final = send_campaign(fakes.ctx, DAYS)
    assert (final.recovered_unknown, final.reconciled, final.sent) == (sizes[2], sizes[2], 0)
    assert final.totals["sent"] == 234
    assert len(fakes.mailer.recipients()) == 234 == len(set(fakes.mailer.recipients()))
