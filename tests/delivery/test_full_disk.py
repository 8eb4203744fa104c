"""A send that fills the disk, for real: the database and the outbox on a small tmpfs, filled
until only part of the campaign fits. The run stops with one clear error line and no
traceback; the outbox holds no partial (``.tmp``) file and no ``.eml`` whose ledger row is not
``sent``; once space is freed, the next run finishes and writes each member's message once."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from newsletter.db.tables import deliveries
from tests.conftest import make_settings
from tests.deliveries_helper import STRONG_KEY
from tests.delivery.test_sending import load_samples
from tests.full_disk import fill, free_bytes, small_tmpfs
from tests.services import services

DOC = "days-of-clusters-2015"  # 354 members
MEMBERS = 354


def _ledger(url: str) -> dict[int, str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                int(i): str(s)
                for i, s in conn.execute(
                    select(deliveries.c.id, deliveries.c.status).where(deliveries.c.step == "main")
                ).all()
            }
    finally:
        engine.dispose()


def _outbox(folder: Path) -> tuple[set[int], list[Path]]:
    """The delivery ids with an ``.eml``, and every other file (partial writes)."""
    emls = {int(p.stem) for p in folder.rglob("*.eml")}
    others = [p for p in folder.rglob("*") if p.is_file() and p.suffix != ".eml"]
    return emls, others


def _consistent(url: str, outbox: Path) -> dict[int, str]:
    ledger = _ledger(url)
    emls, others = _outbox(outbox)
    assert others == [], others  # no .tmp left by a write the disk cut short
    sent = {i for i, s in ledger.items() if s == "sent"}
    assert emls == sent, (len(emls), len(sent), sorted(emls ^ sent)[:10])
    return ledger


@pytest.mark.slow
@pytest.mark.parametrize("room_kib", [4000, 8000])  # the database, then the outbox, fills up
def test_a_send_that_fills_the_disk_stops_cleanly_and_the_next_run_finishes(
    project: Path, monkeypatch: pytest.MonkeyPatch, room_kib: int
) -> None:
    with small_tmpfs(48 * 1024) as disk:
        url = f"sqlite:///{disk / 'news.db'}"
        outbox = disk / "outbox"
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("NEWSLETTER_")},
            "NEWSLETTER_DATABASE__URL": url,
            "NEWSLETTER_DELIVERY__OUTBOX_DIR": str(outbox),
            "NEWSLETTER_SECRET_KEY": STRONG_KEY,
        }
        for key in ("NEWSLETTER_DATABASE__URL", "NEWSLETTER_DELIVERY__OUTBOX_DIR"):
            monkeypatch.setenv(key, env[key])
        ctx = services(make_settings(project))
        load_samples(ctx, project)
        ctx.close()
        command = [
            sys.executable, "-m", "newsletter", "--config", str(project / "config.yaml"),
            "campaigns", "send", DOC, "--yes",
        ]  # fmt: skip
        filler = fill(disk)
        # Leave room for part of the campaign only (each message is some tens of KiB).
        os.truncate(filler, max(0, filler.stat().st_size - room_kib * 1024))
        assert free_bytes(disk) < (room_kib + 64) * 1024
        first = subprocess.run(command, cwd=project, env=env, capture_output=True, timeout=300)
        stderr = first.stderr.decode()
        assert first.returncode == 1, (first.stdout.decode(), stderr)
        assert "Traceback" not in stderr and "@" not in stderr, stderr
        # Whichever filled up first, the database or the outbox: one line says so.
        problems = [
            line for line in stderr.splitlines() if line.startswith(("error:", "  stopped:"))
        ]
        assert len(problems) == 1, stderr
        assert "full" in problems[0] or "No space left" in problems[0], problems[0]
        assert "free some space" in problems[0], problems[0]
        ledger = _consistent(url, outbox)
        halfway = Counter(ledger.values())
        # It stopped part of the way. (On this sample, 4 MiB of room fill up in the database's
        # write-ahead log after a batch or two; 8 MiB in the outbox, after about a third.)
        assert halfway["sent"] < MEMBERS and not halfway["failed"], halfway

        filler.unlink()  # space is freed
        second = subprocess.run(command, cwd=project, env=env, capture_output=True, timeout=300)
        assert second.returncode == 0, second.stderr.decode()
        assert b"Traceback" not in second.stderr
        ledger = _consistent(url, outbox)
        assert Counter(ledger.values()) == Counter({"sent": MEMBERS})
