"""``members import`` of Mailchimp and listmonk exports: mapping, file-level consent, topics
for new people, the update policy and opted-out people turned into suppressions."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from newsletter.cli import main
from tests.audiences.source_exports import listmonk_export, mailchimp_export

Run = Callable[..., Result]
CONSENT = ("--consent", "Mailchimp sign-up form", "--consent-date", "2021-05-04")
CONFIRMED = ("--consent-confirmed-by", "editor@clusterhouse.example")


@pytest.fixture
def run(project: Path) -> Run:
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(main, ["--config", str(project / "config.yaml"), *args])

    return invoke


def person(run: Run, email: str) -> dict[str, object]:
    result = run("members", "export", "--person", email)
    assert result.exit_code == 0, result.output
    found: dict[str, object] = json.loads(result.stdout)
    return found


def held_cyrillic(run: Run, tmp_path: Path, email: str) -> None:
    """A member we already hold, with a Cyrillic name the export spells in Latin."""
    mine = tmp_path / "ours.csv"
    mine.write_text(
        "email,first_name,last_name,language,topics,consent_source\n"
        f"{email},Бранислав,Ристић,sr-Cyrl,news,membership-agreement\n",
        encoding="utf-8",
    )
    assert run("members", "import", str(mine)).exit_code == 0


def test_mailchimp_export_with_map_consent_topics_and_never_overwrite(
    run: Run, tmp_path: Path
) -> None:
    subscribed, unsubscribed, cleaned = mailchimp_export(tmp_path)
    lines = subscribed.read_text(encoding="utf-8").splitlines()
    email = lines[5].split(",")[0]  # row 6 of the file
    held_cyrillic(run, tmp_path, email)
    lines[5] = lines[5].replace(lines[5].split(",")[1], "Branislav", 1)
    subscribed.write_text("\n".join(lines) + "\n", encoding="utf-8")

    args = (
        "members", "import", str(subscribed), "--map", "Institution / Company=organization",
        *CONSENT, *CONFIRMED, "--topic", "events", "--topic", "news", "--update", "never",
    )  # fmt: skip
    dry = run(*args, "--dry-run")
    assert dry.exit_code == 0, dry.output
    out = dry.stdout.splitlines()
    assert out[1] == (
        f"{subscribed}: read as Mailchimp audience export; members already held: never overwrite"
    )
    assert out[2] == (
        f"{subscribed}: consent for rows without their own: Mailchimp sign-up form "
        "(confirmed by editor@clusterhouse.example)"
    )
    assert out[3] == f"{subscribed}: topics for new people: events, news"
    # Every Mailchimp column we do not keep is named, none dropped silently.
    assert out[4].startswith(f"{subscribed}: ignored 14 column(s): 'MEMBER_RATING' (Mailchimp")
    for column in ("OPTIN_TIME", "LEID", "EUID", "NOTES", "TAGS", "LAST_CHANGED"):
        assert f"'{column}'" in out[4]
    assert out[5] == (f"{subscribed}: would import 299, updated 0, unchanged 1, rejected 0")
    assert (
        f"  {subscribed}:6: {email}: first_name: kept 'Бранислав' (the file has 'Branislav')" in out
    )
    assert out[-1] == "dry run: nothing was written (no rejects file either)"
    assert run("members", "export", "--person", email).exit_code == 0  # still only ours

    # Overwrite shows every change old -> new (here only as a dry run).
    over = run(*args[:-1], "overwrite", "--dry-run")
    changed = f"  {subscribed}:6: updated {email}: first_name: 'Бранислав' → 'Branislav', "
    assert any(line.startswith(changed) for line in over.stdout.splitlines()), over.stdout

    done = run(*args, "--json")
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    assert (report["imported"], report["unchanged"], report["no_topics"]) == (299, 1, [])
    held = person(run, email)
    assert held["profile"]["first_name"] == "Бранислав"  # type: ignore[index]
    # A new person: both chosen topics, each with a consent event naming the confirmation,
    # dated when Mailchimp recorded the confirmation (CONFIRM_TIME) or the file's date.
    new_row = lines[10].split(",")
    new = person(run, new_row[0])
    assert new["profile"]["organization"]  # type: ignore[index]
    assert [s["topic"] for s in new["subscriptions"]] == ["events", "news"]  # type: ignore[attr-defined]
    events = new["consent_history"]
    assert {e["source"] for e in events} == {  # type: ignore[attr-defined]
        "Mailchimp sign-up form (confirmed by editor@clusterhouse.example)"
    }

    # The unsubscribed and cleaned files: suppressions, never subscriptions.
    for path, reason in ((unsubscribed, "unsubscribed"), (cleaned, "bounced")):
        result = run("members", "import", str(path), "--json")
        assert result.exit_code == 0, result.output
        found = json.loads(result.stdout)
        assert found["imported"] == 0
        assert found["opted_out"] == len(path.read_text(encoding="utf-8").splitlines()) - 1
        gone = path.read_text(encoding="utf-8").splitlines()[1].split(",")[0]
        shown = run("members", "show", gone)
        assert shown.exit_code == 2
        assert f"the address is suppressed: {reason}" in shown.output


def test_listmonk_export_blocklisted_become_suppressions(run: Run, tmp_path: Path) -> None:
    path = listmonk_export(tmp_path)
    header_and_rows = path.read_text(encoding="utf-8").splitlines()
    held_email = header_and_rows[20].split(",")[1]
    held_cyrillic(run, tmp_path, held_email)
    result = run(
        "members", "import", str(path), "--map", "created_at=consent_date",
        *CONSENT, *CONFIRMED, "--topic", "calls", "--update", "never", "--verbose",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    out = result.stdout.splitlines()
    assert (
        out[1]
        == f"{path}: read as listmonk subscriber export; members already held: never overwrite"
    )
    assert out[4] == (
        f"{path}: ignored 4 column(s): 'uuid' (listmonk subscriber export column we do not keep); "
        "'updated_at' (listmonk subscriber export column we do not keep); "
        "'attributes.city' (attribute that is not a field we keep); "
        "'attributes.projects' (attribute that is not a field we keep)"
    )
    assert out[5] == (
        f"{path}: imported 239, updated 0, unchanged 1, rejected 0; "
        "10 unsubscribed or cleaned in the source, now suppressed"
    )
    blocked = header_and_rows[1].split(",")[1]
    assert (
        f"  {path}:2: {blocked}: unsubscribed in the source system: suppressed, not subscribed"
        in out
    )
    assert person(run, held_email)["profile"]["last_name"] == "Ристић"  # type: ignore[index]
    row = header_and_rows[31]  # n = 30: attributes with organization and country
    new = person(run, row.split(",")[1])
    profile = new["profile"]
    # "name" split into first and last; the JSON attributes filled organisation and country.
    assert f"{profile['first_name']} {profile['last_name']}" == row.split(",")[2]  # type: ignore[index]
    assert profile["organization"] and profile["country"]  # type: ignore[index]
    assert [s["topic"] for s in new["subscriptions"]] == ["calls"]  # type: ignore[attr-defined]
    # created_at, mapped to the consent date, dates the consent event.
    assert new["consent_history"][0]["at"].startswith(row.split(",")[-2][:10])  # type: ignore[index]


def test_map_errors_name_the_column(run: Run, tmp_path: Path) -> None:
    path = listmonk_export(tmp_path, rows=3, blocklisted=0)
    wrong = run("members", "import", str(path), "--map", "Company=organization")
    assert wrong.exit_code == 2
    assert "no column 'Company' in the file" in wrong.output
    assert "Traceback" not in wrong.output
    bad = run("members", "import", str(path), "--map", "uuid=shoe_size")
    assert "'shoe_size' is not a field" in bad.output
    topics = run("members", "import", str(path), "--topic", "events")
    assert topics.exit_code == 2
    assert "topics for new people need the consent statement" in topics.output
    half = run("members", "import", str(path), "--consent", "form")
    assert "--consent and --consent-confirmed-by go together" in half.output


def test_tag_and_its_former_name(run: Run, tmp_path: Path) -> None:
    path = listmonk_export(tmp_path, rows=3, blocklisted=0)
    email = path.read_text(encoding="utf-8").splitlines()[1].split(",")[1]
    assert run("members", "import", str(path), "--tag", "listmonk-2024").exit_code == 0
    assert person(run, email)["tags"] == ["listmonk-2024"]
    assert run("members", "import", str(path), "--list", "old-name").exit_code == 0
    assert person(run, email)["tags"] == ["listmonk-2024", "old-name"]
    both = run("members", "import", str(path), "--tag", "a", "--list", "b")
    assert both.exit_code == 2 and "former name of --tag" in both.output
