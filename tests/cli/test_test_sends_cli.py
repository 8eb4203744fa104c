"""``campaigns send --test-to ... --lang all --step KEY``: one test per language of a reminder
step, to the outbox, nothing in the ledger; a language the campaign lacks sends nothing."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from newsletter.cli import main

SLUG = "days-of-clusters-2015"
STEP = "early-bird-3d"


def test_every_language_of_a_reminder_step_at_once(project: Path) -> None:
    runner = CliRunner()
    base = ["--config", str(project / "config.yaml"), "campaigns", "send", SLUG, "--step", STEP]
    done = runner.invoke(
        main, [*base, "--test-to", "staff@clusterhouse.example", "--lang", "all", "--json"]
    )
    assert done.exit_code == 0, done.output
    reports = json.loads(done.stdout)
    assert [r["language"] for r in reports] == ["en", "sr-Cyrl", "sr-Latn", "ro", "bg", "mk", "tr"]
    assert all(r["step"] == STEP and r["subject"].startswith("[TEST] ") for r in reports)
    files = sorted((project / "var" / "outbox" / SLUG / STEP).glob("test-*.eml"))
    assert len(files) == 7
    assert not list((project / "var" / "outbox").glob(f"{SLUG}/main/*.eml"))

    unknown = runner.invoke(
        main, [*base, "--test-to", "staff@clusterhouse.example", "--lang", "de"]
    )
    assert unknown.exit_code != 0 and "Traceback" not in unknown.output
    assert "not written in de" in unknown.output
    assert len(list((project / "var" / "outbox" / SLUG / STEP).glob("*.eml"))) == 7
