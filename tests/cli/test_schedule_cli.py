"""The scheduling commands as staff meet them: tables, JSON, exit codes, no tracebacks."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from newsletter.cli import main
from newsletter.scheduling.domain.calendar_rules import PRESETS

DOC = "days-of-clusters-2015"
Run = Callable[..., Result]


@pytest.fixture
def run(project: Path) -> Run:
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(main, ["--config", str(project / "config.yaml"), *args])

    return invoke


def future(days: int) -> str:
    """A weekday noon ``days`` ahead of the real clock (the CLI uses it): never a weekend or a
    public holiday of any calendar we know (the schedule would move it to the next open day:
    run on 8 December, 30 days ahead fell on Orthodox Christmas)."""
    day = dt.date.today() + dt.timedelta(days=days)
    while day.weekday() >= 5 or any(c.is_holiday(day) for c in PRESETS.values()):
        day += dt.timedelta(days=1)
    return f"{day.isoformat()}T12:00"


def test_schedule_timeline_pause_resume_cancel(run: Run, project: Path) -> None:
    assert run("members", "import", str(project / "audiences" / "members.csv")).exit_code == 0
    at = future(30)
    schedule = ("campaigns", "schedule", DOC, "--at", at, "--tz", "Europe/Bucharest", "--json")
    refused = run(*schedule)
    assert refused.exit_code == 2 and "Traceback" not in refused.output
    assert refused.stderr.startswith(
        "error: the announcement would go out after Early-bird online registration "
        "[early_bird] (2015-10-02 23:59 Europe/Bucharest), "
    )
    assert refused.stderr.rstrip().endswith("confirm to schedule anyway with --after-milestones")
    result = run(*schedule, "--after-milestones")
    assert result.exit_code == 0, result.output
    planned = json.loads(result.stdout)
    steps = {e["step"]: e for e in planned["entries"]}
    assert steps["main"]["state"] == "scheduled" and steps["main"]["local"].startswith(at[:10])
    assert steps["early-bird-3d"]["state"] == "skipped"  # its 2015 deadline is long past
    rows = json.loads(run("schedule", "timeline", "--json").stdout)
    [main] = [r for r in rows if r["step"] == "main"]
    assert main["campaign"] == DOC and main["audience"] > 0 and main["zone"] == "Europe/Bucharest"
    # One step: a step with nothing scheduled is left alone, the named one is paused.
    assert "0 send(s) paused" in run("campaigns", "pause", DOC, "--step", "early-bird-3d").stdout
    assert "1 send(s) paused" in run("campaigns", "pause", DOC, "--step", "main").stdout
    assert "0 send(s) resumed" in run("campaigns", "resume", DOC, "--step", "early-bird-1d").stdout
    assert "1 send(s) resumed" in run("campaigns", "resume", DOC, "--step", "main").stdout
    assert "1 send(s) paused" in run("campaigns", "pause", DOC).stdout
    assert "1 send(s) resumed" in run("campaigns", "resume", DOC).stdout
    assert "1 scheduled send(s) cancelled" in run("campaigns", "cancel", DOC).stdout
    table = run("schedule", "timeline").stdout
    assert DOC in table and "cancelled" in table


def test_reschedule_plans_the_chain_for_the_new_deadline(run: Run) -> None:
    deadline = future(40)
    result = run("campaigns", "reschedule", DOC, "early_bird", deadline, "--json")
    assert result.exit_code == 0, result.output
    moved = json.loads(result.stdout)
    assert moved["sequence"] == 1
    assert {e["step"]: e["state"] for e in moved["entries"]} == {
        "early-bird-3d": "scheduled",
        "early-bird-1d": "scheduled",
    }
    status = json.loads(run("scheduler", "status", "--json").stdout)
    assert status["leader"] is None and status["schedules"] == {"scheduled": 2}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["campaigns", "schedule", DOC, "--at", "next tuesday"], "not a date"),
        (["campaigns", "schedule", DOC, "--at", "2015-09-01T10:00"], "in the past"),
        (["campaigns", "schedule", DOC, "--at", "2099-09-01T10:00", "--tz", "Europe/Nis"], "zone"),
        (["campaigns", "reschedule", DOC, "earlybird", "2099-10-09T23:59"], "no milestone"),
        (["campaigns", "schedule", "nope", "--at", "2099-09-01T10:00"], "no campaign"),
        (
            ["schedule", "recurring", "add", "d", "--campaign", "digest", "--cron", "0 10 * * 1"],
            "date",
        ),
        (
            [
                "schedule",
                "recurring",
                "add",
                "d",
                "--campaign",
                "d-{date:%Y}",
                "--cron",
                "0 25 * * 1",
            ],
            "hour",
        ),
    ],
)
def test_mistakes_exit_2_with_a_message_and_no_traceback(
    run: Run, args: list[str], message: str
) -> None:
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr and "Traceback" not in result.output


@pytest.mark.slow
def test_simulate_the_days_of_clusters_season(run: Run, project: Path) -> None:
    for name in ("members.csv", "friends.csv"):
        assert run("members", "import", str(project / "audiences" / name)).exit_code == 0
    folder = project / "rehearsal"
    result = run(
        "schedule", "simulate", "--from", "2015-09-01", "--to", "2015-10-23",
        "--schedule", f"{DOC}=2015-09-01T10:00", "--tz", "Europe/Bucharest",
        "--folder", str(folder), "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    sent = [(f["step"], f["at"][:10]) for f in report["fired"] if f["sent"]]
    assert sent == [
        ("main", "2015-09-01"),
        ("early-bird-3d", "2015-09-29"),
        ("early-bird-1d", "2015-10-01"),
    ]
    assert report["outbox"] == str(folder / "outbox")
    assert len(list((folder / "outbox" / DOC / "early-bird-1d").glob("*.eml"))) > 300
    assert not (project / "var" / "outbox").exists()  # the configured outbox is untouched
