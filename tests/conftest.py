"""Shared fixtures: a frozen clock, a throw-away project (config + the repo's sample files),
a built services Services on SQLite or PostgreSQL, and the SendGrid test double."""

from __future__ import annotations

import datetime as dt
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text

from newsletter.config import Settings, load_settings
from newsletter.db.engine import make_engine, upgrade
from tests.fakes.contract import migrated_sqlite, stores  # noqa: F401 - contract fixtures
from tests.fakes.sendgrid_server import FakeSendGrid
from tests.pg import postgres_server
from tests.services import Services, services

REPO = Path(__file__).resolve().parents[1]


class FrozenClock:
    def __init__(self, at: dt.datetime | None = None) -> None:
        self.at = at or dt.datetime(2015, 9, 1, 8, 0, tzinfo=dt.UTC)

    def now(self) -> dt.datetime:
        return self.at

    def advance(self, **kwargs: float) -> None:
        self.at += dt.timedelta(**kwargs)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the repo's templates, audiences and campaigns with its own config and var/."""
    for name in ("templates", "audiences", "campaigns"):
        shutil.copytree(REPO / name, tmp_path / name)
    shutil.copy(REPO / "config.yaml", tmp_path / "config.yaml")
    return tmp_path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    try:
        with postgres_server() as url:
            yield url
    except RuntimeError as exc:
        pytest.skip(f"PostgreSQL TESTS SKIPPED: {exc}")


#: The backends a contract test runs on: the in-memory fake and the SQL store on both databases
#: (``@pytest.mark.parametrize("database_url", CONTRACT_BACKENDS, indirect=True)``).
CONTRACT_BACKENDS = ["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each store test runs on SQLite and on a fresh PostgreSQL database (marked ``postgres``,
    so ``-m "not postgres"`` really leaves PostgreSQL out). A contract test parametrises it
    indirectly with ``"memory"`` too (:data:`CONTRACT_BACKENDS`): then it stands for the
    in-memory fakes of tests/fakes/ and no database is made."""
    if request.param == "memory":
        yield "memory"
        return
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'var' / 'test.db'}"
        return
    server = request.getfixturevalue("postgres_url")
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated, empty database of each kind (a test module may define its own)."""
    built = make_engine(database_url)
    upgrade(built)
    yield built
    built.dispose()


def make_settings(project: Path, **overrides: Any) -> Settings:
    return load_settings(project / "config.yaml", **overrides)


@pytest.fixture
def settings(project: Path, database_url: str) -> Settings:
    return make_settings(project, database={"url": database_url})


@pytest.fixture
def ctx(settings: Settings, clock: FrozenClock) -> Iterator[Services]:
    built = services(settings, clock=clock)
    yield built
    built.close()


@pytest.fixture
def fake_sendgrid() -> Iterator[FakeSendGrid]:
    with FakeSendGrid() as fake:
        yield fake
