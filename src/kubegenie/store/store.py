"""The store facade: one database and its repositories, opened from a URL, closed once.

Repositories are synchronous (they are also used from the CLI and from Celery worker threads); async code
calls them through `Store.run`, which keeps database waits off the event loop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec, TypeVar

from kubegenie.store.conversations import ConversationRepository
from kubegenie.store.database import Database
from kubegenie.store.scans import ScanRepository
from kubegenie.store.tasks import Clock, TaskRepository, utcnow

P = ParamSpec("P")
R = TypeVar("R")


class Store:
    def __init__(self, db: Database, clock: Clock = utcnow) -> None:
        self.db = db
        self.tasks = TaskRepository(db, clock)
        self.conversations = ConversationRepository(db, clock)
        self.scans = ScanRepository(db, clock)

    @classmethod
    def open(cls, url: str, *, clock: Clock = utcnow) -> Store:
        """Connect and migrate; raises DatabaseUnreachable or ConfigError with a clear message."""
        return cls(Database.open(url), clock)

    async def run(self, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        return await self.db.run(fn, *args, **kwargs)

    def close(self) -> None:
        self.db.close()
