"""The real services runtime tests use (Redis, RabbitMQ, PostgreSQL on their standard local ports), a fresh
PostgreSQL database per user, and Celery worker processes started and stopped by the tests themselves.

Every name a test creates (queue, database, worker) carries a random token, so parallel runs never collide.
`scripts/ensure-services` starts the services; a test whose service is missing is skipped, saying which.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.runtime_agents import REPO_ROOT, agents_distribution, displaced_builtins

REDIS_URL = "redis://127.0.0.1:6379/0"
AMQP_URL = "amqp://guest:guest@127.0.0.1:5672//"
POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PORTS = {"redis": 6379, "rabbitmq": 5672, "postgresql": 5432}
BROKERS = {"redis": REDIS_URL, "amqp": AMQP_URL}


def token() -> str:
    return uuid.uuid4().hex[:10]


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1):
        return True
    return False


def require(service: str) -> None:
    if not port_open(PORTS[service]):
        pytest.skip(f"{service} is not listening on 127.0.0.1:{PORTS[service]} (run scripts/ensure-services)")


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A new, empty database, dropped afterwards; yields its SQLAlchemy URL."""
    require("postgresql")
    import psycopg

    name = f"kg_test_{token()}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def delete_queue(broker_url: str, name: str) -> None:
    """Remove what a test's queue left on the broker."""
    from kombu import Connection

    with Connection(broker_url, connect_timeout=3) as connection:
        channel = connection.default_channel
        with contextlib.suppress(Exception):
            channel.queue_delete(name)
        with contextlib.suppress(Exception):
            channel.exchange_delete(name)
        if broker_url.startswith("redis"):
            client = channel.client
            keys = list(client.scan_iter(f"{name}*"))
            if keys:
                client.delete(*keys)


@dataclass
class WorkerSetup:
    """What every worker of one test shares: broker, queue, database and the installed test agents."""

    broker_url: str
    queue: str
    database_url: str
    directory: Path
    extra_env: dict[str, str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        agents = agents_distribution(self.directory / "site")
        env = {key: value for key, value in os.environ.items() if not key.startswith("KUBEGENIE_")}
        env.update({
            "KUBEGENIE_QUEUE__BACKEND": "celery",
            "KUBEGENIE_QUEUE__BROKER_URL": self.broker_url,
            "KUBEGENIE_QUEUE__NAME": self.queue,
            "KUBEGENIE_STORE__URL": self.database_url,
            "KUBEGENIE_DATA_DIR": str(self.directory / "data"),
            "KUBEGENIE_TASKS__RETRY_BACKOFF_SECONDS": "0.05",
            "KUBEGENIE_TASKS__CANCEL_POLL_SECONDS": "0.1",
            "PYTHONPATH": os.pathsep.join([str(agents), str(REPO_ROOT)]),
            "KUBEGENIE_AGENTS__DISABLED": json.dumps(displaced_builtins()),
        })
        env.update(self.extra_env)
        return env


class CeleryWorker:
    """One `kubegenie worker` process, started, stopped or killed by a test."""

    def __init__(self, setup: WorkerSetup, *, concurrency: int = 1, name: str | None = None) -> None:
        self.setup = setup
        self.hostname = name or f"w-{token()}@test"
        self.concurrency = concurrency
        self.log = setup.directory / f"{self.hostname.split('@')[0]}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, *, timeout: float = 30.0) -> CeleryWorker:
        return self.launch().wait_ready(timeout=timeout)

    def launch(self) -> CeleryWorker:
        self.setup.directory.mkdir(parents=True, exist_ok=True)
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "kubegenie", "worker", "--concurrency", str(self.concurrency),
                 "--hostname", self.hostname, "--log-level", os.environ.get("KG_TEST_WORKER_LOG", "WARNING")],
                env=self.setup.env(), stdout=log, stderr=subprocess.STDOUT, cwd=self.setup.directory,
            )
        return self

    def wait_ready(self, *, timeout: float = 30.0) -> CeleryWorker:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if f"worker {self.hostname} ready" in self.output():
                return self
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited with {self.process.returncode}:\n{self.output()}")
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"worker not ready after {timeout} s:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def kill(self) -> None:
        """SIGKILL: no chance to finish or acknowledge anything."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def terminate(self) -> None:
        """SIGTERM: Celery's warm shutdown lets running tasks finish."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def stop(self) -> None:
        self.terminate()
        if self.process is None:
            return
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()


def start_all(pending: list[CeleryWorker]) -> list[CeleryWorker]:
    """Start workers side by side (each takes seconds to import and connect)."""
    for worker in pending:
        worker.launch()
    for worker in pending:
        worker.wait_ready()
    return pending


def stop_all(started: list[CeleryWorker]) -> None:
    for worker in started:
        worker.terminate()
    for worker in started:
        worker.stop()


@contextlib.contextmanager
def workers(setup: WorkerSetup, count: int = 1, *, concurrency: int = 1) -> Iterator[list[CeleryWorker]]:
    started: list[CeleryWorker] = []
    try:
        started.extend(CeleryWorker(setup, concurrency=concurrency) for _ in range(count))
        yield start_all(started)
    finally:
        stop_all(started)
