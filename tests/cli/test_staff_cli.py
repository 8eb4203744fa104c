"""``newsletter staff add`` and ``staff list``."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from newsletter.cli import main


def test_staff_add_from_stdin_then_list(project: Path) -> None:
    runner = CliRunner()
    config = ["--config", str(project / "config.yaml")]
    added = runner.invoke(
        main,
        [
            *config,
            "staff",
            "add",
            "Ana@Cluster-House.example",
            "--role",
            "approver",
            "--password-stdin",
        ],
        input="a long enough password\n",
    )
    assert added.exit_code == 0, added.output
    assert "added" in added.output
    again = runner.invoke(
        main,
        [*config, "staff", "add", "ana@cluster-house.example", "--password-stdin"],
        input="another long password\n",
    )
    assert again.exit_code == 0 and "updated" in again.output
    listed = runner.invoke(main, [*config, "staff", "list"])
    assert "ana@cluster-house.example\teditor" in listed.output


def test_staff_add_refuses_a_short_password(project: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "--config",
            str(project / "config.yaml"),
            "staff",
            "add",
            "a@b.example",
            "--password-stdin",
        ],
        input="short\n",
    )
    assert result.exit_code == 2
    assert "at least 10 characters" in result.output


def test_staff_remove_ends_sign_in_and_open_sessions(project: Path) -> None:
    """A staff account can be removed; its open session stops working at once."""
    import pytest

    from newsletter.config import load_settings
    from newsletter.staff import accounts
    from tests.services import services

    runner = CliRunner()
    config = ["--config", str(project / "config.yaml")]
    added = runner.invoke(
        main,
        [*config, "staff", "add", "leaver@cluster-house.example", "--password-stdin"],
        input="a long enough password\n",
    )
    assert added.exit_code == 0, added.output
    ctx = services(load_settings(project / "config.yaml"))
    try:
        leaver, password = "leaver@cluster-house.example", "a long enough password"
        signed = accounts.sign_in(ctx, leaver, password, "x")
        assert accounts.current(ctx, signed.token) is not None
        removed = runner.invoke(main, [*config, "staff", "remove", "Leaver@Cluster-House.example"])
        assert removed.exit_code == 0, removed.output
        assert accounts.current(ctx, signed.token) is None
        with pytest.raises(accounts.SignInRefused):
            accounts.sign_in(ctx, leaver, password, "x")
        again = runner.invoke(main, [*config, "staff", "remove", "leaver@cluster-house.example"])
        assert again.exit_code != 0 and "no staff account" in again.output
    finally:
        ctx.close()
    listed = runner.invoke(main, [*config, "staff", "list"])
    assert "leaver@" not in listed.output
