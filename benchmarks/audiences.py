"""Audience benchmarks: member import throughput and segment counts at scale.

    .venv/bin/python benchmarks/audiences.py [--rows 100000] [--naive-rows 100000]
        [--members 1000000] [--repeat 3] [--no-postgres]

Everything happens in a temporary folder. Each measurement runs in its own child process, so
"peak MB" is that process's own high-water mark (``ru_maxrss``: interpreter, libraries,
SQLite's cache and the work itself), not something left over from a previous step.

1. import: a synthetic 100k-row CSV through the real path (``read_member_file`` ->
   ``import_members`` -> one transaction, set-based SQL per 1000-row chunk), as the CLI runs
   it (rows checked in a forked second process while this one writes, audiences/files/forked.py)
   and in one process; against the obvious approach: the same parsing, then per row a
   SELECT for the address and INSERTs for the member, each subscription and each consent
   event (one transaction too, to be fair). "cpu s" is the CPU time of the measuring
   process plus its forked child; "peak MB" of a two-process import is the writer's, then
   the child's (shared pages count in both).
2. count: a 3-condition segment (country in BG/RS, tier member, subscribed to calls; plus the
   implicit "address is active") over 1M members generated in SQL, on SQLite and, when a
   server can be started (tests/pg.py), on PostgreSQL. Cold = first run, warm = median of 5.
"""

# ruff: noqa: S608 - the SQL that generates synthetic members is built from constants only.
from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "src"), str(REPO), str(REPO / "benchmarks")]

from send_setup import calibrate  # noqa: E402 - after the path; the machine's speed and load

COUNTRIES = (
    ["RS"] * 20
    + ["BG"] * 12
    + ["RO"] * 10
    + ["MK"] * 7
    + ["TR"] * 7
    + ["GR", "BA", "HR", "ME", "AL", "SI", "HU", "CZ", "AT", "IT", "ES", "DE"] * 3
)
SEGMENT = {
    "name": "bench",
    "rule": {
        "all": [
            {"field": "country", "in": ["BG", "RS"]},
            {"field": "tier", "eq": "member"},
            {"topic": "calls"},
        ]
    },
}


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def write_csv(path: Path, rows: int) -> None:
    rng = random.Random(2015)
    first = ["Ana", "Marko", "Иван", "Мария", "Ștefan", "Đorđe", "Ayşe", "Петар", "Elena"]
    last = ["Petrović", "Иванов", "Popescu", "Đorđević", "Yılmaz", "Петровић", "Georgiou"]
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(
            [
                "email",
                "first_name",
                "last_name",
                "organization",
                "role",
                "country",
                "language",
                "tier",
                "topics",
                "timezone",
                "consent_source",
                "consent_date",
            ]
        )
        for i in range(rows):
            topics = [t for t in ("events", "calls", "news") if rng.random() < 0.6] or ["news"]
            out.writerow(
                [
                    f"person{i}@cluster{i % 997}.example",
                    rng.choice(first),
                    rng.choice(last),
                    f"Cluster {i % 997}",
                    rng.choice(["cluster manager", "researcher", "director"]),
                    rng.choice(COUNTRIES),
                    rng.choice(["en", "sr-Latn", "sr-Cyrl", "bg", "ro"]),
                    rng.choice(["member", "friend"]),
                    ";".join(topics),
                    "Europe/Belgrade",
                    "membership-agreement",
                    f"2014-{1 + i % 12:02d}-{1 + i % 28:02d}",
                ]
            )


def context(url: str) -> Any:
    """What ``import_members`` uses of a Context: the SQL store, a clock, the secret."""
    from newsletter.audiences.sql.members import SqlMemberStore
    from newsletter.core.clock import SystemClock
    from newsletter.core.links import Links
    from newsletter.db.engine import make_engine, upgrade

    engine = make_engine(url)
    upgrade(engine)
    return SimpleNamespace(
        members=SqlMemberStore(engine),
        clock=SystemClock(),
        links=Links("https://news.example", b"benchmark-only"),
        close=engine.dispose,
    )


def phase_import(url: str, path: Path, offload: bool = True) -> dict[str, Any]:
    from newsletter.audiences.files.forked import can_fork, forked
    from newsletter.audiences.files.member_files import read_member_file
    from newsletter.audiences.imports import import_members

    ctx = context(url)
    assert can_fork() or not offload
    started, mine, theirs = time.perf_counter(), cpu_seconds(), cpu_seconds(children=True)
    report = import_members(
        ctx,
        read_member_file(path).rows,
        source=str(path),
        offload=forked if offload else None,
    )
    seconds = time.perf_counter() - started
    mine, theirs = cpu_seconds() - mine, cpu_seconds(children=True) - theirs
    ctx.close()
    assert report.imported > 0 and not report.rejected, report.rejected[:3]
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    peak = f"{peak_mb():.0f} + {child:.0f}" if offload else f"{peak_mb():.0f}"
    cpu = f"{mine:.1f} + {theirs:.1f}" if offload else f"{mine:.1f}"
    return {"rows": report.imported, "seconds": seconds, "cpu": cpu, "peak_mb": peak}


def phase_import_one(url: str, path: Path) -> dict[str, Any]:
    return phase_import(url, path, offload=False)


def cpu_seconds(children: bool = False) -> float:
    """User + system time of this process, or of its children that have ended."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


def phase_naive(url: str, path: Path) -> dict[str, Any]:
    """Row by row: SELECT the address, INSERT the member, each subscription, each consent."""
    import datetime as dt

    from sqlalchemy import insert, select

    from newsletter.audiences.domain.members import MemberRecord, parse_member_row
    from newsletter.db.tables import consent_events, members, subscriptions

    ctx = context(url)  # creates and migrates the schema
    ctx.close()
    from newsletter.db.engine import make_engine

    engine = make_engine(url)
    now = dt.datetime.now(dt.UTC)
    started = time.perf_counter()
    count, cpu = 0, cpu_seconds()
    with engine.begin() as conn, path.open(encoding="utf-8", newline="") as fh:
        for number, row in enumerate(csv.DictReader(fh), start=2):
            rec = parse_member_row(row, number)
            assert isinstance(rec, MemberRecord)
            if conn.execute(
                select(members.c.id).where(members.c.email_key == rec.email_key)
            ).first():
                continue
            mid = conn.execute(
                insert(members)
                .values(
                    email=rec.email,
                    email_key=rec.email_key,
                    first_name=rec.first_name,
                    last_name=rec.last_name,
                    organization=rec.organization,
                    role=rec.role,
                    country=rec.country,
                    language=rec.language,
                    tier=rec.tier,
                    timezone=rec.timezone,
                    consent_source=rec.consent_source,
                    consent_date=rec.consent_date,
                    status="active",
                    created_at=now,
                    updated_at=now,
                )
                .returning(members.c.id)
            ).scalar_one()
            for topic in rec.topics:
                conn.execute(
                    insert(subscriptions).values(
                        member_id=mid, topic=topic, status="subscribed", updated_at=now
                    )
                )
                conn.execute(
                    insert(consent_events).values(
                        member_id=mid,
                        topic=topic,
                        action="subscribed",
                        source=rec.consent_source,
                        wording_version="",
                        at=now,
                    )
                )
            count += 1
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    engine.dispose()
    return {"rows": count, "seconds": seconds, "cpu": f"{cpu:.1f}", "peak_mb": peak_mb()}


def generate_members(url: str, n: int) -> None:
    """1M members and their subscriptions, generated inside the database (not timed)."""
    from sqlalchemy import text

    from newsletter.db.engine import make_engine, upgrade

    engine = make_engine(url)
    upgrade(engine)
    pg = engine.dialect.name == "postgresql"
    series = (
        f"SELECT i::bigint AS i FROM generate_series(1, {n}) AS s(i)"
        if pg
        else f"WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) "
        "SELECT i FROM s"
    )
    cases = " ".join(f"WHEN {k} THEN '{c}'" for k, c in enumerate(COUNTRIES))
    country = f"CASE (i * 7919) % {len(COUNTRIES)} {cases} END"
    now = "CURRENT_TIMESTAMP"
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO members (id, email, email_key, first_name, last_name, organization, "
                "role, country, language, tier, timezone, consent_source, consent_wording, status, "
                "created_at, updated_at) "
                f"SELECT i, 'p' || i || '@bench.example', 'p' || i || '@bench.example', 'Ana', "
                f"'Petrović', 'Cluster', 'cluster manager', {country}, 'en', "
                "CASE WHEN (i * 13) % 10 < 6 THEN 'member' ELSE 'friend' END, '', 'bench', '', "
                f"CASE WHEN i % 50 = 0 THEN 'unsubscribed' ELSE 'active' END, {now}, {now} "
                f"FROM ({series}) AS g"
            )
        )
        for topic, share in (("events", 7), ("calls", 4), ("news", 6)):
            conn.execute(
                text(
                    "INSERT INTO subscriptions (member_id, topic, status, updated_at) "
                    f"SELECT id, '{topic}', 'subscribed', {now} FROM members "
                    f"WHERE (id * {len(topic) * 7 + 3}) % 10 < {share}"
                )
            )
        if pg:
            conn.execute(text("ANALYZE"))
    if not pg:
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
    engine.dispose()


def phase_count(url: str) -> dict[str, Any]:
    from newsletter.audiences.domain.segments import Segment
    from newsletter.audiences.sql.members import SqlMemberStore
    from newsletter.db.engine import make_engine

    store = SqlMemberStore(make_engine(url))
    segment = Segment.model_validate(SEGMENT)
    times, result = [], 0
    for _ in range(6):
        started = time.perf_counter()
        result = store.count(segment, None)
        times.append(time.perf_counter() - started)
    store.engine.dispose()
    return {
        "rows": result,
        "cold": times[0],
        "seconds": statistics.median(times[1:]),
        "peak_mb": peak_mb(),
    }


def child(phase: str, url: str, path: str = "") -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--phase", phase, "--url", url, "--file", path]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"{phase} failed:\n{done.stderr}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--naive-rows", type=int, default=100_000, help="rows for the baseline")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each batched import")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        phases = {"import": phase_import, "import1": phase_import_one, "naive": phase_naive}
        out = (
            phase_count(args.url)
            if args.phase == "count"
            else phases[args.phase](args.url, Path(args.file))
        )
        print(json.dumps(out))
        return

    machine = calibrate()
    with tempfile.TemporaryDirectory(prefix="nl-bench-") as tmp:
        folder = Path(tmp)
        source = folder / "audience.csv"
        write_csv(source, args.rows)
        print(f"synthetic audience: {args.rows:,} rows, {source.stat().st_size / 1e6:.1f} MB CSV")
        print(HEADER, flush=True)
        batched_imports(folder, source, args.repeat)
        naive = source
        if args.naive_rows < args.rows:
            naive = folder / "naive.csv"
            write_csv(naive, args.naive_rows)
        show(
            (
                "import, row by row, SQLite",
                child("naive", f"sqlite:///{folder / 'b.db'}", str(naive)),
            )
        )
        big = f"sqlite:///{folder / 'big.db'}"
        generate_members(big, args.members)
        show((f"count 3-condition segment, {args.members:,} members, SQLite", child("count", big)))
        if not args.no_postgres:
            postgres(args, source)
    print(f"{machine}; load average after: {os.getloadavg()[0]:.2f}")


IMPORTS = {
    "import": "import, batched, checked in a 2nd process (CLI), SQLite",
    "import1": "import, batched, one process, SQLite",
}


def batched_imports(folder: Path, source: Path, repeat: int) -> None:
    """Both ways, alternately, ``repeat`` times (the machine's load drifts); then the median
    and the best of each."""
    rates: dict[str, list[float]] = {phase: [] for phase in IMPORTS}
    for _ in range(repeat):
        for phase, name in IMPORTS.items():
            database = folder / f"{phase}.db"
            result = child(phase, f"sqlite:///{database}", str(source))
            for leftover in folder.glob(f"{phase}.db*"):
                leftover.unlink()
            show((name, result))
            rates[phase].append(result["rows"] / result["seconds"])
    for phase, found in rates.items():
        print(
            f"  {IMPORTS[phase]}: typical (median) {statistics.median(found):,.0f} rows/s, "
            f"best {max(found):,.0f} rows/s, of {len(found)} runs",
            flush=True,
        )


def postgres(args: argparse.Namespace, source: Path) -> None:
    from sqlalchemy import create_engine, text

    from tests.pg import postgres_server

    try:
        with postgres_server() as server:
            admin = create_engine(server, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text("CREATE DATABASE bench_import"))
                conn.execute(text("CREATE DATABASE bench_count"))
            admin.dispose()
            base = server.rsplit("/", 1)[0]
            show(
                (
                    "import, batched, checked in a 2nd process, PostgreSQL",
                    child("import", f"{base}/bench_import", str(source)),
                )
            )
            generate_members(f"{base}/bench_count", args.members)
            show(
                (
                    f"count 3-condition segment, {args.members:,} members, PostgreSQL",
                    child("count", f"{base}/bench_count"),
                )
            )
    except RuntimeError as exc:
        print(f"PostgreSQL skipped: {exc}", file=sys.stderr)


HEADER = f"{'measurement':<58} {'rows':>9} {'seconds':>8} {'rows/s':>9} {'cpu s':>9} {'peak MB':>9}"


def show(row: tuple[str, dict[str, Any]]) -> None:
    """Print one measured row at once (a later failure must not lose the earlier ones)."""
    name, r = row
    rate = f"{r['rows'] / r['seconds']:,.0f}" if name.startswith("import") else "-"
    seconds = f"{r['seconds']:.3f}"
    if "cold" in r:
        seconds += f" (cold {r['cold']:.3f})"
    cpu = r.get("cpu", "-")
    peak = r["peak_mb"] if isinstance(r["peak_mb"], str) else f"{r['peak_mb']:.0f}"
    print(f"{name:<58} {r['rows']:>9,} {seconds:>8} {rate:>9} {cpu:>9} {peak:>9}", flush=True)


if __name__ == "__main__":
    main()
