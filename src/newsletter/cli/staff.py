"""Staff accounts for the web app.

newsletter staff add EMAIL --role editor|approver [--password-stdin]
newsletter staff list
newsletter staff remove EMAIL
newsletter secret-key [--rotate]
"""

from __future__ import annotations

import sys

import click

from newsletter.cli.common import State, err, handle_errors, out, pass_state
from newsletter.cli.sample_staff import staff_sample
from newsletter.staff.domain.users import Role


@click.group()
def staff() -> None:
    """Staff who sign in to the web app (editors draft; approvers approve and schedule)."""


@staff.command("add")
@click.argument("email")
@click.option(
    "--role",
    type=click.Choice([r.value for r in Role]),
    default=Role.EDITOR.value,
    show_default=True,
)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of stdin (for scripts) instead of prompting.",
)
@pass_state
@handle_errors
def staff_add(state: State, email: str, role: str, password_stdin: bool) -> None:
    """Create a staff account, or set a new password and role for an existing one."""
    from newsletter.staff.accounts import add_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        # Never an argument: command lines end up in shell history and process lists.
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    new = add_user(state.app.staff, email, password, Role(role))
    verb = "added" if new else "updated (its open sessions were ended)"
    out.print(f"staff account {email} {verb}, role {role}", highlight=False)


@staff.command("remove")
@click.argument("email")
@pass_state
@handle_errors
def staff_remove(state: State, email: str) -> None:
    """Remove a staff account: it cannot sign in any more and its open sessions end now."""
    from newsletter.errors import InputError
    from newsletter.staff.accounts import remove_user

    if not remove_user(state.app.staff, email):
        raise InputError(f"no staff account {email}")
    out.print(f"staff account {email} removed; its sessions were ended", highlight=False)


@staff.command("list")
@pass_state
@handle_errors
def staff_list(state: State) -> None:
    """Staff accounts and their roles."""
    from newsletter.staff.accounts import store

    for user in store(state.app.staff).users():
        click.echo(f"{user.email}\t{user.role.value}")  # tab-separated, for scripts


staff.add_command(staff_sample)


@click.command("secret-key")
@click.option(
    "--rotate",
    is_flag=True,
    help="Replace the signing key; the current one keeps verifying links already sent.",
)
@pass_state
@handle_errors
def secret_key(state: State, rotate: bool) -> None:
    """Print a new NEWSLETTER_SECRET_KEY: 32 random bytes, URL-safe base64 (43 characters).
    Put it in the service's environment, never in config.yaml or the repository.

    --rotate: keys from the environment: print the three lines the service's environment
    file needs (new signing key, the previous ones, the unchanged hash key); keys in var/
    (the outbox default): rotate them there."""
    import secrets as pysecrets

    if not rotate:
        click.echo(pysecrets.token_urlsafe(32))
        return
    from newsletter.keyring import rotate as rotate_keys

    done = rotate_keys(state.settings)
    for line in done.environment:
        click.echo(line)
    for path in done.files:
        err.print(f"rotated: {path}", highlight=False)
    err.print(
        f"{done.previous} older key(s) still verify links already sent; drop one from "
        "NEWSLETTER_PREVIOUS_SECRET_KEYS (or var/previous-secret.keys) once every link signed "
        "with it has expired (90 days after its last send). The hash key never changes."
        + (
            " Put these lines in the service's environment file and restart."
            if done.environment
            else ""
        ),
        highlight=False,
    )
