"""Two workers share one campaign on PostgreSQL (claims with FOR UPDATE SKIP LOCKED) and on
SQLite (claims read under the database's write lock): every delivery goes out exactly once
across both, none is lost, and neither mistakes the other's requests in flight for a crash
(claims are leases, renewed while a request is in flight)."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from newsletter.db.tables import deliveries
from newsletter.delivery.sending import SendReport, send_campaign
from tests.conftest import make_settings
from tests.fakes.sendgrid_server import FakeSendGrid
from tests.services import services
from tests.synthetic import LANGS, add_members

DOC = "days-of-clusters-2015"
MEMBERS = 2000


@pytest.mark.slow
@pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres), "sqlite"], indirect=True
)
def test_two_workers_send_each_delivery_exactly_once(
    project: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SENDGRID_API_KEY", "SG.test")
    monkeypatch.setenv("NEWSLETTER_SECRET_KEY", "Jm3x8Qv2-Lr9TzW4pYc7Nd1Hb6Gf0Ks5Ua_Xe2Vo8Ri")
    # Each request takes longer than a claim's lease: only renewal keeps it from looking dead.
    with FakeSendGrid(latency=1.5) as fake:
        settings = make_settings(
            project,
            database={"url": database_url},
            delivery={
                "transport": "sendgrid",
                "batch_size": 100,
                "max_in_flight": 2,
                "lease_seconds": 0.4,
            },
            sendgrid={"api_host": fake.url, "timeout": 10},
            web={"base_url": "https://news.clusterhouse.example"},
        )
        first, second = services(settings), services(settings)
        try:
            add_members(first.ledger.engine, MEMBERS, languages=LANGS)  # type: ignore[attr-defined]
            reports: dict[str, SendReport] = {}
            errors: list[BaseException] = []

            def work(name: str, ctx: object) -> None:
                try:
                    reports[name] = send_campaign(ctx, DOC)  # type: ignore[arg-type]
                except BaseException as exc:
                    errors.append(exc)

            a = threading.Thread(target=work, args=("a", first))
            a.start()
            assert fake.wait_for_requests(2, timeout=60)  # a is sending, requests in flight
            b = threading.Thread(target=work, args=("b", second))
            b.start()
            a.join(120)
            b.join(120)
            assert not errors, errors
        finally:
            first.close()
            second.close()

        ids = Counter(
            int(p["custom_args"]["nl_delivery_id"])
            for r in fake.requests
            for p in r.body["personalizations"]
        )
        assert set(ids.values()) == {1}  # nobody twice
        engine = services(settings, migrate=False).ledger.engine  # type: ignore[attr-defined]
        with engine.connect() as conn:
            statuses = dict(
                (str(s), int(n))
                for s, n in conn.execute(
                    select(deliveries.c.status, func.count()).group_by(deliveries.c.status)
                ).all()
            )
            all_ids = set(conn.execute(select(deliveries.c.id)).scalars())
        engine.dispose()
        assert statuses == {"sent": MEMBERS}  # nobody lost, nothing unknown
        assert set(ids) == all_ids
        assert reports["a"].sent > 0 and reports["b"].sent > 0  # both really worked
        assert reports["a"].sent + reports["b"].sent == MEMBERS
        assert reports["b"].recovered_unknown == 0
