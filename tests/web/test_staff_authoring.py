"""Campaign authoring through the real app: the form generated from the content model, create,
edit (and import a file campaign to edit), the live preview fragment and its frames, "why in or
out", and the guards: sign-in, CSRF, no inline script, previews only for their author."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
from starlette.testclient import TestClient

from newsletter.authoring import approvals
from newsletter.content import composing
from newsletter.core.links import PREFERENCES
from newsletter.staff.domain.users import Role, StaffUser
from newsletter.web.app import create_app
from tests.approving import approve_now
from tests.services import Services
from tests.synthetic import add_members
from tests.web.staff_helpers import APPROVER, EDITOR, add_accounts, sign_in

NEW = "/staff/campaigns/new?kind=call_for_proposals"


@pytest.fixture
def client(ctx: Services) -> Iterator[TestClient]:
    add_accounts(ctx)
    with TestClient(create_app(ctx.app), follow_redirects=False) as c:
        yield c


def call_form(csrf: str, **changes: str | list[str]) -> dict[str, str | list[str]]:
    form: dict[str, str | list[str]] = {
        "csrf": csrf,
        "kind": "call_for_proposals",
        "slug": "second-call",
        "title": "Second call",
        "audience": "bg-rs-calls",
        "topic": "calls",
        "languages": ["en", "sr-Cyrl", "sr-Latn"],
        "default_language": "en",
        "subject.en": "Second call open",
        "subject.sr-Cyrl": "Отворен други позив",
        "preheader.en": "EUR 2 million",
        "preheader.sr-Cyrl": "2 милиона евра",
        "copy.headline.en": "Second call",
        "copy.headline.sr-Cyrl": "Други позив",
        "copy.intro.en": "The second call is open.",
        "copy.intro.sr-Cyrl": "Други позив је отворен.",
        "copy.closing.en": "Apply in time.",
        "copy.closing.sr-Cyrl": "Пријавите се на време.",
        "content.programme.en": "Interreg-IPA CBC Bulgaria–Serbia",
        "content.programme.sr-Cyrl": "Interreg-IPA CBC Bulgaria–Serbia",
        "content.call_number": "2",
        "content.managing_authority.en": "Ministry of Regional Development",
        "content.managing_authority.sr-Cyrl": "Министарство регионалног развоја",
        "content.opens": "2016-01-10",
        "content.submission_deadline": "deadline",
        "content.budget": "2000000.00",
        "content.currency": "EUR",
        "content.eligible_area.en": "The border region",
        "content.eligible_area.sr-Cyrl": "Погранични регион",
        "content.url": "https://interreg.example/second",
        "milestones.0.key": "deadline",
        "milestones.0.at": "2016-03-01T16:00",
        "milestones.0.timezone": "Europe/Sofia",
        "milestones.0.label.en": "Submission deadline",
        "milestones.0.label.sr-Cyrl": "Рок за подношење",
    }
    form.update(changes)
    return form


def frame_url(fragment: str) -> str:
    found = re.search(r'<iframe src="(/staff/campaigns/preview/[^"]+)"', fragment)
    assert found, fragment[:2000]
    return found.group(1)


def test_the_form_is_generated_from_the_content_model(client: TestClient) -> None:
    sign_in(client, EDITOR)
    page = client.get(NEW)
    assert page.status_code == 200
    html = page.text
    for name in (
        "content.budget",
        "content.currency",
        "content.opens",
        "content.documents.0.title.sr-Cyrl",
        "content.info_days.0.on",
        "content.applicant_types.mk",
        "copy.headline.en",
        "subject.sr-Latn",
        "preheader.bg",
        "milestones.0.at",
        "milestones.0.label.tr",
    ):
        assert f'name="{name}"' in html, name
    assert 'type="date" name="content.opens"' in html
    assert 'type="datetime-local" name="milestones.0.at"' in html
    assert 'name="languages" value="sr-Cyrl"' in html
    for testid in ("create", "preview-language", "preview-member"):
        assert f'data-testid="{testid}"' in html
    # One script, our own file; the policy allows exactly that and no inline script.
    assert '<script src="/static/authoring.js" defer></script>' in html
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) is None and " style=" not in html
    csp = page.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp
    assert "connect-src 'self'" in csp and "frame-src 'self'" in csp
    script = client.get("/static/authoring.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert client.get("/staff/campaigns/new?kind=poster").status_code == 404
    for kind in ("conference_invitation", "newsletter", "letter"):
        other = client.get(f"/staff/campaigns/new?kind={kind}")
        assert other.status_code == 200
        assert ('name="content.speakers.0.name"' in other.text) == (kind == "conference_invitation")


def test_only_signed_in_staff_with_the_form_token_may_write(client: TestClient) -> None:
    assert client.get(NEW).headers["location"] == "/staff/login"
    assert client.post(NEW, data=call_form("x")).status_code == 403
    assert client.post("/staff/campaigns/preview", data=call_form("x")).status_code == 403
    csrf = sign_in(client, EDITOR)
    assert client.post(NEW, data=call_form("forged")).status_code == 403
    assert client.post("/staff/campaigns/preview", data=call_form("forged")).status_code == 403
    assert client.head(NEW).status_code == 200  # a HEAD never saves anything
    assert client.get("/staff/campaigns/second-call").status_code == 404
    assert client.post(NEW, data=call_form(csrf)).status_code == 303  # editors may draft


def test_create_shows_pydantic_errors_beside_their_fields(client: TestClient) -> None:
    csrf = sign_in(client, EDITOR)
    bad = call_form(csrf, **{"content.budget": "-1", "content.url": "javascript:alert(1)"})
    response = client.post(NEW, data=bad)
    assert response.status_code == 400
    html = response.text
    assert 'data-error-for="content.budget">Input should be greater than 0<' in html
    assert 'data-error-for="content.url">URL scheme javascript: is not allowed' in html
    assert 'value="Отворен други позив"' in html  # what was typed is kept
    assert client.get("/staff/campaigns/second-call").status_code == 404  # nothing stored


def test_create_then_see_it_listed_previewed_and_edited(client: TestClient, ctx: Services) -> None:
    csrf = sign_in(client, EDITOR)
    created = client.post(NEW, data=call_form(csrf))
    assert (
        created.status_code == 303 and created.headers["location"] == "/staff/campaigns/second-call"
    )
    assert 'href="/staff/campaigns/second-call"' in client.get("/staff/campaigns").text
    detail = client.get("/staff/campaigns/second-call?lang=sr-Latn")
    assert detail.status_code == 200 and 'href="/staff/campaigns/second-call/edit"' in detail.text
    assert (
        "Otvoren drugi poziv" in composing.preview(ctx, "second-call", language="sr-Latn").subject
    )
    again = client.post(NEW, data=call_form(csrf))
    assert again.status_code == 400 and "already exists" in again.text

    edit = client.get("/staff/campaigns/second-call/edit")
    assert edit.status_code == 200
    assert 'name="slug" value="second-call" autocomplete="off" readonly' in edit.text
    assert 'data-testid="save"' in edit.text
    version = re.search(r'name="version" value="([^"]+)"', edit.text)
    assert version and version.group(1)
    # The generated Latin is shown (greyed) where no Latin was written.
    assert 'name="subject.sr-Latn" value="" placeholder="Otvoren drugi poziv"' in edit.text


def test_an_edit_withdraws_the_approval(client: TestClient, ctx: Services) -> None:
    csrf = sign_in(client, EDITOR)
    client.post(NEW, data=call_form(csrf))
    approver = StaffUser(2, APPROVER, Role.APPROVER)
    approve_now(ctx, "second-call", approver)
    version = re.search(
        r'name="version" value="([^"]+)"', client.get("/staff/campaigns/second-call/edit").text
    )
    assert version
    saved = client.post(
        "/staff/campaigns/second-call/edit",
        data=call_form(csrf, title="Second call (corrected)", version=version.group(1)),
    )
    assert saved.status_code == 303
    assert approvals.approval_of(ctx, "second-call") is None
    assert ctx.catalog.campaign("second-call")[0].title == "Second call (corrected)"
    stale = client.post(
        "/staff/campaigns/second-call/edit",
        data=call_form(csrf, title="Someone else", version=version.group(1)),
    )
    assert stale.status_code == 400 and "after you opened it" in stale.text


def test_a_reminder_chain_is_written_in_the_form_and_previewed_step_by_step(
    client: TestClient, ctx: Services
) -> None:
    csrf = sign_in(client, EDITOR)
    page = client.get(NEW).text
    for name in ("reminders.0.key", "reminders.0.before", "reminders.0.copy.body.sr-Cyrl"):
        assert f'name="{name}"' in page, name
    assert 'type="time" name="reminders.0.at_time"' in page
    assert 'data-add-item="reminders"' in page
    # Whom to skip is chosen from the segments that exist, not typed.
    skip = page[page.index('<select name="reminders.0.skip_segment">') :]
    skip = skip[: skip.index("</select>")]
    assert '<option value="">nobody skipped</option>' in skip
    assert '<option value="bg-rs-calls">' in skip
    row = {
        "reminders.0.key": "deadline-7d",
        "reminders.0.milestone": "deadline",
        "reminders.0.before": "7 days",
        "reminders.0.at_time": "09:30",
        "reminders.0.subject.en": "One week left for the second call",
        "reminders.0.subject.sr-Cyrl": "Још недељу дана за други позив",
        "reminders.0.copy.headline.en": "One week left",
        "reminders.0.copy.headline.sr-Cyrl": "Још недељу дана",
        "reminders.0.copy.body.en": "Submit your proposal by 1 March.",
        "reminders.0.copy.body.sr-Cyrl": "Пошаљите предлог до 1. марта.",
    }
    bad = client.post(NEW, data=call_form(csrf, **(row | {"reminders.0.milestone": "opening"})))
    assert bad.status_code == 400
    assert 'data-error-for="reminders.0.milestone">no milestone &#39;opening&#39;' in bad.text
    live = client.post(
        "/staff/campaigns/preview",
        data=call_form(csrf, **row, preview_step="deadline-7d", preview_language="sr-Latn"),
    )
    assert "Još nedelju dana za drugi poziv" in live.text  # the reminder, in generated Latin
    frame = client.get(frame_url(live.text)).text
    assert "Pošaljite predlog do 1. marta." in frame
    assert client.post(NEW, data=call_form(csrf, **row)).status_code == 303
    (step,) = ctx.catalog.campaign("second-call")[0].reminders
    assert (step.key, step.milestone, step.before.days) == ("deadline-7d", "deadline", 7)
    sent = composing.preview(ctx, "second-call", language="sr-Latn", step="deadline-7d")
    assert frame == sent.html  # the preview is the reminder as it will be sent
    edit = client.get("/staff/campaigns/second-call/edit").text
    assert 'name="reminders.0.before" value="7 days"' in edit
    assert '<option value="deadline-7d">reminder deadline-7d</option>' in edit


class Submitted(HTMLParser):
    """What a browser posts for the campaign form: inputs, checked boxes, textareas, the
    selected options (only what the form owns: not the preview's own controls)."""

    def __init__(self) -> None:
        super().__init__()
        self.values: list[tuple[str, str]] = []
        self._text: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "form" in a or tag not in ("input", "textarea", "select", "option"):
            if tag == "select":
                self._select = None
            return
        if (tag == "input" and a.get("type") != "checkbox") or "checked" in a:
            self.values.append((a["name"], a.get("value", "")))
        elif tag == "textarea":
            self._text = a["name"]
        elif tag == "select":
            self._select = a.get("name") or None  # a control without a name is not posted
        elif tag == "option" and self._select and "selected" in a:
            self.values.append((self._select, a.get("value", "")))

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self.values.append((self._text, data.removeprefix("\n")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self._text is not None:
            if not self.values or self.values[-1][0] != self._text:
                self.values.append((self._text, ""))
            self._text = None


def submitted(html: str, **changes: str) -> dict[str, list[str]]:
    parser = Submitted()
    parser.feed(html)
    values: dict[str, list[str]] = {}
    for name, value in parser.values:
        values.setdefault(name, []).append(changes.get(name, value))
    return values


def test_a_file_campaign_is_imported_to_edit_under_its_own_slug(
    client: TestClient, ctx: Services
) -> None:
    sign_in(client, EDITOR)
    url = "/staff/campaigns/days-of-clusters-2015/edit"
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="slug" value="days-of-clusters-2015-copy"' in page.text
    assert 'name="content.organisers.3.roles" value="founder" checked' in page.text
    assert 'name="content.highlights.tr"' in page.text
    assert client.get("/staff/campaigns/no-such/edit").status_code == 404
    # Submitted as a browser would: the file's own slug is taken ...
    clash = client.post(url, data=submitted(page.text, slug="days-of-clusters-2015"))
    assert clash.status_code == 400 and "a slug lives in one place" in clash.text
    # ... the copy's is not, and the copy is the same campaign (reminders included).
    created = client.post(url, data=submitted(page.text))
    assert created.status_code == 303, created.text[:3000]
    copy = ctx.catalog.campaign("days-of-clusters-2015-copy")[0]
    original = ctx.catalog.campaign("days-of-clusters-2015")[0]
    assert copy.content == original.content and copy.reminders == original.reminders
    for lang in original.languages:
        assert composing.preview(ctx, copy.slug, language=lang).text == composing.preview(
            ctx, original.slug, language=lang
        ).text.replace(original.slug, copy.slug)


def test_live_preview_answers_the_exact_email_in_sandboxed_frames(
    client: TestClient, ctx: Services
) -> None:
    csrf = sign_in(client, EDITOR)
    form = call_form(csrf, preview_language="sr-Latn")
    fragment = client.post("/staff/campaigns/preview", data=form)
    assert fragment.status_code == 200
    html = fragment.text
    assert html.count("<iframe ") == 2 and 'width="375"' in html and 'width="640"' in html
    assert 'sandbox="allow-popups allow-popups-to-escape-sandbox"' in html
    assert "allow-scripts" not in html and "srcdoc" not in html
    assert "No problems found." in html
    # The generated Latin for the form's placeholders travels with it.
    assert '<li data-field="subject.sr-Latn">Otvoren drugi poziv</li>' in html
    frame = client.get(frame_url(html))
    assert frame.status_code == 200
    assert "sandbox" in frame.headers["content-security-policy"]
    assert "script-src" not in frame.headers["content-security-policy"]
    # Saved unchanged, the campaign sends exactly what the preview showed.
    assert client.post(NEW, data=call_form(csrf)).status_code == 303
    sent = composing.preview(ctx, "second-call", language="sr-Latn")
    assert frame.text == sent.html
    assert sent.text.splitlines()[0] in html.replace("&#39;", "'")


def test_live_preview_lists_problems_by_field_and_for_a_member(
    client: TestClient, ctx: Services
) -> None:
    csrf = sign_in(client, EDITOR)
    broken = client.post(
        "/staff/campaigns/preview", data=call_form(csrf, **{"content.budget": "zero"})
    )
    assert broken.status_code == 200 and "<iframe" not in broken.text
    assert '<li data-field="content.budget">Input should be a valid decimal</li>' in broken.text
    engine = ctx.ledger.engine  # type: ignore[attr-defined]
    (member_id,) = add_members(engine, 1, topics=("calls",), languages=("sr-Cyrl",), prefix="ivana")
    as_member = client.post(
        "/staff/campaigns/preview",
        data=call_form(csrf, preview_member="ivana0@synthetic.example", preview_language=""),
    )
    mail = client.get(frame_url(as_member.text)).text
    assert '<html lang="sr-Cyrl"' in mail  # her language when none is chosen
    issued = int(ctx.clock.now().timestamp())
    # Her links, but inert: signed for a preview, which the public routes refuse.
    assert ctx.links.builder(PREFERENCES, "calls", issued, preview=True)(member_id) in mail
    assert ctx.links.preferences(member_id, "calls", issued) not in mail
    unknown = client.post(
        "/staff/campaigns/preview", data=call_form(csrf, preview_member="nobody@x.example")
    )
    assert "no member with address nobody@x.example" in unknown.text
    assert "<iframe" in unknown.text  # still the email, to the sample reader


def test_a_preview_frame_is_only_for_its_author(client: TestClient, ctx: Services) -> None:
    csrf = sign_in(client, EDITOR)
    url = frame_url(client.post("/staff/campaigns/preview", data=call_form(csrf)).text)
    with TestClient(create_app(ctx.app), follow_redirects=False) as other:
        sign_in(other, APPROVER)
        assert other.get(url).status_code == 404
    assert client.get("/staff/campaigns/preview/not-a-preview").status_code == 404


def test_why_someone_is_in_or_out(client: TestClient, ctx: Services) -> None:
    sign_in(client, EDITOR)
    engine = ctx.ledger.engine  # type: ignore[attr-defined]
    add_members(engine, 1, topics=("calls",), prefix="in")
    add_members(engine, 1, topics=("news",), prefix="out")
    slug = "interreg-ipa-bg-rs-first-call"
    inside = client.get(f"/staff/campaigns/{slug}/why", params={"email": "in0@synthetic.example"})
    assert inside.status_code == 200
    assert "<strong>in</strong>" in inside.text and 'class="rule-tree"' in inside.text
    outside = client.get(f"/staff/campaigns/{slug}/why", params={"email": "out1@synthetic.example"})
    assert "<strong>out</strong>" in outside.text
    assert (
        '<li class="fail" data-check="topic"><span class="mark">✗</span> not subscribed'
        in outside.text
    )
    unknown = client.get(f"/staff/campaigns/{slug}/why", params={"email": "nobody@x.example"})
    assert "no member has this address" in unknown.text
    assert client.get(f"/staff/campaigns/{slug}/why").status_code == 200  # the form alone
    assert client.get("/staff/campaigns/no-such/why").status_code == 404
    assert client.get("/staff/campaigns/no-such/why?email=a@b.example").status_code == 404
