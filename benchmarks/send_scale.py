"""Send at scale: the whole send of a large audience on SQLite and PostgreSQL with 1, 2 and 4
sending processes, to the SendGrid double with 100 ms of latency per request, beside the
claim query this project used before (kept here only, to compare in the same run).

    .venv/bin/python benchmarks/send_scale.py [--members 100000] [--senders 1,2,4]
        [--databases sqlite,postgresql] [--claims new,old] [--old-senders 1]
        [--latency 0.1] [--json]

Per configuration, on a fresh copy of the same synthetic audience (7 language variants):

1. **plan**: one process runs ``send_campaign`` up to its first claim (the approval gate,
   composing, planning the ledger rows in chunks), and stops there.
2. **send**: N processes start together, each ``send_campaign(..., plan_rows=False)`` - what
   ``newsletter worker`` runs - and share the rows by claims until none is left.

Reported: wall time (plan + send), recipients/s, CPU per recipient of the senders (with SQLite
this includes the database, which runs inside them) and of the PostgreSQL server (every
backend, from /proc), the claim time of each process's first and last batch (and the median of
its first five and last five), peak memory (``ru_maxrss``) per process, requests and
duplicates as the double counted them. ``old``
runs the claim query of before (a join with ``members`` ordered over the whole pending backlog
of the variant, no cursor) on the schema of before (without the partial index
``ix_deliveries_pending_claim`` and, on PostgreSQL, with the default fillfactor).
PostgreSQL is a private server started from Debian's binaries (``tests/pg.py``) with
``fsync=off``, as the test suite runs it.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "src"), str(REPO), str(REPO / "benchmarks")]

import send_setup as shared  # noqa: E402 - after the path

CLAIM_INDEX = "ix_deliveries_pending_claim"


# -- the claim query of before (benchmark only) -------------------------------------------------


@functools.lru_cache(maxsize=64)
def old_claim_statement(dialect: str, topic: str, *, packed: bool = False) -> Any:
    """The claim of before: join every pending row of the variant with ``members`` and take
    the first ``limit`` in id order (the cursor did not exist; ``:c_after`` goes unused), as
    the ledger's ``claim_statement`` shapes it (the same parameters, the same packing)."""
    from sqlalchemy import Integer, String, bindparam, func, select

    from newsletter.audiences.sql.segment_compiler import eligible
    from newsletter.db.tables import deliveries, members

    query = (
        select(
            deliveries.c.id,
            deliveries.c.member_id,
            members.c.email,
            members.c.first_name,
            members.c.last_name,
            members.c.organization,
            members.c.language,
            members.c.timezone,
            eligible(topic).label("ok"),
        )
        .join(members, members.c.id == deliveries.c.member_id)
        .where(
            deliveries.c.campaign_id == bindparam("c_campaign", type_=Integer),
            deliveries.c.step == bindparam("c_step", type_=String),
            deliveries.c.language == bindparam("c_language", type_=String),
            deliveries.c.status == "pending",
        )
        .order_by(deliveries.c.id)
        .limit(bindparam("c_limit", type_=Integer))
    )
    if dialect == "postgresql":
        query = query.with_for_update(of=deliveries, skip_locked=True)
    if packed:
        every = query.subquery()
        return select(func.json_group_array(func.json_array(*every.c)))
    return query


# -- the measured phases (each in a child process) ---------------------------------------------


def _ctx() -> Any:
    from newsletter.bootstrap import build_app
    from newsletter.config import load_settings
    from newsletter.content.rendering import compose, sandbox

    # The template watchdog counts wall-clock time (2 s; a render takes ~10 ms); with eight
    # test suites sharing two cores a render was seen to pass it. Not what is measured here.
    compose.Limits = functools.partial(sandbox.Limits, seconds=60.0)  # type: ignore[misc]

    return build_app(load_settings(Path(os.environ["BENCH_PROJECT"]) / "config.yaml"))


def phase_plan() -> dict[str, Any]:
    report, figures = shared.timed_send(_ctx(), should_stop=lambda: True)
    return {**figures, "planned": report.planned}


def phase_send(claim: str) -> dict[str, Any]:
    from newsletter.delivery.sql import ledger as ledger_module

    if claim == "old":
        ledger_module.claim_statement = old_claim_statement  # type: ignore[assignment]
    app = _ctx()
    ctx = app.delivery
    timings: list[tuple[float, int]] = []
    claim_rows = ctx.ledger.claim

    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        got = claim_rows(*args, **kwargs)
        timings.append((time.perf_counter() - started, len(got[0])))
        return got

    ctx.ledger.claim = timed
    _, figures = shared.timed_send(app, plan_rows=False)
    full = [1000 * t for t, n in timings if n > 0]
    return {
        **figures,
        "claims": len(full),
        "first_claim_ms": full[0] if full else None,
        "last_claim_ms": full[-1] if full else None,
        # One claim can wait for a lock behind another process's commit; the median of five
        # shows what a claim costs at that point of the send.
        "first5_claim_ms": statistics.median(full[:5]) if full else None,
        "last5_claim_ms": statistics.median(full[-5:]) if full else None,
    }


# -- databases -----------------------------------------------------------------------------------


def _proc_cpu(pid: int) -> tuple[float, int]:
    """(own + reaped children's CPU seconds, parent pid) of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    utime, stime, cutime, cstime = (int(f) for f in fields[11:15])
    return (utime + stime + cutime + cstime) / tick, int(fields[1])


def postgres_cpu(port: int) -> float:
    """CPU seconds used so far by a PostgreSQL server: the postmaster, the backends it has
    reaped, and those still running."""
    master = None
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmd = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"-p" in cmd and str(port).encode() in cmd and cmd[0].endswith(b"postgres"):
                master = int(entry.name)
    if master is None:
        return 0.0
    total = _proc_cpu(master)[0]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                used, parent = _proc_cpu(int(entry.name))
            except (OSError, ValueError):
                continue
            if parent == master:
                total += used
    return total


class Database:
    """A fresh copy of the loaded audience per run."""

    def __init__(self, kind: str, folder: Path, server: str | None) -> None:
        self.kind, self.folder, self.server = kind, folder, server
        self.runs = 0

    @property
    def template_url(self) -> str:
        if self.kind == "sqlite":
            return f"sqlite:///{self.folder / 'fresh.db'}"
        assert self.server is not None
        return self.server.rsplit("/", 1)[0] + "/bench_fresh"

    def create_template(self) -> None:
        if self.kind == "postgresql":
            self._admin("DROP DATABASE IF EXISTS bench_fresh")  # a server given by URL
            self._admin("CREATE DATABASE bench_fresh")

    def copy(self, *, old_schema: bool) -> str:
        self.runs += 1
        if self.kind == "sqlite":
            target = self.folder / f"run{self.runs}.db"
            shutil.copy(self.folder / "fresh.db", target)
            url = f"sqlite:///{target}"
        else:
            assert self.server is not None
            name = f"bench_run{self.runs}"
            self._admin(f"DROP DATABASE IF EXISTS {name}")
            self._admin(f"CREATE DATABASE {name} TEMPLATE bench_fresh")
            url = self.server.rsplit("/", 1)[0] + f"/{name}"
        if old_schema:
            from sqlalchemy import create_engine, text

            engine = create_engine(url)
            with engine.begin() as conn:
                conn.execute(text(f"DROP INDEX {CLAIM_INDEX}"))
                if self.kind == "postgresql":  # and pages filled to 100 % again
                    conn.execute(text("ALTER TABLE deliveries RESET (fillfactor)"))
            engine.dispose()
        return url

    def drop(self, url: str) -> None:
        if self.kind == "sqlite":
            path = Path(url.removeprefix("sqlite:///"))
            for stale in path.parent.glob(path.name + "*"):
                stale.unlink()
        else:
            self._admin(f"DROP DATABASE {url.rsplit('/', 1)[1]}")

    def cpu(self) -> float:
        if self.kind == "sqlite" or self.server is None:
            return 0.0
        port = int(self.server.rsplit(":", 1)[1].split("/", 1)[0])
        return postgres_cpu(port)

    def _admin(self, sql: str) -> None:
        from sqlalchemy import create_engine, text

        assert self.server is not None
        engine = create_engine(self.server, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(sql))
        engine.dispose()


@contextmanager
def database(kind: str, folder: Path) -> Iterator[Database]:
    if kind == "sqlite":
        yield Database(kind, folder, None)
        return
    from tests.pg import postgres_server

    with postgres_server() as server:
        yield Database(kind, folder, server)


def load(db: Database, count: int) -> None:
    from newsletter.db.engine import make_engine, upgrade

    db.create_template()
    engine = make_engine(db.template_url)
    upgrade(engine)
    took = shared.add_audience(engine, count)
    engine.dispose()
    print(f"{db.kind}: {count:,} members loaded in {took:.0f} s", file=sys.stderr)


# -- orchestration -----------------------------------------------------------------------------


def environment(project: Path, url: str, api_host: str) -> dict[str, str]:
    return {
        **os.environ,
        **shared.sending_env(api_host, BENCH_PROJECT=str(project), NEWSLETTER_DATABASE__URL=url),
    }


def _child(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, __file__, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _result(proc: subprocess.Popen[str], what: str) -> dict[str, Any]:
    stdout, stderr = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"{what} failed:\n{stderr}")
    result: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    return result


def run_one(
    db: Database, project: Path, double: Any, senders: int, claim: str, members: int
) -> dict[str, Any]:
    url = db.copy(old_schema=claim == "old")
    env = environment(project, url, double.url)
    double.call("reset")
    cpu0 = db.cpu()
    started = time.perf_counter()
    plan = _result(_child(["--phase", "plan"], env), "plan")
    cpu1 = db.cpu()
    send_start = time.perf_counter()
    procs = [_child(["--phase", "send", "--claim", claim], env) for _ in range(senders)]
    sends = [_result(p, "send") for p in procs]
    send_seconds = time.perf_counter() - send_start
    wall = time.perf_counter() - started
    cpu2 = db.cpu()
    seen = double.call("summary")
    db.drop(url)
    sent = sum(s["sent"] for s in sends)
    sender_cpu = plan["cpu_seconds"] + sum(s["cpu_seconds"] for s in sends)
    claim_keys = ("first_claim_ms", "last_claim_ms", "first5_claim_ms", "last5_claim_ms")
    claims = {key: _median_of(sends, key) for key in claim_keys}
    return {
        "database": db.kind,
        "claim": claim,
        "senders": senders,
        "members": members,
        "planned": plan["planned"],
        "sent": sent,
        "plan_seconds": plan["seconds"],
        "send_seconds": send_seconds,
        "wall_seconds": wall,
        "recipients_per_s": sent / wall if wall else 0.0,
        "sender_cpu_us_per_recipient": 1e6 * sender_cpu / max(1, sent),
        "db_cpu_us_per_recipient": 1e6 * (cpu2 - cpu0) / max(1, sent) if cpu2 else None,
        "db_cpu_plan_s": cpu1 - cpu0 if cpu1 else None,
        **claims,
        "peak_mb": [plan["peak_mb"], *(s["peak_mb"] for s in sends)],
        "requests": seen["requests"],
        "duplicates": seen["duplicates"],
        "double_recipients": seen["recipients"],
        "left_pending": max(s["pending"] for s in sends),
        "unknown": sum(s["unknown"] for s in sends),
        "failed": sum(s["failed"] for s in sends),
    }


def _median_of(sends: list[dict[str, Any]], key: str) -> float | None:
    """The median over the senders of one claim figure (None where a sender claimed nothing)."""
    found = [s[key] for s in sends if s[key] is not None]
    return statistics.median(found) if found else None


def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    double = shared.Double(args.latency, 50)
    try:
        for kind in args.databases:
            with tempfile.TemporaryDirectory(prefix="nl-bench-scale-") as tmp:
                folder = Path(tmp)
                project = shared.project_in(folder)
                with database(kind, folder) as db:
                    load(db, args.members)
                    for claim in args.claims:
                        for senders in args.old_senders if claim == "old" else args.senders:
                            row = run_one(db, project, double, senders, claim, args.members)
                            rows.append(row)
                            print(line(row), file=sys.stderr)
    finally:
        double.close()
    return rows


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def line(r: dict[str, Any]) -> str:
    db_cpu = r["db_cpu_us_per_recipient"]
    return (
        f"| {r['members']:,} | {r['database']} | {r['claim']} | {r['senders']} "
        f"| {r['wall_seconds']:.1f} ({r['plan_seconds']:.1f} + {r['send_seconds']:.1f}) "
        f"| {r['recipients_per_s']:,.0f} | {r['sender_cpu_us_per_recipient']:.0f} "
        f"| {'-' if db_cpu is None else f'{db_cpu:.0f}'} "
        f"| {_ms(r['first_claim_ms'])} / {_ms(r['last_claim_ms'])} "
        f"({_ms(r['first5_claim_ms'])} / {_ms(r['last5_claim_ms'])}) "
        f"| {max(r['peak_mb']):.0f} | {r['requests']:,} | {r['duplicates']} "
        f"| {r['sent']:,} / {r['unknown']} / {r['failed']} / {r['left_pending']} |"
    )


HEADER = (
    "| members | database | claim | senders | wall s (plan + send) | recipients/s "
    "| sender CPU us/recipient | database CPU us/recipient "
    "| claim ms first / last (median of the first 5 / last 5) "
    "| peak MB per process | requests | duplicates | sent / unknown / failed / pending |\n"
    "|---:|---|---|---:|---|---:|---:|---:|---|---:|---:|---:|---|"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--senders", default="1,2,4")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--claims", default="new,old")
    parser.add_argument("--old-senders", default="1", help="sender counts of the old claim")
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--phase", choices=["plan", "send"], help=argparse.SUPPRESS)
    parser.add_argument("--claim", default="new", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase == "plan":
        print(json.dumps(phase_plan()))
        return
    if args.phase == "send":
        print(json.dumps(phase_send(args.claim)))
        return
    args.senders = [int(n) for n in args.senders.split(",")]
    args.old_senders = [int(n) for n in args.old_senders.split(",")]
    args.databases = args.databases.split(",")
    args.claims = args.claims.split(",")
    before = shared.calibrate()
    rows = run(args)
    machine = f"before: {before}; after: load average {os.getloadavg()[0]:.2f}"
    if args.json:
        print(json.dumps({"machine": machine, "runs": rows}, indent=2))
    else:
        print(HEADER)
        print("\n".join(line(r) for r in rows))
        print(machine)
    if any(r["duplicates"] for r in rows):
        raise SystemExit("duplicates at the double")


if __name__ == "__main__":
    main()
