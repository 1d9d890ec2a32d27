"""Backends for the runtime contract suite: the in-process queue, and Celery on Redis and on RabbitMQ with a
worker process of the module's own (own queue name, own PostgreSQL database), started and stopped here."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kubegenie.agents.registry import AgentRegistry
from kubegenie.orchestration.runtime import Runtime
from kubegenie.settings import Settings
from kubegenie.store.store import Store
from tests.support.runtime_agents import ALL
from tests.support.services import (
    BROKERS,
    CeleryWorker,
    WorkerSetup,
    delete_queue,
    postgres_database,
    require,
    token,
    workers,
)

TASK_SETTINGS: dict[str, Any] = {
    "timeouts": {"security": 0.5},
    "retry_backoff_seconds": 0.05,
    "cancel_poll_seconds": 0.1,
}


def agent_registry() -> AgentRegistry:
    return AgentRegistry.of([agent() for agent in ALL])


@dataclass
class Backend:
    name: str
    broker_url: str | None = None
    queue: str | None = None
    database_url: str | None = None
    worker: CeleryWorker | None = None

    @property
    def celery(self) -> bool:
        return self.broker_url is not None

    def settings(self, directory: Path, **tasks: Any) -> Settings:
        values: dict[str, Any] = {"data_dir": directory, "tasks": TASK_SETTINGS | tasks}
        if self.celery:
            values["queue"] = {"backend": "celery", "broker_url": self.broker_url, "name": self.queue,
                               "connect_timeout_seconds": 3}
            values["store"] = {"url": self.database_url}
        else:
            values["queue"] = {"workers": 1}
        return Settings(**values)


@contextlib.contextmanager
def celery_backend(broker: str, directory: Path, *, concurrency: int = 1) -> Iterator[Backend]:
    """A PostgreSQL database, a queue of its own and one worker process on `broker` ("redis" or "amqp")."""
    require("redis" if broker == "redis" else "rabbitmq")
    with postgres_database() as database_url:
        Store.open(database_url).close()  # migrate once, before workers race to
        setup = WorkerSetup(BROKERS[broker], f"kg-test-{token()}", database_url, directory)
        try:
            with workers(setup, 1, concurrency=concurrency) as started:
                yield Backend(f"celery-{broker}", BROKERS[broker], setup.queue, database_url, started[0])
        finally:
            delete_queue(BROKERS[broker], setup.queue)


@pytest.fixture(scope="module", params=["inprocess", "celery-redis", "celery-amqp"])
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    if request.param == "inprocess":
        yield Backend("inprocess")
        return
    with celery_backend(request.param.removeprefix("celery-"), tmp_path_factory.mktemp("celery")) as backend:
        yield backend


@pytest.fixture
async def runtime(backend: Backend, tmp_path: Path) -> AsyncIterator[Runtime]:
    opened = await Runtime.open(backend.settings(tmp_path), registry=agent_registry())
    try:
        yield opened
    finally:
        await opened.close()
