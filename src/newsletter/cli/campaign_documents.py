"""Campaigns between files and the database (the staff app's store).

newsletter campaigns import FILE [--slug SLUG] [--replace]
newsletter campaigns export CAMPAIGN [--output FILE]
"""

from __future__ import annotations

from pathlib import Path

import click

from newsletter.cli.common import State, err, handle_errors, out, pass_state
from newsletter.errors import CampaignError


@click.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--slug", default=None, help="Store it under this slug (default: the file's).")
@click.option(
    "--replace",
    is_flag=True,
    help="Overwrite the database campaign with this slug (its approval is withdrawn).",
)
@pass_state
@handle_errors
def campaigns_import(state: State, file: Path, slug: str | None, replace: bool) -> None:
    """Validate a campaign file and store it in the database, where the staff app edits it.
    A slug lives in one place: a file in campaigns/ keeps its own, so give --slug."""
    from newsletter.authoring.documents import import_campaign
    from newsletter.content.files.campaign_yaml import load_campaign

    campaign = load_campaign(file, slug)
    saved = import_campaign(state.app.authoring, campaign, by="cli", replace=replace)
    what = "imported" if saved.created else ("replaced" if saved.changed else "unchanged:")
    note = " (its approval was withdrawn)" if saved.approval_dropped else ""
    out.print(f"{what} {campaign.slug} from {file}{note}", highlight=False)


@click.command("export")
@click.argument("campaign")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the YAML here (default: standard output).",
)
@pass_state
@handle_errors
def campaigns_export(state: State, campaign: str, output: Path | None) -> None:
    """Write a campaign (from the database or a file) as YAML that `import` reads back to the
    same campaign."""
    from newsletter.authoring.documents import export_campaign, stored
    from newsletter.content.files.campaign_yaml import dump_campaign

    document = export_campaign(state.app.authoring, campaign)
    text = dump_campaign(document)
    if output is None:
        click.echo(text, nl=False)
        return
    folder = state.settings.path(state.settings.paths.campaigns).resolve()
    slug = str(document["slug"])
    if output.resolve().parent == folder and stored(state.app.authoring, slug) is not None:
        raise CampaignError(
            f"{slug} is in the database: a copy in {folder} would give the slug two places "
            "(write it elsewhere, or import it under another slug)",
            location=str(output),
        )
    output.write_text(text, encoding="utf-8")
    err.print(f"wrote {output}", highlight=False)
