"""A process that stops mid-work: a fanned-out task whose parts had not finished is completed and merged by
the next process on the same store (its parts run again where they were interrupted)."""

from __future__ import annotations

from pathlib import Path

from kubegenie.agents.base import ResultStatus
from kubegenie.domain.intents import ClusterReportRequest
from kubegenie.orchestration.runtime import Runtime
from kubegenie.orchestration.task import TaskState
from kubegenie.settings import Settings
from kubegenie.store.store import Store
from tests.orchestration.conftest import TASK_SETTINGS, agent_registry


async def test_fan_out_interrupted_by_a_restart_is_merged_afterwards(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, tasks=TASK_SETTINGS, queue={"workers": 1})
    first = await Runtime.open(settings, registry=agent_registry())
    report = await first.orchestrator.submit(ClusterReportRequest(namespace="hang-security"))
    await first.close()
    store = Store.open(settings.database_url())
    try:
        left = store.tasks.get(report.id)
        unfinished_parts = [part for part in store.tasks.children(report.id) if not part.state.final]
    finally:
        store.close()

    second = await Runtime.open(settings, registry=agent_registry())
    try:
        done = await second.orchestrator.wait(report.id, timeout=20)
        parts = {part.agent: part.state for part in await second.orchestrator.find(parent_id=report.id)}
    finally:
        await second.close()

    assert left.state is TaskState.RUNNING and unfinished_parts  # the first process left work behind
    assert done.state is TaskState.SUCCEEDED
    assert done.result is not None and done.result.status is ResultStatus.PARTIAL
    assert parts == {"health": TaskState.SUCCEEDED, "cost": TaskState.SUCCEEDED, "security": TaskState.TIMED_OUT}
