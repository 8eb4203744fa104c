"""What the send benchmarks (``delivery.py``, ``send_scale.py``) share: the synthetic audience,
the project folder, the SendGrid double in its own process, the environment of a sending
process, and the machine's speed and load to read the figures against (``audiences.py``
uses that too).

The audience is written by the database itself (``INSERT ... SELECT`` over a recursive
counter, one statement per table), so 1,000,000 members cost seconds and no Python row
objects; the members are those of ``tests/synthetic.py`` (active, in RS, subscribed to
``events``), in blocks of one language each in the shares of ``LANGUAGE_SHARE``.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import resource
import shutil
import sys
import time
from collections import Counter
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]

DOC = "days-of-clusters-2015"
#: Members per language (an uneven split costs at most one extra request per variant).
LANGUAGE_SHARE = {
    "en": 0.30,
    "sr-Cyrl": 0.20,
    "sr-Latn": 0.15,
    "bg": 0.10,
    "ro": 0.10,
    "mk": 0.08,
    "tr": 0.07,
}
AT = dt.datetime(2015, 9, 1, 7, 0, tzinfo=dt.UTC)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed_send(app: Any, **options: Any) -> tuple[Any, dict[str, Any]]:
    """``send_campaign`` of the benchmark's campaign with ``app``'s delivery bundle, timed: its
    report, and the figures every send benchmark reports (wall and CPU seconds of this
    process, outcomes, peak memory)."""
    from newsletter.delivery.sending import send_campaign

    start, cpu = time.perf_counter(), cpu_seconds()
    report = send_campaign(app.delivery, DOC, **options)
    figures = {
        "seconds": time.perf_counter() - start,
        "cpu_seconds": cpu_seconds() - cpu,
        "sent": report.sent,
        "requests": report.requests,
        "unknown": report.unknown,
        "failed": report.failed,
        "pending": report.pending,
    }
    app.close()
    figures["peak_mb"] = peak_mb()
    return report, figures


def calibrate() -> str:
    """How fast this machine runs plain Python right now, to read the figures against."""
    started = time.perf_counter()
    total = 0
    for i in range(5_000_000):
        total += i
    loop = time.perf_counter() - started
    return (
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}, "
        f"5M-step Python loop {loop:.2f} s"
    )


def project_in(folder: Path) -> Path:
    """A project copy (templates, campaigns, config) with no member files of its own."""
    project = folder / "project"
    project.mkdir()
    for name in ("templates", "audiences", "campaigns"):
        shutil.copytree(REPO / name, project / name)
    for stray in (project / "audiences").glob("*.csv"):
        stray.unlink()  # only the synthetic audience
    shutil.copy(REPO / "config.yaml", project / "config.yaml")
    return project


def sending_env(api_host: str, **more: str) -> dict[str, str]:
    """The environment of a process that sends through the SendGrid transport to the double."""
    return {
        "SENDGRID_API_KEY": "SG.benchmark",
        "NEWSLETTER_SECRET_KEY": "Jm3x8Qv2-Lr9TzW4pYc7Nd1Hb6Gf0Ks5Ua_Xe2Vo8Ri",
        "NEWSLETTER_DELIVERY__TRANSPORT": "sendgrid",
        "NEWSLETTER_SENDGRID__API_HOST": api_host,
        "NEWSLETTER_SENDGRID__TIMEOUT": "60",
        "NEWSLETTER_WEB__BASE_URL": "https://news.clusterhouse.example",
        **more,
    }


def add_audience(engine: Any, count: int) -> float:
    """Write ``count`` members subscribed to ``events`` into an empty, migrated database;
    returns the seconds it took."""
    from sqlalchemy import Integer, String, case, cast, insert, literal, select

    from newsletter.db.tables import TS, members, subscriptions

    started = time.perf_counter()
    counter = select(literal(0, Integer).label("i")).cte("counter", recursive=True)
    counter = counter.union_all(select(counter.c.i + 1).where(counter.c.i < count - 1))
    bounds, edge = [], 0
    for lang, share in list(LANGUAGE_SHARE.items())[:-1]:
        edge += round(count * share)
        bounds.append((counter.c.i < edge, literal(lang)))
    language = case(*bounds, else_=literal(list(LANGUAGE_SHARE)[-1]))
    email = literal("m") + cast(counter.c.i, String) + literal("@synthetic.example")
    at = literal(AT, TS)
    values = {
        "email": email,
        "email_key": email,
        "first_name": literal("Ana") + cast(counter.c.i, String),
        "last_name": literal("Primer"),
        "organization": literal("Synthetic Cluster"),
        "role": literal(""),
        "country": literal("RS"),
        "language": language,
        "tier": literal("member"),
        "timezone": literal("Europe/Belgrade"),
        "consent_source": literal("synthetic"),
        "status": literal("active"),
        "created_at": at,
        "updated_at": at,
    }
    rows = select(*(v.label(k) for k, v in values.items())).order_by(counter.c.i)
    subscribed = select(members.c.id, literal("events"), literal("subscribed"), at).order_by(
        members.c.id
    )
    with engine.begin() as conn:
        conn.execute(insert(members).from_select(list(values), rows))
        conn.execute(
            insert(subscriptions).from_select(
                ["member_id", "topic", "status", "updated_at"], subscribed
            )
        )
        conn.exec_driver_sql("ANALYZE")  # as an import does
    return time.perf_counter() - started


def serve_fake(conn: Connection, latency: float, validate_every: int) -> None:
    """The SendGrid double, in its own process (its work does not compete with the sender for
    the interpreter lock). It answers without the schema check - a 1000-recipient request
    costs it ~0.2 s of CPU to validate, which would delay the answers to the others in
    flight - and validates the first three and every ``validate_every``-th request in full
    when asked for the summary. It counts every delivery id it accepts, so duplicates show."""
    sys.path[:0] = [str(REPO / "src"), str(REPO)]
    import tests.fakes.sendgrid_server as double

    full = double.validate_mail_send
    double.validate_mail_send = lambda body, *, now=None: []
    with double.FakeSendGrid(latency=latency) as fake:
        conn.send(fake.url)
        started = cpu_seconds()
        while True:
            command = conn.recv()
            if command == "summary":
                requests = fake.requests
                cpu = cpu_seconds() - started  # answering, before the sample is checked
                ids = Counter(
                    p.get("custom_args", {}).get("nl_delivery_id")
                    for r in requests
                    for p in r.body["personalizations"]
                )
                sizes = [len(r.body["personalizations"]) for r in requests]
                sample = [r for n, r in enumerate(requests) if n < 3 or n % validate_every == 0]
                errors = [e for r in sample for e in full(r.body, now=r.received_at)]
                conn.send(
                    {
                        "requests": fake.request_count,
                        "attempts": fake.attempt_count,
                        "recipients": len(fake.recipients()),
                        "duplicates": sum(n - 1 for k, n in ids.items() if k and n > 1),
                        "largest_request": max(sizes, default=0),
                        "schema_validated": len(sample),
                        "schema_errors": [str(e) for e in errors[:5]],
                        "handler_errors": len(fake.handler_errors),
                        "cpu_seconds": cpu,
                    }
                )
            elif command == "reset":
                fake.reset()
                started = cpu_seconds()
                conn.send("ok")
            else:
                conn.send("bye")
                return


class Double:
    """The SendGrid double in its own process, driven by ``reset`` / ``summary`` / ``stop``."""

    def __init__(self, latency: float, validate_every: int) -> None:
        spawn = multiprocessing.get_context("spawn")
        self.ours, theirs = spawn.Pipe()
        self.process = spawn.Process(
            target=serve_fake, args=(theirs, latency, validate_every), daemon=True
        )
        self.process.start()
        self.url: str = self.ours.recv()

    def call(self, command: str) -> Any:
        self.ours.send(command)
        return self.ours.recv()

    def close(self) -> None:
        self.call("stop")
        self.process.join(10)
