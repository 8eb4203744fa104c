"""The ``newsletter`` command: parse, call one service, present. No logic lives here.

Every user mistake surfaces as a NewsletterError and is printed as ``error: <where>: <what>``
with a non-zero exit code, never as a traceback. ``--json`` prints one JSON document on stdout.
"""

from __future__ import annotations

import click

from newsletter import __version__
from newsletter.cli.common import State, handle_errors, out, pass_state


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config",
    type=click.Path(dir_okay=False),
    default=None,
    help="Config file (default: $NEWSLETTER_CONFIG or ./config.yaml).",
)
@click.version_option(__version__, prog_name="newsletter")
@click.pass_context
def main(click_ctx: click.Context, config: str | None) -> None:
    """Member communication for the Balkan & Black Sea Cluster Network."""
    click_ctx.obj = State(config)
    click_ctx.call_on_close(click_ctx.obj.close)


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@pass_state
@handle_errors
def db_upgrade(state: State) -> None:
    """Create or migrate the database to the newest schema."""
    from newsletter.db.engine import is_current, make_engine, upgrade

    engine = make_engine(state.settings.database_url)
    try:
        upgrade(engine)
        current = is_current(engine)
    finally:
        engine.dispose()
    out.print(f"database at newest schema: {current} ({engine.url.render_as_string()})")


from newsletter.cli.audiences import segments  # noqa: E402
from newsletter.cli.campaigns import campaigns  # noqa: E402  (the group lists its commands)
from newsletter.cli.delivery import events  # noqa: E402
from newsletter.cli.members import members  # noqa: E402
from newsletter.cli.scheduler import schedule, scheduler  # noqa: E402
from newsletter.cli.serve import serve  # noqa: E402
from newsletter.cli.staff import secret_key, staff  # noqa: E402
from newsletter.cli.worker import worker  # noqa: E402

main.add_command(members)
main.add_command(segments)
main.add_command(campaigns)
main.add_command(events)
main.add_command(serve)
main.add_command(schedule)
main.add_command(scheduler)
main.add_command(staff)
main.add_command(secret_key)
main.add_command(worker)
