"""Alembic environment: migrates the connection `Database.migrate()` hands over, never one of its own."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from kubegenie.store import models


def run() -> None:
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError("run migrations through kubegenie.store.database.Database.migrate()")
    context.configure(
        connection=connection,
        target_metadata=models.Base.metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds tables instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
