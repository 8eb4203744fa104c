"""Preview is what goes out; validate lists what a language lacks; calendar SEQUENCE moves on.

Runs on SQLite and PostgreSQL (the ``database_url`` fixture)."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from pathlib import Path

from icalendar import Calendar

from newsletter.content.composing import compose_step, preview, validate_campaign
from newsletter.content.domain.campaigns import MAIN_STEP
from newsletter.delivery.sending import send_campaign
from tests.conftest import FrozenClock
from tests.delivery.test_sending import load_samples
from tests.services import Services

CALL = "interreg-ipa-bg-rs-first-call"
DOFC = "days-of-clusters-2015"
MEMBER = "biljana.ilic@dental-tourism-cluster-beograd.example"  # sr-Cyrl, Europe/Belgrade


def sent_eml(project: Path, slug: str, address: str) -> EmailMessage:
    for path in (project / "var" / "outbox" / slug / MAIN_STEP).glob("*.eml"):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        if msg["To"].addresses[0].addr_spec == address:
            return msg
    raise AssertionError(f"nothing sent to {address}")


def crlf(text: str) -> bytes:
    """A text part as MIME carries it: CRLF line ends (RFC 5322 §2.3), ending in a line end
    (Python's email package adds one to a part that lacks it)."""
    text = text if text.endswith("\n") else text + "\n"
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


def test_preview_bytes_are_the_sent_bytes(ctx: Services, project: Path) -> None:
    load_samples(ctx, project)
    shown = preview(ctx, CALL, email=MEMBER, inert=False)
    report = send_campaign(ctx, CALL)
    assert report.sent > 0 and report.failed == 0
    sent = sent_eml(project, CALL, MEMBER)

    html = sent.get_body(("html",))
    text = sent.get_body(("plain",))
    assert html is not None and text is not None
    assert html.get_payload(decode=True) == crlf(shown.html)
    assert text.get_payload(decode=True) == crlf(shown.text)
    (attachment,) = [p for p in sent.iter_attachments()]
    assert attachment.get_payload(decode=True) == shown.attachments[0].data
    assert str(sent["Subject"]) == shown.subject
    assert sent["List-Unsubscribe"] == dict(shown.headers)["List-Unsubscribe"]
    # The member's own time zone is in what was sent, next to the official one.
    assert "· 15:00 (Београд, GMT+01:00)" in shown.text


def test_validate_lists_what_each_language_lacks(ctx: Services, project: Path) -> None:
    assert validate_campaign(ctx, DOFC).ok
    strings = project / "templates" / "strings.yaml"
    lines = strings.read_text(encoding="utf-8").splitlines(keepends=True)
    # Drop Romanian's unsubscribe link text and Turkish's topic phrase for this campaign.
    block = ""
    kept = []
    for line in lines:
        if line and not line.startswith((" ", "#")) and line.rstrip().endswith(":"):
            block = line.strip().rstrip(":")
        if (block, line.split(":")[0].strip()) in {("ro", "unsubscribe"), ("tr", "topic_events")}:
            continue
        kept.append(line)
    strings.write_text("".join(kept), encoding="utf-8")
    campaign_file = project / "campaigns" / f"{DOFC}.yaml"
    text = campaign_file.read_text(encoding="utf-8")
    campaign_file.write_text(text.replace("    mk: Романија\n", ""), encoding="utf-8")

    result = validate_campaign(ctx, DOFC)
    assert not result.ok
    problems = "\n".join(result.problems)
    assert "templates/strings.yaml: ro: no unsubscribe" in problems
    assert "templates/strings.yaml: tr: no topic_events" in problems
    assert "main: mk: no content.country" in problems


def test_a_moved_event_goes_out_with_a_higher_sequence(
    ctx: Services, project: Path, clock: FrozenClock
) -> None:
    def calendar_of(lang: str = "en") -> dict[str, tuple[int, str]]:
        variant = compose_step(ctx, ctx.catalog.campaign(DOFC)[0], MAIN_STEP, [lang])[lang]
        cal = Calendar.from_ical(variant.attachments[0].data)
        return {
            str(e["UID"]).split("@")[0]: (int(e["SEQUENCE"]), e["DTSTAMP"].to_ical().decode())
            for e in cal.walk("VEVENT")
        }

    first = calendar_of()
    assert first == {
        "days-of-clusters-2015-event": (0, "20150901T080000Z"),
        "days-of-clusters-2015-early-bird": (0, "20150901T080000Z"),
    }
    clock.advance(days=2)
    assert calendar_of("sr-Cyrl") == first  # other language, later: the same revision

    path = project / "campaigns" / f"{DOFC}.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('ends: "2015-10-23"', 'ends: "2015-10-24"'), encoding="utf-8")
    moved = calendar_of()
    assert moved["days-of-clusters-2015-event"] == (1, "20150903T080000Z")
    assert moved["days-of-clusters-2015-early-bird"] == first["days-of-clusters-2015-early-bird"]
