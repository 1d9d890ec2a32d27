"""Every store test runs on both databases: a SQLite file and a fresh PostgreSQL database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kubegenie.store.store import Store
from tests.support.services import postgres_database


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'kubegenie.db'}"
        return
    with postgres_database() as url:
        yield url


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    opened = Store.open(database_url)
    try:
        yield opened
    finally:
        opened.close()
