"""The delivery ledger's campaign row under concurrency: senders that start the same new
campaign at the same moment (the scheduler and a person, two workers) share one row."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

from sqlalchemy import Engine, func, select

from newsletter.content.files.project_files import ProjectFiles
from newsletter.db.tables import campaigns
from newsletter.delivery.sql.ledger import SqlLedger

REPO = Path(__file__).resolve().parents[3]
NOW = dt.datetime(2015, 9, 1, 8, 0, tzinfo=dt.UTC)
SENDERS = 8


def test_senders_starting_a_new_campaign_together_share_one_row(engine: Engine) -> None:
    files = ProjectFiles(REPO / "templates", REPO / "audiences", REPO / "campaigns")
    campaign, _ = files.campaign("days-of-clusters-2015")
    ledger = SqlLedger(engine)
    start = threading.Barrier(SENDERS)
    ids: list[int] = []
    failures: list[BaseException] = []

    def sender() -> None:
        start.wait()
        try:
            ids.append(ledger.ensure_campaign(campaign, now=NOW))
        except BaseException as exc:  # what went wrong is the assertion
            failures.append(exc)

    threads = [threading.Thread(target=sender) for _ in range(SENDERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert failures == [] and len(ids) == SENDERS and len(set(ids)) == 1
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(campaigns)).scalar_one() == 1
    # Starting it again refreshes the row it has.
    assert ledger.ensure_campaign(campaign, now=NOW + dt.timedelta(hours=1)) == ids[0]
