"""Concurrency limits per agent and per cluster (a busy agent or cluster never holds up the others), and the
runtime's own Prometheus metrics, each runtime in a registry of its own."""

from __future__ import annotations

import asyncio
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from kubegenie.domain.intents import HealthCheckRequest, HelpRequest
from kubegenie.observability.metrics import RuntimeMetrics
from kubegenie.orchestration.runtime import Runtime
from kubegenie.orchestration.task import Task, TaskState
from kubegenie.settings import Settings
from tests.orchestration.conftest import TASK_SETTINGS, agent_registry


def most_at_once(tasks: list[Task]) -> int:
    """The largest number of these tasks that were running at the same moment."""
    edges = sorted([(task.started_at, 1) for task in tasks] + [(task.finished_at, -1) for task in tasks],
                   key=lambda edge: (edge[0], edge[1]))
    running = peak = 0
    for _, change in edges:
        running += change
        peak = max(peak, running)
    return peak


async def test_per_agent_limit_leaves_room_for_other_agents(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, queue={"workers": 8}, tasks=TASK_SETTINGS | {"concurrency": {"script": 2}})
    async with await Runtime.open(settings, registry=agent_registry()) as runtime:
        slow = [await runtime.orchestrator.submit(HelpRequest(topic="sleep:0.3")) for _ in range(6)]
        quick = await runtime.orchestrator.submit(HealthCheckRequest())

        quick_done = await runtime.orchestrator.wait(quick.id, timeout=10)
        slow_done = [await runtime.orchestrator.wait(task.id, timeout=10) for task in slow]

    assert most_at_once(slow_done) == 2
    assert quick_done.state is TaskState.SUCCEEDED
    # It did not queue behind the six: it finished before the last pair even started.
    assert quick_done.finished_at < max(task.started_at for task in slow_done)  # type: ignore[operator,type-var]


async def test_per_cluster_limit(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, queue={"workers": 8}, tasks=TASK_SETTINGS | {"cluster_concurrency": 1})
    async with await Runtime.open(settings, registry=agent_registry()) as runtime:
        staging = [await runtime.orchestrator.submit(HelpRequest(topic="sleep:0.2", cluster="staging"))
                   for _ in range(3)]
        prod = [await runtime.orchestrator.submit(HelpRequest(topic="sleep:0.2", cluster="prod")) for _ in range(3)]
        done = await asyncio.gather(*[runtime.orchestrator.wait(task.id, timeout=10) for task in staging + prod])

    assert most_at_once(list(done[:3])) == 1 and most_at_once(list(done[3:])) == 1
    assert most_at_once(list(done)) == 2  # the two clusters ran side by side


def samples(metrics: RuntimeMetrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(metrics.exposition().decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


async def test_metrics_count_durations_failures_depth_and_active_tasks(tmp_path: Path) -> None:
    metrics, other = RuntimeMetrics(), RuntimeMetrics()
    settings = Settings(data_dir=tmp_path, queue={"workers": 1}, tasks=TASK_SETTINGS)
    async with await Runtime.open(settings, registry=agent_registry(), metrics=metrics) as runtime:
        await runtime.orchestrator.run(HelpRequest(topic="ok"))
        await runtime.orchestrator.run(HelpRequest(topic="ok"))
        await runtime.orchestrator.run(HelpRequest(topic="denied"))
        await runtime.orchestrator.run(HelpRequest(topic="hang"), timeout_seconds=0.2)
        blocker = await runtime.orchestrator.submit(HelpRequest(topic="sleep:0.5"))
        waiting = [await runtime.orchestrator.submit(HealthCheckRequest()) for _ in range(2)]
        while (await runtime.orchestrator.get(blocker.id)).state is not TaskState.RUNNING:
            await asyncio.sleep(0.01)
        await runtime.orchestrator.refresh_metrics()
        during = samples(metrics)
        for task in [blocker, *waiting]:
            await runtime.orchestrator.wait(task.id, timeout=10)
        await runtime.orchestrator.refresh_metrics()
        after = samples(metrics)

    succeeded = (("agent", "script"), ("state", "succeeded"))
    assert after[("kubegenie_task_duration_seconds_count", succeeded)] == 3
    assert after[("kubegenie_task_duration_seconds_count", (("agent", "script"), ("state", "timed_out")))] == 1
    assert after[("kubegenie_task_failures_total", (("agent", "script"), ("reason", "permission_denied")))] == 1
    assert after[("kubegenie_task_failures_total", (("agent", "script"), ("reason", "agent_timeout")))] == 1
    assert after[("kubegenie_tasks_submitted_total", (("intent", "help"),))] == 5
    assert during[("kubegenie_queue_depth", (("agent", "health"), ("backend", "inprocess")))] == 2
    assert during[("kubegenie_active_tasks", (("agent", "script"),))] == 1
    assert after[("kubegenie_queue_depth", (("agent", "health"), ("backend", "inprocess")))] == 0
    assert after[("kubegenie_active_tasks", (("agent", "script"),))] == 0
    # A second runtime's registry saw none of it.
    assert [name for name, _ in samples(other) if name.startswith("kubegenie_task")] == []
