"""``newsletter staff sample``: the sample sign-ins ``scripts/demo`` prints (an editor and an
approver), so a new user reaches the staff pages without creating an account first.

The password is no constant in the repository: it is generated on the first run into
``var/sample-staff-password`` (mode 0600, next to ``var/secret.key``) and reused, and printed,
on every run after. Accounts that already have it are left alone, open sessions included; an
account whose password or role was changed by hand gets the sample one back.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import click

from newsletter.cli.common import State, handle_errors, out, pass_state
from newsletter.errors import InputError
from newsletter.staff.domain.users import Role

SIGN_IN_FILE = "sample-staff-password"


def sample_accounts(sender_email: str) -> list[tuple[str, Role]]:
    """``editor@`` and ``approver@`` the sending domain (``sender.email``)."""
    domain = sender_email.rsplit("@", 1)[-1]
    return [(f"{role.value}@{domain}", role) for role in (Role.EDITOR, Role.APPROVER)]


def sample_password(path: Path) -> str:
    """The password in ``path``, generated (16 URL-safe characters, 0600) if there is none."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another run wrote it meanwhile: use theirs
            pass
        else:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(secrets.token_urlsafe(12) + "\n")
    try:
        password = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the sample password: {exc}", location=str(path)) from exc
    if not password:
        raise InputError("empty; delete it and a new password is generated", location=str(path))
    return password


@click.command("sample")
@click.option(
    "--password-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help=f"Where the generated password is kept (default: var/{SIGN_IN_FILE}).",
)
@pass_state
@handle_errors
def staff_sample(state: State, password_file: Path | None) -> None:
    """Create the sample editor and approver sign-ins if needed, and print them."""
    from newsletter.staff.accounts import ensure_user

    settings = state.settings
    path = password_file or settings.path(settings.paths.var) / SIGN_IN_FILE
    password = sample_password(path)
    out.print(f"Sample staff sign-in (password kept in {path}):", highlight=False)
    for email, role in sample_accounts(settings.sender.email):
        outcome = ensure_user(state.app.staff, email, password, role)
        note = "" if outcome == "unchanged" else f"  ({outcome})"
        out.print(f"  {role.value:<9} {email}{note}", highlight=False)
    out.print(f"  {'password':<9} {password}", highlight=False)
