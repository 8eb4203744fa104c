"""The web app's error boundary, against real faults: a SQLite database another process holds
locked past the busy timeout, one that refuses writes, a full disk (a small tmpfs), and an
upload folder that cannot be created. Each request gets a clear 503 (a page in the visitor's
language, or JSON for the webhook and JSON clients) with Retry-After; the log gets one line,
with no traceback and nothing personal; and the same request succeeds once the fault is gone."""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from newsletter.audiences.files import uploads
from newsletter.core.links import UNSUBSCRIBE
from newsletter.db import engine as db_engine
from newsletter.delivery.transports.sendgrid.signature import SignedEventWebhook
from newsletter.web.app import create_app
from tests.conftest import make_settings
from tests.full_disk import fill, small_tmpfs
from tests.services import Services, services
from tests.synthetic import add_deliveries, add_members
from tests.web.staff_helpers import EDITOR, add_accounts, sign_in
from tests.webhook_keys import Signer

ONE_CLICK = {"List-Unsubscribe": "One-Click"}
SERBIAN = {"Accept-Language": "sr-Cyrl-RS,sr;q=0.9,en;q=0.5"}


@dataclass
class Site:
    ctx: Services
    db: Path
    token: str
    client: TestClient
    signer: Signer

    def one_click(self) -> httpx.Response:
        return self.client.post(f"/u/{self.token}", data=ONE_CLICK, headers=SERBIAN)

    def webhook(self) -> httpx.Response:
        now = int(time.time())
        body = json.dumps(
            [
                {
                    "email": "member0@synthetic.example",
                    "timestamp": now - 5,
                    "event": "open",
                    "sg_event_id": f"ev-{now}-{time.monotonic_ns()}",
                    "sg_message_id": "m0.filter",
                }
            ]
        ).encode()
        return self.client.post(
            "/webhooks/sendgrid", content=body, headers=self.signer.headers(body, now)
        )


def _site(folder: Path, project: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    db = folder / "site.db"
    monkeypatch.setattr(db_engine, "BUSY_TIMEOUT_SECONDS", 0.2)
    monkeypatch.setenv("NEWSLETTER_DATABASE__URL", f"sqlite:///{db}")
    monkeypatch.setenv("NEWSLETTER_SECRET_KEY", "Jm3x8Qv2-Lr9TzW4pYc7Nd1Hb6Gf0Ks5Ua_Xe2Vo8Ri")
    ctx = services(make_settings(project))
    engine: Engine = ctx.ledger.engine  # type: ignore[attr-defined]
    mids = add_members(engine, 3, languages=("sr-Cyrl",), consent=True)
    add_deliveries(engine, mids, topic="events", at=ctx.clock.now())
    add_accounts(ctx)
    token = ctx.links.token(UNSUBSCRIBE, mids[0], "events", int(ctx.clock.now().timestamp()))
    signer = Signer.generate()
    app = create_app(ctx.app, webhook=SignedEventWebhook(signer.public_key))
    with TestClient(app, follow_redirects=False) as client:
        yield Site(ctx, db, token, client, signer)
    ctx.close()


@pytest.fixture
def site(project: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    folder = project / "var"
    folder.mkdir(parents=True, exist_ok=True)
    yield from _site(folder, project, monkeypatch)


def _faults(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "newsletter.web.faults"]


def _assert_clean_503(response: httpx.Response, *, page: bool) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "30"
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    for leak in ("Traceback", "sqlite", "INSERT", "UPDATE", "@", "OperationalError"):
        assert leak not in response.text, leak
    if page:
        assert response.headers["content-type"].startswith("text/html")
        assert "<h1>Привремено недоступно</h1>" in response.text  # Accept-Language: Serbian
    else:
        assert response.headers["content-type"] == "application/json"
        said = response.json()
        assert said["error"] == "temporarily unavailable" and said["retry_after"] == 30


def _assert_one_line_each(caplog: pytest.LogCaptureFixture, count: int, what: str) -> None:
    lines = _faults(caplog)
    assert len(lines) == count, [r.getMessage() for r in lines]
    for record in lines:
        message = record.getMessage()
        assert record.levelno == logging.ERROR and what in message, message
        assert "\n" not in message and "@" not in message and "INSERT" not in message
    # Nothing anywhere logged a traceback.
    assert all(r.exc_info is None and r.exc_text is None for r in caplog.records)


def test_a_database_locked_past_the_busy_timeout_is_a_503_and_one_log_line(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    holder = sqlite3.connect(site.db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process's long write (a send, an import)
    try:
        _assert_clean_503(site.one_click(), page=True)
        _assert_clean_503(site.webhook(), page=False)
        sign_in_page = site.client.get("/staff/login")  # reading still works (WAL)
        assert sign_in_page.status_code == 200
        as_json = site.client.post(
            f"/u/{site.token}", data=ONE_CLICK, headers={"Accept": "application/json"}
        )
        _assert_clean_503(as_json, page=False)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    _assert_one_line_each(caplog, 3, "the database is busy")
    lines = [r.getMessage() for r in _faults(caplog)]
    assert lines[0].startswith("POST /u/[token]: 503: ") and site.token not in "".join(lines)
    assert lines[1].startswith("POST /webhooks/sendgrid: 503: ")
    # The lock is gone: the very same requests go through.
    assert site.one_click().status_code == 200
    assert site.webhook().status_code == 200


def test_a_read_only_database_is_a_503(
    site: Site, project: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Tests run as root, where file modes do not stop a write: SQLite's query_only pragma
    # fails writes the way a read-only file does (SQLITE_READONLY).
    pragmas = db_engine._sqlite_pragmas

    def read_only(dbapi_connection: Any, record: Any) -> None:
        pragmas(dbapi_connection, record)
        dbapi_connection.execute("PRAGMA query_only=ON")

    monkeypatch.setattr(db_engine, "_sqlite_pragmas", read_only)
    # A second web process on the same database, started while it refuses writes.
    ctx = services(make_settings(project), migrate=False)
    app = create_app(ctx.app, webhook=SignedEventWebhook(site.signer.public_key))
    with TestClient(app) as client:
        site.client = client
        caplog.set_level(logging.INFO)
        _assert_clean_503(site.one_click(), page=True)
        _assert_clean_503(site.webhook(), page=False)
    ctx.close()
    _assert_one_line_each(caplog, 2, "the database is read-only")


def test_an_upload_folder_that_cannot_be_created_is_a_503(
    project: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = project / "var" / "not-a-folder"
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("a file where the upload folder should be")
    monkeypatch.setattr(uploads, "default_folder", lambda: blocker / "uploads")
    for site in _site(project / "var", project, monkeypatch):
        csrf = sign_in(site.client, EDITOR)
        caplog.set_level(logging.INFO)
        response = site.client.post(
            "/staff/members/import",
            data={"csrf": csrf},
            files={"file": ("members.csv", b"email\nana@klaster.example\n", "text/csv")},
        )
        assert response.status_code == 503, response.text
        assert "<h1>Temporarily unavailable</h1>" in response.text
        assert "ana@klaster.example" not in response.text and "Traceback" not in response.text
        _assert_one_line_each(caplog, 1, "cannot use")
        assert str(blocker) in _faults(caplog)[0].getMessage()  # where: for whoever runs it


@pytest.mark.slow
def test_a_full_disk_is_a_503_and_the_next_request_after_freeing_space_works(
    project: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with small_tmpfs(8 * 1024) as disk:
        for site in _site(disk, project, monkeypatch):
            assert site.client.get(f"/u/{site.token}").status_code == 200  # WAL files opened
            filler = fill(disk)
            caplog.set_level(logging.INFO)
            _assert_clean_503(site.one_click(), page=True)
            _assert_clean_503(site.webhook(), page=False)
            _assert_one_line_each(caplog, 2, "the disk holding the database is full")
            filler.unlink()
            assert site.one_click().status_code == 200
            assert site.webhook().status_code == 200
