"""Engine creation and migrations (Alembic, run in-process on first use)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from newsletter.core.private_files import private_file
from newsletter.errors import ConfigError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: How long a statement waits for another process's lock on SQLite before it fails.
BUSY_TIMEOUT_SECONDS = 30.0


def make_engine(url: str) -> Engine:
    """Create the engine; for SQLite create the folder and turn on what SQLite leaves off."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"database.url is not a database URL: {url!r}") from exc
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            # Private before SQLite opens it: the WAL and -shm files take its mode.
            private_file(Path(database))
            for extra in ("-wal", "-shm"):
                found = Path(database + extra)
                if found.exists():
                    private_file(found)
        kwargs["connect_args"] = {"timeout": BUSY_TIMEOUT_SECONDS}
    try:
        engine = create_engine(parsed, **kwargs)
    except (SQLAlchemyError, ImportError) as exc:
        raise ConfigError(f"cannot use database {parsed.render_as_string()}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")  # off by default in SQLite
    cursor.execute("PRAGMA journal_mode=WAL")  # readers (the web app) never block the sender
    cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL; a crash loses no commit
    cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}")
    cursor.close()
    # Python's Unicode case folding for segment rules (SQLite's lower() folds ASCII only);
    # see audiences/sql/segment_compiler.py.
    dbapi_connection.create_function("casefold", 1, _casefold, deterministic=True)


def _casefold(value: str | None) -> str | None:
    return None if value is None else value.casefold()


def _alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Bring the schema to the newest revision, or to ``revision`` (idempotent)."""
    _migrate(engine, lambda cfg: command.upgrade(cfg, revision))


def downgrade(engine: Engine, revision: str) -> None:
    """Take the schema back to ``revision`` (tests; an operator undoing an upgrade)."""
    _migrate(engine, lambda cfg: command.downgrade(cfg, revision))


def _migrate(engine: Engine, run: Callable[[Config], None]) -> None:
    cfg = _alembic_config()
    try:
        with engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:
                # A migration that rebuilds a table (Alembic's batch mode: copy, drop, rename)
                # would, with foreign keys enforced, cascade the DROP into every table that
                # refers to it (https://sqlite.org/lang_droptable.html): 0018 emptied `events`
                # that way. The pragma is a no-op inside a transaction
                # (https://sqlite.org/pragma.html#pragma_foreign_keys), so it is set before the
                # migrations' transaction, and the keys are checked before that commits.
                _foreign_keys(connection, "OFF")
            try:
                with connection.begin():
                    cfg.attributes["connection"] = connection
                    run(cfg)
                    if sqlite:
                        _check_foreign_keys(connection)
            finally:
                if sqlite:
                    _foreign_keys(connection, "ON")
    except SQLAlchemyError as exc:
        said = str(getattr(exc, "orig", None) or exc).splitlines()[0]  # not the statement
        raise ConfigError(f"cannot migrate the database: {said}") from exc


def _foreign_keys(connection: Connection, state: str) -> None:
    connection.exec_driver_sql(f"PRAGMA foreign_keys={state}")
    connection.commit()


def _check_foreign_keys(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").first()
    if broken is not None:
        raise ConfigError(
            f"cannot migrate the database: table {broken[0]} row {broken[1]} "
            f"refers to a missing {broken[2]} row"
        )


def is_current(engine: Engine) -> bool:
    heads = set(ScriptDirectory.from_config(_alembic_config()).get_heads())
    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads()) == heads
