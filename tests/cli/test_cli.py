"""The CLI as a user meets it: exit codes, messages naming file/row/field, JSON reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from newsletter.cli import main


@pytest.fixture
def run(project: Path) -> object:
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(main, ["--config", str(project / "config.yaml"), *args])

    return invoke


def test_import_reports_rows_and_json(run, project: Path) -> None:  # type: ignore[no-untyped-def]
    result = run("members", "import", str(project / "audiences" / "members.csv"), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    lines = (project / "audiences" / "members.csv").read_text(encoding="utf-8").splitlines()
    assert report["imported"] == len(lines) - 1
    again = json.loads(
        run("members", "import", str(project / "audiences/members.csv"), "--json").stdout
    )
    assert again["imported"] == 0 and again["unchanged"] == report["imported"]


def test_bad_rows_are_named_and_the_rest_imported(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "email,first_name,tier,topics,consent_source\n"
        "ana@klaster.example,Ana,member,events,membership-agreement\n"
        "not-an-address,Bob,member,events,membership-agreement\n"
        "ANA@klaster.example,Ana again,member,events,membership-agreement\n"
        "zoe@klaster.example,Zoe,boss,events,membership-agreement\n",
        encoding="utf-8",
    )
    result = run("members", "import", str(bad))
    assert result.exit_code == 3
    assert f"{bad}:3: email:" in result.output
    assert f"{bad}:4: email: duplicate of row 2" in result.output
    assert f"{bad}:5: tier:" in result.output
    assert "imported 1" in result.output


def test_unknown_column_is_ignored_and_named(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # A column we keep no field for is left out and listed, never dropped silently; the rows
    # are imported from the columns we know.
    bad = tmp_path / "cols.csv"
    bad.write_text("email,favourite_colour\nana@klaster.example,blue\n", encoding="utf-8")
    result = run("members", "import", str(bad))
    assert result.exit_code == 0, result.output
    assert f"{bad}: ignored 1 column(s): 'favourite_colour'" in result.output
    assert "Traceback" not in result.output


def test_campaign_with_missing_template_or_segment(run, project: Path) -> None:  # type: ignore[no-untyped-def]
    path = project / "campaigns" / "broken.yaml"
    path.write_text(
        "title: Broken\naudience: no-such-segment\ntemplate: nowhere.mjml.j2\n"
        "subject: {en: Hello}\npreheader: {en: Hi}\ncopy: {en: {}}\n"
        "content: {sections: [{paragraphs: [Hello]}]}\n",
        encoding="utf-8",
    )
    result = run("campaigns", "validate", "broken")
    assert result.exit_code == 2
    assert "unknown segment 'no-such-segment'" in result.stderr
    assert "nowhere.mjml.j2" in result.stderr
    send = run("campaigns", "send", "broken", "--yes")
    assert send.exit_code != 0 and "Traceback" not in send.output
    assert not (project / "var" / "outbox" / "broken").exists()


def test_invalid_campaign_field_names_file_and_line(run, project: Path) -> None:  # type: ignore[no-untyped-def]
    path = project / "campaigns" / "typo.yaml"
    path.write_text(
        "title: T\naudience: all-news\ntemplate: letter.mjml.j2\n"
        "subject: {en: S}\nlanguages: [en, xx]\n",
        encoding="utf-8",
    )
    result = run("campaigns", "validate", "typo")
    assert result.exit_code == 2
    assert f"{path}:5: languages" in result.stderr


def test_send_refuses_without_yes_when_not_a_terminal(run, project: Path) -> None:  # type: ignore[no-untyped-def]
    result = run("campaigns", "send", "days-of-clusters-2015")
    assert result.exit_code == 2 and "--yes" in result.stderr


def test_send_status_and_json(run, project: Path) -> None:  # type: ignore[no-untyped-def]
    for name in ("members.csv", "friends.csv"):
        assert run("members", "import", str(project / "audiences" / name)).exit_code == 0
    result = run("campaigns", "send", "days-of-clusters-2015", "--yes", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["sent"] > 0 and report["failed"] == 0
    status = json.loads(run("campaigns", "status", "days-of-clusters-2015", "--json").stdout)
    assert status["steps"]["main"]["sent"] == report["sent"]
    dry = json.loads(run("campaigns", "send", "chairmans-letter", "--dry-run", "--json").stdout)
    assert dry["dry_run"] is True and dry["audience"] > 0 and dry["sent"] == 0


def test_sendgrid_without_https_or_key_is_refused_at_start(
    run,
    project: Path,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NEWSLETTER_DELIVERY__TRANSPORT", "sendgrid")
    monkeypatch.delenv("SENDGRID_API_KEY", raising=False)
    result = run("campaigns", "send", "days-of-clusters-2015", "--yes")
    assert result.exit_code == 1 and "RFC 8058" in result.stderr
    monkeypatch.setenv("NEWSLETTER_WEB__BASE_URL", "https://news.clusterhouse.example")
    result = run("campaigns", "send", "days-of-clusters-2015", "--yes")
    assert result.exit_code == 1 and "SENDGRID_API_KEY" in result.stderr


def test_preview_writes_html_text_and_eml(run, project: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "preview" / "doc"
    result = run(
        "campaigns", "preview", "days-of-clusters-2015", "--lang", "sr-Cyrl", "--output", str(out)
    )
    assert result.exit_code == 0, result.output
    html = out.with_suffix(".html").read_text(encoding="utf-8")
    assert 'lang="sr-Cyrl"' in html
    assert "/u/" in out.with_suffix(".txt").read_text(encoding="utf-8")


def test_segments_count_and_explain(run, project: Path) -> None:  # type: ignore[no-untyped-def]
    assert run("members", "import", str(project / "audiences" / "members.csv")).exit_code == 0
    count = run("segments", "count", "bg-rs-calls")
    assert count.exit_code == 0 and int(count.stdout) > 0
    missing = run("segments", "count", "nope")
    assert missing.exit_code == 2 and "unknown segment 'nope'" in missing.stderr
