"""Staff use cases: sessions expire and end, approvals name the approved content."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsletter.authoring import approvals
from newsletter.config import Settings
from newsletter.errors import InputError, NotApprovedError
from newsletter.staff import accounts as staff
from newsletter.staff.domain.users import Role
from tests.approving import approve_now
from tests.conftest import FrozenClock
from tests.services import Services

PASSWORD = "correct horse battery"


def test_sessions_expire_and_sign_out_ends_them(ctx: Services, clock: FrozenClock) -> None:
    staff.add_user(ctx, "ana@x.example", PASSWORD, Role.EDITOR)
    signed = staff.sign_in(ctx, "ANA@x.example", PASSWORD, "127.0.0.1")
    assert staff.current(ctx, signed.token) == signed.session
    clock.advance(hours=staff.SESSION_HOURS + 1)
    assert staff.current(ctx, signed.token) is None
    again = staff.sign_in(ctx, "ana@x.example", PASSWORD, "127.0.0.1")
    staff.sign_out(ctx, again.token)
    assert staff.current(ctx, again.token) is None
    assert staff.current(ctx, None) is None and staff.current(ctx, "x" * 500) is None


def test_a_new_password_ends_open_sessions(ctx: Services) -> None:
    staff.add_user(ctx, "ana@x.example", PASSWORD, Role.EDITOR)
    signed = staff.sign_in(ctx, "ana@x.example", PASSWORD, "127.0.0.1")
    assert staff.add_user(ctx, "ana@x.example", "a brand new password", Role.APPROVER) is False
    assert staff.current(ctx, signed.token) is None
    with pytest.raises(staff.SignInRefused):
        staff.sign_in(ctx, "ana@x.example", PASSWORD, "127.0.0.1")


def test_an_edit_after_approval_needs_a_new_approval(ctx: Services, settings: Settings) -> None:
    staff.add_user(ctx, "boss@x.example", PASSWORD, Role.APPROVER)
    boss = staff.sign_in(ctx, "boss@x.example", PASSWORD, "127.0.0.1").session.user
    approve_now(ctx, "chairmans-letter", boss)
    assert approvals.approval_of(ctx, "chairmans-letter") is not None
    path = Path(settings.path(settings.paths.campaigns)) / "chairmans-letter.yaml"
    text = path.read_text()
    path.write_text(text.replace("title: ", "title: Edited ", 1))
    assert approvals.approval_of(ctx, "chairmans-letter") is None
    with pytest.raises(NotApprovedError):
        approvals.require_approval(ctx, "chairmans-letter")


def test_an_editor_cannot_approve(ctx: Services) -> None:
    staff.add_user(ctx, "ed@x.example", PASSWORD, Role.EDITOR)
    editor = staff.sign_in(ctx, "ed@x.example", PASSWORD, "127.0.0.1").session.user
    with pytest.raises(InputError):
        approve_now(ctx, "chairmans-letter", editor)
