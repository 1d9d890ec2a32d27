"""Schema migrations: an empty database migrates to exactly the schema the models describe, migrating again
is a no-op, several processes may migrate at once, and the migrations run back down to nothing."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from kubegenie.errors import ConfigError, DatabaseUnreachable
from kubegenie.store.database import Database
from kubegenie.store.models import Base
from tests.support.runtime_agents import REPO_ROOT

TABLES = {"tasks", "results", "conversations", "turns", "scan_runs"}


def test_empty_database_migrates_to_the_models(database_url: str) -> None:
    db = Database.open(database_url, migrate=False)
    try:
        assert set(inspect(db.engine).get_table_names()) == set()
        db.migrate()
        db.migrate()  # a second run changes nothing
        with db.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}),
                                           Base.metadata)
            version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        tables = set(inspect(db.engine).get_table_names())
    finally:
        db.close()

    assert differences == []
    assert version == "0001"
    assert tables == TABLES | {"alembic_version"}


def test_migrations_run_back_down(database_url: str) -> None:
    db = Database.open(database_url)
    try:
        db.downgrade("base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.migrate()
        assert set(inspect(db.engine).get_table_names()) >= TABLES
    finally:
        db.close()


def test_processes_migrating_at_once_do_not_collide(database_url: str) -> None:
    script = "import sys; from kubegenie.store.store import Store; Store.open(sys.argv[1]).close()"
    processes = [subprocess.Popen([sys.executable, "-c", script, database_url], cwd=REPO_ROOT,
                                  stderr=subprocess.PIPE) for _ in range(2)]
    errors = [process.communicate(timeout=60)[1].decode() for process in processes]

    assert [process.returncode for process in processes] == [0, 0], errors
    db = Database.open(database_url, migrate=False)
    try:
        assert set(inspect(db.engine).get_table_names()) >= TABLES
    finally:
        db.close()


def test_unreachable_database_and_bad_urls_are_clear_errors() -> None:
    with pytest.raises(DatabaseUnreachable, match=re.escape("cannot use the database at postgresql+psycopg://nobody@")):
        Database.open("postgresql://nobody@127.0.0.1:1/x")
    with pytest.raises(ConfigError, match="database 'mysql' is not supported"):
        Database.open("mysql://root@127.0.0.1/x")
    with pytest.raises(ConfigError, match="'not a url' is not a database URL"):
        Database.open("not a url")
