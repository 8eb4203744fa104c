"""``newsletter staff sample`` (scripts/demo): the sample editor and approver sign-ins, with a
password generated once into var/ (0600), the same on every run, and nothing touched when the
accounts already have it."""

from __future__ import annotations

import re
import stat
from pathlib import Path

from click.testing import CliRunner, Result

from newsletter.staff import accounts as staff
from newsletter.staff.domain.users import Role
from tests.conftest import make_settings
from tests.services import services

EDITOR, APPROVER = "editor@clusterhouse.example", "approver@clusterhouse.example"


def sample(project: Path) -> Result:
    from newsletter.cli import main

    result = CliRunner().invoke(main, ["--config", str(project / "config.yaml"), "staff", "sample"])
    assert result.exit_code == 0, result.output
    return result


def printed_password(result: Result) -> str:
    found = re.search(r"^\s+password\s+(\S+)$", result.stdout, re.MULTILINE)
    assert found, result.stdout
    return found.group(1)


def test_first_run_generates_a_private_password_and_both_accounts(project: Path) -> None:
    result = sample(project)
    kept = project / "var" / "sample-staff-password"
    password = printed_password(result)
    assert kept.read_text().strip() == password and len(password) >= 16
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert f"editor    {EDITOR}  (added)" in result.stdout
    assert f"approver  {APPROVER}  (added)" in result.stdout
    ctx = services(make_settings(project))
    try:
        users = {u.email: u.role for u in staff.store(ctx).users()}
        assert users == {EDITOR: Role.EDITOR, APPROVER: Role.APPROVER}
        assert staff.sign_in(ctx, APPROVER, password, "127.0.0.1").session.user.can_approve
    finally:
        ctx.close()


def test_later_runs_print_the_same_password_and_leave_sessions_open(project: Path) -> None:
    first = printed_password(sample(project))
    ctx = services(make_settings(project))
    try:
        signed_in = staff.sign_in(ctx, EDITOR, first, "127.0.0.1")
        again = sample(project)
        assert printed_password(again) == first
        assert "(added)" not in again.stdout and "(updated)" not in again.stdout
        assert staff.current(ctx, signed_in.token) is not None  # not signed out by the demo

        # Someone changed the approver's password by hand: the sample one comes back.
        staff.add_user(ctx, APPROVER, "another password entirely", Role.EDITOR)
        restored = sample(project)
        assert f"approver  {APPROVER}  (updated)" in restored.stdout
        assert staff.sign_in(ctx, APPROVER, first, "127.0.0.1").session.user.can_approve
    finally:
        ctx.close()


def test_an_empty_password_file_is_an_error_naming_it(project: Path) -> None:
    from newsletter.cli import main

    kept = project / "var" / "sample-staff-password"
    kept.parent.mkdir(parents=True)
    kept.write_text("\n")
    result = CliRunner().invoke(main, ["--config", str(project / "config.yaml"), "staff", "sample"])
    assert result.exit_code == 2
    assert str(kept) in result.stderr and "delete it" in result.stderr
    assert "Traceback" not in result.output
