"""scripts/sample_events.py: the demo's signed SendGrid event batch, posted through the real
webhook endpoint after a real outbox send of a sample campaign, shows up in the reports."""

from __future__ import annotations

import email
import html
import importlib.util
import json
from email import policy
from pathlib import Path
from types import ModuleType

import pytest

from newsletter.config import Settings
from newsletter.delivery.reporting import campaign_breakdown, campaign_report
from newsletter.delivery.sending import send_campaign
from newsletter.delivery.transports.sendgrid.events import parse
from tests.delivery.test_sending import load_samples
from tests.services import Services

CALL = "interreg-ipa-bg-rs-first-call"
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "sample_events.py"


def script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sample_events", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_demo_events_reach_the_reports_through_the_signed_webhook(
    ctx: Services, settings: Settings, project: Path
) -> None:
    load_samples(ctx, project)
    sent = send_campaign(ctx, CALL).sent
    assert sent > 50
    events = script()
    built = events.build_events(ctx, settings, [CALL])
    # Every event is one SendGrid's parser (ours) reads as SendGrid's, with our delivery id.
    assert all(parse(json.loads(json.dumps(e))) is not None for e in built)
    assert {e["event"] for e in built} >= {"processed", "delivered", "open", "click"}
    totals = events.feed(ctx.app, settings, [CALL])
    assert totals["events"] == len(built) == totals["received"] == totals["new"]

    report = campaign_report(ctx, CALL)
    assert report.provider_reported
    s = report.stats
    assert s.sent == sent and s.bounced + s.delivered == sent
    assert 0 < s.bounced < sent * 0.05
    assert sent * 0.25 < s.opened < sent * 0.6 and 0 < s.clicked < s.opened
    breakdown = campaign_breakdown(ctx, CALL)
    # The clicked links are the links the sent emails hold.
    sent_html = ""
    for path in (project / "var" / "outbox" / CALL / "main").glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        sent_html += message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert any(link.link.startswith("https://") for link in breakdown.links)
    for link in breakdown.links:
        if link.link != "(unsubscribe link)":
            assert f'href="{html.escape(link.link)}"' in sent_html
    assert sum(lang.handed_over for lang in breakdown.languages) == sent
    assert {lang.language for lang in breakdown.languages} <= {"en", "bg", "sr-Cyrl", "sr-Latn"}

    # A second run posts the same events; the webhook stores none of them again.
    again = events.feed(ctx.app, settings, [CALL])
    assert again["new"] == 0 and again["duplicates"] == len(built)
