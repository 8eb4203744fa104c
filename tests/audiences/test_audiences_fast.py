"""Fast tier: the audience use cases on in-memory ports (tests/fakes/context.py): importing
member files as staff receive them, the public sign-up with double opt-in, the preference centre
and one-click unsubscribe (RFC 8058), each followed to what the next send does.

The same use cases on SQLite and PostgreSQL are the integration tier (test_imports.py,
tests/web/); the fakes are held to the SQL stores by test_member_store_contract.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from newsletter.audiences import preferences, signup, unsubscribe
from newsletter.audiences.domain.privacy import suppression_hash
from newsletter.audiences.domain.signup import CONFIRM_PURPOSE
from newsletter.audiences.files.member_files import read_member_file
from newsletter.audiences.imports import import_members
from newsletter.core import tokens
from newsletter.core.addresses import email_key
from newsletter.delivery.sending import send_campaign
from newsletter.errors import TokenError
from tests.conftest import REPO
from tests.fakes.context import Fakes, fake_context

HEADER = (
    "email,first_name,last_name,organization,role,country,language,tier,topics,timezone,"
    "consent_source"
)
CALL = "interreg-ipa-bg-rs-first-call"


def _import(fakes: Fakes, path: Path, *, dry_run: bool = False) -> str:
    found = read_member_file(path)
    return import_members(fakes.ctx, found.rows, source=path.name, dry_run=dry_run).summary()


def test_the_sample_files_import_once_and_again_unchanged() -> None:
    fakes = fake_context()
    members, friends = REPO / "audiences" / "members.csv", REPO / "audiences" / "friends.csv"
    assert _import(fakes, members, dry_run=True) == (
        "would import 263, updated 0, unchanged 0, rejected 0"
    )
    assert fakes.members.members == {}  # a dry run writes nothing
    assert _import(fakes, members) == "imported 263, updated 0, unchanged 0, rejected 0"
    assert _import(fakes, friends) == "imported 140, updated 0, unchanged 0, rejected 0"
    assert _import(fakes, members) == "imported 0, updated 0, unchanged 263, rejected 0"
    calls = fakes.ctx.catalog.segment("bg-rs-calls")
    assert {m.record.country for m in fakes.members.in_segment(calls, "calls")} == {"BG", "RS"}


def test_a_windows_1250_file_reports_each_bad_row_by_number_and_field(tmp_path: Path) -> None:
    fakes = fake_context()
    rows = [
        HEADER,
        "dj.saric@nis-cluster.example,Đorđe,Šarić,Klaster Niš,,RS,sr-Latn,member,events,,form",
        "not-an-address,Ana,Ilić,,,RS,en,member,events,,form",
        "DJ.SARIC@nis-cluster.example,Đ.,Šarić,,,RS,en,member,events,,form",
        "z.petrova@sofia.example,Zlatka,Petrova,,,R5,bg,member,events,,form",
    ]
    path = tmp_path / "excel-export.csv"
    path.write_bytes(("\r\n".join(rows) + "\r\n").encode("cp1250"))  # as Excel saves it
    found = read_member_file(path)
    assert found.encoding == "cp1250"
    report = import_members(fakes.ctx, found.rows, source=path.name)
    assert report.imported == 1
    rejected = {(r.row, r.field) for r in report.rejected}
    assert (3, "email") in rejected and (5, "country") in rejected
    assert any(r.row == 4 and "duplicate" in r.reason.lower() for r in report.rejected)
    facts = fakes.members.facts("dj.saric@nis-cluster.example")
    assert facts is not None and facts[0].fields["first_name"] == "Đorđe"


def test_an_erased_address_is_refused_by_later_imports(tmp_path: Path) -> None:
    fakes = fake_context()
    path = tmp_path / "one.csv"
    path.write_text(f"{HEADER}\nana@x.example,Ana,,,,RS,en,member,events,,form\n", encoding="utf-8")
    _import(fakes, path)
    digest = suppression_hash(fakes.ctx.links.hashing, email_key("ana@x.example"))
    assert fakes.members.erase(email_key("ana@x.example"), digest, now=fakes.clock.now())
    report = import_members(fakes.ctx, read_member_file(path).rows, source="one.csv")
    assert report.imported == 0 and report.suppressed == 1
    assert report.rejected[0].field == "email"


def _signup(fakes: Fakes, email: str, client: str = "198.51.100.7") -> signup.Requested:
    fields = {"email": email, "first_name": "Mira", "language": "sr-Latn"}
    done = signup.request_signup(
        fakes.ctx, fields, ["events", "news"], client=client, wording_version="v1"
    )
    assert isinstance(done, signup.Requested), done
    return done


def _link(text: str, path: str) -> str:
    found = re.search(rf"https://news\.clusterhouse\.example{path}(\S+?)(?=[\s\"<>]|$)", text)
    assert found, text[:500]
    return found.group(1)


def test_a_signup_becomes_a_member_only_when_the_mailbox_confirms() -> None:
    fakes = fake_context()
    assert _signup(fakes, "mira@x.example").mailed
    [mail] = fakes.mailer.messages()
    assert mail.to_email == "mira@x.example" and mail.to_name == ""
    assert fakes.members.facts("mira@x.example") is None  # nothing before the confirmation
    token = _link(mail.text, signup.CONFIRM_PATH)
    done = signup.confirm(fakes.ctx, token)
    assert isinstance(done, signup.Confirmed) and done.created and done.topics == ("events", "news")
    facts = fakes.members.facts("mira@x.example")
    assert facts is not None and facts[0].topics == {"events", "news"}
    assert facts[0].fields["tier"] == "friend"
    again = signup.confirm(fakes.ctx, token)  # pressing the button twice is harmless
    assert isinstance(again, signup.PendingSignup) and len(fakes.members.members) == 1
    send_campaign(fakes.ctx, "days-of-clusters-2015")
    assert fakes.mailer.recipients(step="main") == ["mira@x.example"]


def test_signups_for_one_address_are_mailed_three_times_a_day_at_most() -> None:
    fakes = fake_context()
    mailed = [_signup(fakes, "target@x.example", f"203.0.113.{i}").mailed for i in range(5)]
    assert mailed == [True, True, True, False, False]
    assert len(fakes.mailer.batches) == 3
    # A dropped request's id does not confirm, even in a correctly signed link.
    issued = int(fakes.clock.now().timestamp())
    claims = tokens.TokenClaims(CONFIRM_PURPOSE, 4, "", issued)
    with pytest.raises(TokenError):
        signup.look_up(fakes.ctx, tokens.sign(fakes.ctx.links.secret, claims))
    assert fakes.signups.pending(4) is not None and fakes.signups.pending(3) is not None


def _sent_to_one(fakes: Fakes, tmp_path: Path) -> str:
    path = tmp_path / "one.csv"
    path.write_text(
        f"{HEADER}\nana@x.example,Ana,,,,BG,en,member,events;calls;news,,form\n", encoding="utf-8"
    )
    _import(fakes, path)
    assert send_campaign(fakes.ctx, "days-of-clusters-2015").sent == 1
    [message] = fakes.mailer.messages()
    return message.text


def test_one_click_unsubscribe_ends_one_topic_and_the_next_send_skips_it(tmp_path: Path) -> None:
    fakes = fake_context()
    text = _sent_to_one(fakes, tmp_path)
    token = _link(text, "/u/")
    seen = unsubscribe.look_up(fakes.ctx, token)
    assert (seen.topic, seen.subscribed) == ("events", True)  # GET changes nothing
    done = unsubscribe.one_click(fakes.ctx, token)
    assert done.changed and not unsubscribe.one_click(fakes.ctx, token).changed
    facts = fakes.members.facts("ana@x.example")
    assert facts is not None and facts[0].topics == {"calls", "news"}
    assert fakes.events.stats(1).unsubscribed == 1  # counted against the delivery
    # A new campaign on another topic still reaches her; a resend of this one does not.
    assert send_campaign(fakes.ctx, CALL).sent == 1
    assert fakes.members.count(fakes.ctx.catalog.segment("events-audience"), "events") == 0


def test_the_preference_centre_changes_language_and_topics(tmp_path: Path) -> None:
    fakes = fake_context()
    text = _sent_to_one(fakes, tmp_path)
    token = _link(text, "/p/")
    shown = preferences.look_up(fakes.ctx, token)
    assert {t for t, on in shown.topics.items() if on} == {"events", "calls", "news"}
    preferences.save(fakes.ctx, token, language="bg", subscribed={"news"})
    facts = fakes.members.facts("ana@x.example")
    assert facts is not None and facts[0].topics == {"news"} and facts[0].fields["language"] == "bg"
    assert send_campaign(fakes.ctx, CALL).planned == 0
    preferences.save(fakes.ctx, token, language="bg", subscribed=set(), leave_all=True)
    assert preferences.look_up(fakes.ctx, token).topics == dict.fromkeys(shown.topics, False)
    digest = suppression_hash(fakes.ctx.links.hashing, email_key("ana@x.example"))
    fakes.members.erase(email_key("ana@x.example"), digest, now=fakes.clock.now())
    with pytest.raises(TokenError):  # erased since the link was sent
        preferences.look_up(fakes.ctx, token)
