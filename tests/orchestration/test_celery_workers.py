"""Celery workers failing and working together: a worker killed with SIGKILL mid-task leaves its task to
another worker, which records the one and only result; a burst of 1,000 tasks over two workers reaches a
final state for every task, none lost and none recorded twice."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from kubegenie.domain.intents import HelpRequest
from kubegenie.orchestration.runtime import Runtime
from kubegenie.orchestration.task import TaskState
from kubegenie.settings import Settings
from kubegenie.store.models import RESULTS, TASKS
from kubegenie.store.store import Store
from tests.orchestration.conftest import TASK_SETTINGS, agent_registry
from tests.support.services import (
    BROKERS,
    CeleryWorker,
    WorkerSetup,
    delete_queue,
    postgres_database,
    require,
    start_all,
    stop_all,
    token,
)

pytestmark = pytest.mark.slow


def celery_settings(setup: WorkerSetup, directory: Path) -> Settings:
    return Settings(data_dir=directory, tasks=TASK_SETTINGS,
                    queue={"backend": "celery", "broker_url": setup.broker_url, "name": setup.queue},
                    store={"url": setup.database_url})


def result_rows(store: Store, task_id: str | None = None) -> int:
    statement = select(func.count()).select_from(RESULTS)
    if task_id is not None:
        statement = statement.where(RESULTS.c.task_id == task_id)
    with store.db.read() as conn:
        return int(conn.execute(statement).scalar_one())


@pytest.mark.parametrize("broker", ["redis", "amqp"])
async def test_task_of_a_killed_worker_finishes_on_another_with_one_result(broker: str, tmp_path: Path) -> None:
    require("redis" if broker == "redis" else "rabbitmq")
    with postgres_database() as database_url:
        Store.open(database_url).close()
        # Redis hands an unacknowledged message to another worker after the visibility timeout.
        setup = WorkerSetup(BROKERS[broker], f"kg-test-{token()}", database_url, tmp_path,
                            extra_env={"KUBEGENIE_QUEUE__VISIBILITY_TIMEOUT_SECONDS": "3"})
        pair = [CeleryWorker(setup), CeleryWorker(setup)]
        runtime = await Runtime.open(celery_settings(setup, tmp_path), registry=agent_registry())
        try:
            start_all(pair)
            task = await runtime.orchestrator.submit(HelpRequest(topic="sleep:1.5"), timeout_seconds=2.5)
            deadline = time.monotonic() + 15
            while (seen := await runtime.orchestrator.get(task.id)).state is not TaskState.RUNNING:
                assert time.monotonic() < deadline, f"never started: {pair[0].output()}"
                await asyncio.sleep(0.02)
            first, second = pair if seen.worker == pair[0].hostname else pair[::-1]
            assert seen.worker == first.hostname

            first.kill()
            assert (await runtime.orchestrator.get(task.id)).state is TaskState.RUNNING
            done = await runtime.orchestrator.wait(task.id, timeout=30)

            assert done.state is TaskState.SUCCEEDED, (done.error, second.output())
            assert done.worker == second.hostname
            assert done.result is not None and f"pid {second.process.pid}" in done.result.text  # type: ignore[union-attr]
            assert result_rows(runtime.store, task.id) == 1
        finally:
            await runtime.close()
            stop_all(pair)
            delete_queue(setup.broker_url, setup.queue)


async def test_burst_of_1000_tasks_over_two_workers_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    require("redis")
    with postgres_database() as database_url:
        Store.open(database_url).close()
        setup = WorkerSetup(BROKERS["redis"], f"kg-test-{token()}", database_url, tmp_path)
        pair = [CeleryWorker(setup, concurrency=4), CeleryWorker(setup, concurrency=4)]
        runtime = await Runtime.open(celery_settings(setup, tmp_path), registry=agent_registry())
        try:
            start_all(pair)
            submitted = [task for _ in range(20) for task in await asyncio.gather(
                *[runtime.orchestrator.submit(HelpRequest(topic="ok")) for _ in range(50)])]
            ids = {task.id for task in submitted}

            finished = await asyncio.gather(*[runtime.orchestrator.wait(task_id, timeout=120) for task_id in ids])

            assert len(ids) == 1000
            assert {task.state for task in finished} == {TaskState.SUCCEEDED}
            assert result_rows(runtime.store) == 1000
            with runtime.store.db.read() as conn:
                rows = conn.execute(select(TASKS.c.worker, func.count()).group_by(TASKS.c.worker)).all()
                distinct_results = conn.execute(select(func.count(RESULTS.c.task_id.distinct()))).scalar_one()
            assert distinct_results == 1000
            assert {worker for worker, _ in rows} == {worker.hostname for worker in pair}  # both did work
            assert sum(count for _, count in rows) == 1000
        finally:
            await runtime.close()
            stop_all(pair)
            delete_queue(setup.broker_url, setup.queue)
