"""Every benchmark script still runs: each at a tiny size, on SQLite, as a user would start it
(`python benchmarks/<name>.py ...`). The figures are not checked here (benchmarks/README.md
has them); what is checked is that a script finishes, prints its table and reports no
duplicate or lost message, so a refactoring cannot leave a benchmark broken until the next
time somebody measures."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow

RUNS = {
    "audiences": (
        [
            "--rows",
            "300",
            "--members",
            "1000",
            "--naive-rows",
            "300",
            "--repeat",
            "1",
            "--no-postgres",
        ],
        ["import, batched, one process, SQLite", "count 3-condition segment"],
    ),
    "compose": (["--members", "300", "--sample", "50"], ["speed-up:"]),
    "member_search": (
        ["--members", "1000", "--repeat", "1", "--no-postgres"],
        ["slowest query, search terms:"],
    ),
    "delivery": (
        ["--members", "500", "--naive-sample", "20", "--latency", "0.001"],
        ["recipients/s"],
    ),
    "send_scale": (
        [
            "--members",
            "2000",
            "--senders",
            "1",
            "--databases",
            "sqlite",
            "--claims",
            "new",
            "--latency",
            "0.001",
        ],
        # members | database | claim | senders | ... | duplicates | sent / unknown / failed /
        # pending: every member sent once, nothing else.
        ["| 2,000 | sqlite | new | 1 |", "| 0 | 2,000 / 0 / 0 / 0 |"],
    ),
    "scheduling": (
        ["--campaigns", "10", "--steps", "5", "--due", "20", "--window", "2", "--only", "ours"],
        ["fired 20"],
    ),
}


@pytest.mark.parametrize("name", sorted(RUNS))
def test_the_benchmark_runs_at_a_small_size(name: str) -> None:
    args, expected = RUNS[name]
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / f"{name}.py"), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    for text in expected:
        assert text in done.stdout, done.stdout[-3000:]
