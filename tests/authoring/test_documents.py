"""Campaigns in the database are campaigns: the catalog reads them like files, a slug lives in
one place, export and import give back the same campaign, an edit withdraws the approval, and
the live preview of a draft is the email the saved campaign sends. SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from newsletter.authoring import approvals
from newsletter.authoring import documents as authoring
from newsletter.authoring.overview import list_campaigns
from newsletter.content import composing
from newsletter.content import why as audience_why
from newsletter.content.domain.campaigns import CampaignDefinition
from newsletter.content.files.campaign_yaml import dump_campaign, load_campaign
from newsletter.content.library import campaign_refs
from newsletter.db.tables import calendar_revisions, campaign_documents
from newsletter.errors import CampaignError, StateError
from newsletter.staff.domain.users import Role, StaffUser
from tests.approving import approve_now
from tests.conftest import FrozenClock
from tests.services import Services
from tests.synthetic import add_members

FILE_SLUG = "interreg-ipa-bg-rs-first-call"
APPROVER = StaffUser(1, "approver@cluster-house.example", Role.APPROVER)


def file_campaign(ctx: Services, slug: str = FILE_SLUG) -> CampaignDefinition:
    return authoring.as_written(ctx).campaign(slug)[0]


def a_copy(ctx: Services, slug: str = "second-call") -> CampaignDefinition:
    return file_campaign(ctx).model_copy(update={"slug": slug, "title": "Second call"})


def test_a_saved_campaign_is_read_like_a_file(ctx: Services) -> None:
    saved = authoring.save(ctx, a_copy(ctx), by="ana@x.example", create=True)
    assert saved.created and saved.changed and not saved.approval_dropped
    campaign, where = ctx.catalog.campaign("second-call")
    assert campaign == a_copy(ctx) and str(where) == "database:second-call"
    assert ctx.catalog.campaign("database:second-call")[0] == campaign
    assert campaign_refs(ctx.catalog, ctx.campaign_documents)[-1] == "database:second-call"
    rows = {r.slug: r for r in list_campaigns(ctx)}
    assert rows["second-call"].title == "Second call" and rows["second-call"].state == "draft"
    assert composing.validate_campaign(ctx, "second-call").ok
    stored = authoring.stored(ctx, "second-call")
    assert stored is not None and stored.updated_by == "ana@x.example"
    assert authoring.stored(ctx, FILE_SLUG) is None


def test_a_slug_lives_in_one_place(ctx: Services) -> None:
    with pytest.raises(CampaignError, match=r"is both the file .*interreg-ipa-bg-rs-first-call"):
        authoring.save(ctx, file_campaign(ctx), by="x", create=True)
    with pytest.raises(CampaignError, match="a word the staff app uses"):
        authoring.save(ctx, a_copy(ctx, "new"), by="x", create=True)
    # A row that got there anyway (another tool, an old backup) is an error, not a choice.
    engine = ctx.ledger.engine  # type: ignore[attr-defined]
    at = ctx.clock.now()
    with engine.begin() as conn:
        conn.execute(
            insert(campaign_documents).values(
                slug=FILE_SLUG,
                document=authoring.document_of(file_campaign(ctx)),
                created_at=at,
                updated_at=at,
                updated_by="restore",
            )
        )
    with pytest.raises(CampaignError, match="a slug lives in one place"):
        ctx.catalog.campaign(FILE_SLUG)
    rows = [r for r in list_campaigns(ctx) if r.slug == FILE_SLUG]
    assert [r.state for r in rows] == ["invalid", "invalid"]  # the file and the row both
    assert all("a slug lives in one place" in r.error for r in rows)


def test_export_then_import_gives_the_same_campaign(ctx: Services, tmp_path: Path) -> None:
    authoring.save(ctx, a_copy(ctx), by="ana@x.example", create=True)
    for ref in ("second-call", "days-of-clusters-2015", "chairmans-letter"):
        text = dump_campaign(authoring.export_campaign(ctx, ref))
        path = tmp_path / f"{ref}.yaml"
        path.write_text(text, encoding="utf-8")
        assert "Дани кластера" in text or ref != "days-of-clusters-2015"  # Unicode as written
        again = load_campaign(path, slug=f"{ref}-again" if ref != "second-call" else None)
        original = authoring.as_written(ctx).campaign(ref)[0]
        assert again == original.model_copy(update={"slug": again.slug})
    replaced = authoring.import_campaign(
        ctx, load_campaign(tmp_path / "second-call.yaml"), replace=True
    )
    assert not replaced.changed  # the same document: nothing written
    with pytest.raises(CampaignError, match="give --replace"):
        authoring.import_campaign(ctx, load_campaign(tmp_path / "second-call.yaml"))


def test_import_names_the_line_and_field_of_a_mistake(ctx: Services, tmp_path: Path) -> None:
    text = dump_campaign(authoring.export_campaign(ctx, FILE_SLUG))
    assert "  budget: '12687304.24'\n" in text  # quoted: read back as the same string
    path = tmp_path / "bad.yaml"
    path.write_text(text.replace("budget: '12687304.24'", "budget: '-5'"), encoding="utf-8")
    line = 1 + text.splitlines().index("  budget: '12687304.24'")
    with pytest.raises(CampaignError) as caught:
        load_campaign(path, slug="bad")
    assert str(caught.value) == f"{path}:{line}: content.budget: Input should be greater than 0"


def test_an_edit_withdraws_the_approval(ctx: Services, clock: FrozenClock) -> None:
    authoring.save(ctx, a_copy(ctx), by="ana@x.example", create=True)
    approve_now(ctx, "second-call", APPROVER)
    assert approvals.approval_of(ctx, "second-call") is not None
    version = authoring.documents(ctx).get("second-call").version  # type: ignore[union-attr]
    same = authoring.save(ctx, a_copy(ctx), by="ana", create=False, expected_version=version)
    assert not same.changed and approvals.approval_of(ctx, "second-call") is not None
    clock.advance(minutes=5)
    edited = a_copy(ctx).model_copy(update={"title": "Second call (corrected)"})
    outcome = authoring.save(ctx, edited, by="ana", create=False, expected_version=version)
    assert outcome.changed and outcome.approval_dropped
    # Ivan opened the approved version too: his save would silently undo Ana's edit.
    with pytest.raises(StateError, match=r"saved by ana at .* after you opened it"):
        authoring.save(ctx, a_copy(ctx), by="ivan", create=False, expected_version=version)
    assert approvals.approval_of(ctx, "second-call") is None
    # The approval stays on record, to show what changed since.
    changed = approvals.standing(ctx, "second-call").changes
    assert [(c.label, c.before, c.after) for c in changed] == [
        ("title", a_copy(ctx).title, "Second call (corrected)")
    ]
    # An approval is of one exact version: editing back to the approved text is that version.
    authoring.save(ctx, a_copy(ctx), by="ana", create=False)
    assert approvals.approval_of(ctx, "second-call") is not None


def test_the_draft_preview_is_the_saved_campaigns_email(ctx: Services) -> None:
    engine = ctx.ledger.engine  # type: ignore[attr-defined]
    authoring.save(ctx, a_copy(ctx), by="ana@x.example", create=True)

    def revisions() -> int:
        with engine.connect() as conn:
            return int(
                conn.execute(select(func.count()).select_from(calendar_revisions)).scalar_one()
            )

    before = revisions()
    draft = authoring.preview_draft(ctx, a_copy(ctx), language="sr-Latn", email=None)
    assert revisions() == before  # typing does not raise the calendar SEQUENCE
    assert draft.message is not None and draft.problems == [] and draft.language == "sr-Latn"
    saved = composing.preview(ctx, "second-call", language="sr-Latn")
    assert draft.message.html == saved.html and draft.message.text == saved.text
    # A change shows at once, and what it breaks is listed.
    changed = a_copy(ctx).model_copy(update={"audience": "no-such-segment"})
    broken = authoring.preview_draft(ctx, changed, language="xx", email="nobody@x.example")
    assert broken.language == "en" and broken.message is not None  # the sample reader instead
    assert any("unknown segment 'no-such-segment'" in p for p in broken.problems)
    assert "no member with address nobody@x.example" in broken.problems
    assert ctx.catalog.campaign("second-call")[0].audience == "bg-rs-calls"  # nothing saved


def test_why_someone_is_in_or_out(ctx: Services) -> None:
    engine = ctx.ledger.engine  # type: ignore[attr-defined]
    add_members(engine, 1, topics=("calls",), languages=("sr-Cyrl",), prefix="in")
    add_members(engine, 1, topics=("news",), prefix="out")
    inside = audience_why.why(ctx, FILE_SLUG, "in0@synthetic.example")
    assert inside.verdict.included and inside.reads == "sr-Cyrl"
    assert inside.segment == "bg-rs-calls" and inside.topic == "calls"
    outside = audience_why.why(ctx, FILE_SLUG, " out1@synthetic.example ")
    assert not outside.verdict.included
    assert [c.name for c in outside.verdict.failed] == ["topic", "rule"]
    unknown = audience_why.why(ctx, FILE_SLUG, "nobody@x.example")
    assert unknown.reads is None and unknown.verdict.failed[0].text == "no member has this address"


def test_without_a_store_campaigns_are_files_only(ctx: Services) -> None:
    files_only = dataclasses.replace(ctx, campaign_documents=None)
    assert authoring.stored(files_only, "second-call") is None
    assert all(not r.startswith("database:") for r in campaign_refs(ctx.catalog, None))
