"""``campaigns preview``: files to look at, the .ics, and screenshots at phone and desktop width."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from icalendar import Calendar

from newsletter.cli import main
from newsletter.content.files.screenshots import find_chromium


def run(project: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--config", str(project / "config.yaml"), *args])


def test_preview_output_writes_the_calendar_next_to_the_email(project: Path) -> None:
    base = project / "out" / "dofc"
    result = run(project, "campaigns", "preview", "days-of-clusters-2015", "--lang", "bg",
                 "--output", str(base))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Дни на клъстерите 2015" in (project / "out" / "dofc.txt").read_text(encoding="utf-8")
    ics = (project / "out" / "days-of-clusters-2015.ics").read_bytes()
    assert len(Calendar.from_ical(ics).walk("VEVENT")) == 2


@pytest.mark.parametrize("lang", ["de", "xx-Klingon", "sr"])
def test_preview_refuses_a_language_the_campaign_is_not_written_in(
    project: Path, lang: str
) -> None:
    # Not "the English text under another name": the chairman's letter has en and Serbian.
    result = run(project, "campaigns", "preview", "chairmans-letter", "--lang", lang)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""  # nothing rendered
    line = result.stderr.strip()
    assert f"chairmans-letter is not written in {lang!r}" in line
    assert "languages: en, sr-Cyrl, sr-Latn" in line
    assert len(line.splitlines()) == 1 and "Traceback" not in result.output


def test_preview_of_a_campaign_with_an_unsafe_link_fails_without_traceback(
    project: Path,
) -> None:
    path = project / "campaigns" / "days-of-clusters-2015.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("https://daysofclusters.example/2015/register",
                                 "javascript:alert(1)"), encoding="utf-8")  # fmt: skip
    result = run(project, "campaigns", "preview", "days-of-clusters-2015")
    assert result.exit_code == 2
    assert "content.registration_url" in result.stderr
    assert "scheme javascript: is not allowed" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.browser
def test_preview_screenshots(project: Path, tmp_path: Path) -> None:
    if find_chromium() is None:
        pytest.skip("BROWSER TESTS SKIPPED: no Chromium at /usr/bin/chromium")
    shots = tmp_path / "shots"
    result = run(project, "campaigns", "preview", "chairmans-letter", "--lang", "sr-Latn",
                 "--screenshot", str(shots))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in shots.glob("*.png")) == [
        "chairmans-letter-sr-Latn-375.png",
        "chairmans-letter-sr-Latn-640.png",
    ]
    assert "no horizontal scroll" in result.stdout
