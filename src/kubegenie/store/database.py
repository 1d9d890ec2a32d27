"""The database of one process: the engine (SQLite file or PostgreSQL by URL), the schema migrations run on
open, short transactions that turn connection failures into `DatabaseUnreachable`, and a small thread pool
through which async code calls the (synchronous) repositories without blocking its event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import functools
import sqlite3
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, Table, create_engine, event, make_url
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.pool import StaticPool

from kubegenie.errors import ConfigError, DatabaseUnreachable

P = ParamSpec("P")
R = TypeVar("R")

MIGRATIONS = Path(__file__).with_name("migrations")
# Any constant works; it only has to be the same in every process that migrates this database.
_PG_MIGRATION_LOCK = 0x6B67_0001


def normalise_url(url: str) -> URL:
    """Parse a database URL; plain postgresql:// means psycopg 3, the driver the `postgres` extra installs."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"'{url}' is not a database URL", "Use sqlite:///PATH or postgresql://USER@HOST/DB.") from exc
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigError(f"database '{parsed.get_backend_name()}' is not supported",
                          "Use SQLite (the default) or PostgreSQL.")
    return parsed


class Database:
    """The engine and its session factory; build with `Database.open(url)`, close with `close()`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        # SQLite takes one writer at a time: one thread keeps writes in order instead of waiting on locks.
        threads = 1 if self.dialect == "sqlite" else 4
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="kubegenie-db")

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> Database:
        """Connect, and bring the schema up to date unless told not to."""
        parsed = normalise_url(url)
        if parsed.get_backend_name() == "sqlite":
            engine = _sqlite_engine(parsed)
        else:
            engine = create_engine(parsed, pool_pre_ping=True, pool_size=5, max_overflow=5,
                                   connect_args={"connect_timeout": 5})
        database = cls(engine)
        try:
            if migrate:
                database.migrate()
            else:
                with database.read():
                    pass
        except BaseException:
            database.close()
            raise
        return database

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def migrate(self, revision: str = "head") -> None:
        """Run the Alembic migrations up to `revision`; safe when several processes start at once."""
        with self._migration_lock(), _translated(self.url), self.engine.connect() as connection:
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS))
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
            connection.commit()

    def downgrade(self, revision: str) -> None:
        with self._migration_lock(), _translated(self.url), self.engine.connect() as connection:
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS))
            config.attributes["connection"] = connection
            command.downgrade(config, revision)
            connection.commit()

    @contextlib.contextmanager
    def begin(self) -> Iterator[Connection]:
        """A transaction committed on success; connection failures become DatabaseUnreachable."""
        with _translated(self.url), self.engine.begin() as connection:
            yield connection

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for reading only."""
        with _translated(self.url), self.engine.connect() as connection:
            yield connection

    def insert(self, table: Table) -> sqlite.Insert | postgresql.Insert:
        """An INSERT of this database's dialect, which can skip rows that break a unique key."""
        return sqlite.insert(table) if self.dialect == "sqlite" else postgresql.insert(table)

    async def run(self, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """Call a blocking repository method from async code."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args, **kwargs))

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        self.engine.dispose()

    @contextlib.contextmanager
    def _migration_lock(self) -> Iterator[None]:
        if self.dialect == "postgresql":
            with _translated(self.url), self.engine.connect() as connection:
                connection.exec_driver_sql(f"SELECT pg_advisory_lock({_PG_MIGRATION_LOCK})")
                try:
                    yield
                finally:
                    connection.exec_driver_sql(f"SELECT pg_advisory_unlock({_PG_MIGRATION_LOCK})")
                    connection.commit()
            return
        database = self.engine.url.database
        if not database or database == ":memory:":
            yield
            return
        with open(f"{database}.migrate-lock", "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def _translated(url: str) -> Iterator[None]:
    try:
        yield
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
        raise DatabaseUnreachable(f"cannot use the database at {url}: {reason}") from exc


def _sqlite_engine(url: URL) -> Engine:
    database = url.database
    memory = not database or database == ":memory:"
    if not memory:
        assert database is not None
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30},
        # One shared connection keeps an in-memory database alive; files get a normal pool.
        poolclass=StaticPool if memory else None,
    )

    @event.listens_for(engine, "connect")
    def _pragmas(connection: sqlite3.Connection, _record: Any) -> None:
        cursor = connection.cursor()
        if not memory:
            # WAL lets readers (`kubegenie tasks list`) run beside a writing worker.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine
