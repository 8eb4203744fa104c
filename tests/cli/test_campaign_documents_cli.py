"""``campaigns import`` and ``campaigns export``: files to the database and back, with errors
that name the file, line and field and exit non-zero without a traceback."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from newsletter.cli import main

Run = Callable[..., Result]


@pytest.fixture
def run(project: Path) -> Run:
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(main, ["--config", str(project / "config.yaml"), *args])

    return invoke


def test_a_file_campaign_goes_to_the_database_and_back(run: Run, tmp_path: Path) -> None:
    exported = run("campaigns", "export", "days-of-clusters-2015")
    assert exported.exit_code == 0, exported.output
    assert exported.stdout.startswith("# Campaign days-of-clusters-2015")
    source = tmp_path / "dofc.yaml"
    source.write_text(exported.stdout, encoding="utf-8")

    clash = run("campaigns", "import", str(source))
    assert clash.exit_code == 2 and "a slug lives in one place" in clash.stderr
    assert "Traceback" not in clash.output

    imported = run("campaigns", "import", str(source), "--slug", "dofc-2015-copy")
    assert imported.exit_code == 0, imported.output
    assert imported.stdout.startswith("imported dofc-2015-copy")
    listed = json.loads(run("campaigns", "list", "--json").stdout)
    assert [r["slug"] for r in listed][-1] == "dofc-2015-copy"

    again = tmp_path / "again.yaml"
    out = run("campaigns", "export", "dofc-2015-copy", "--output", str(again))
    assert out.exit_code == 0, out.output
    # The same document: only the slug (in the heading comment and the slug: key) differs.
    assert again.read_text(encoding="utf-8") == exported.stdout.replace(
        "days-of-clusters-2015", "dofc-2015-copy", 2
    )
    same = run("campaigns", "import", str(again), "--replace")
    assert same.exit_code == 0 and same.stdout.startswith("unchanged: dofc-2015-copy")
    refused = run("campaigns", "import", str(again))
    assert refused.exit_code == 2 and "give --replace" in refused.stderr


def test_a_mistake_names_file_line_and_field(run: Run, tmp_path: Path) -> None:
    text = run("campaigns", "export", "interreg-ipa-bg-rs-first-call").stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("currency: EUR", "currency: euro"), encoding="utf-8")
    line = 1 + text.splitlines().index("  currency: EUR")
    result = run("campaigns", "import", str(bad), "--slug", "bad-call")
    assert result.exit_code == 2
    assert f"{bad}:{line}: content.currency: String should match pattern" in result.stderr
    assert "Traceback" not in result.output


def test_export_will_not_put_a_database_slug_beside_the_files(run: Run, project: Path) -> None:
    text = run("campaigns", "export", "chairmans-letter").stdout
    source = project / "letter.yaml"
    source.write_text(text, encoding="utf-8")
    assert run("campaigns", "import", str(source), "--slug", "letter-2").exit_code == 0
    target = project / "campaigns" / "letter-2.yaml"
    result = run("campaigns", "export", "letter-2", "--output", str(target))
    assert result.exit_code == 2 and "would give the slug two places" in result.stderr
    assert not target.exists()
