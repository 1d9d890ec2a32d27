"""One contract, three backends: the in-process queue, Celery on Redis and Celery on RabbitMQ must behave the
same for submit, complete, fail, time out, cancel, retry, fan-out with a partial timeout, and priorities."""

from __future__ import annotations

import asyncio
import os
import time

from kubegenie.agents.base import ResultStatus
from kubegenie.domain.answer import Severity
from kubegenie.domain.intents import ClusterReportRequest, HelpRequest, ScaleRequest
from kubegenie.orchestration.runtime import Runtime
from kubegenie.orchestration.task import Priority, Task, TaskState
from tests.orchestration.conftest import Backend


async def wait_state(runtime: Runtime, task_id: str, state: TaskState, timeout: float = 10.0) -> Task:
    give_up = time.monotonic() + timeout
    while time.monotonic() < give_up:
        task = await runtime.orchestrator.get(task_id)
        if task.state is state:
            return task
        await asyncio.sleep(0.02)
    raise AssertionError(f"task {task_id} never reached {state}; it is {task.state}")


async def test_submit_and_complete(runtime: Runtime, backend: Backend) -> None:
    submitted = await runtime.orchestrator.submit(HelpRequest(topic="ok"), user="jane", conversation_id="c-1")
    assert submitted.state is TaskState.QUEUED
    assert submitted.agent == "script"
    assert submitted.backend == ("celery" if backend.celery else "inprocess")

    task = await runtime.orchestrator.wait(submitted.id, timeout=15)

    assert task.state is TaskState.SUCCEEDED, task.error
    assert task.result is not None and task.result.status is ResultStatus.OK
    assert task.result.text.startswith("done: ok (attempt 1")
    assert task.result.evidence[0].detail == task.id  # the scope the agent saw carried this task's id
    assert task.requested_by == "jane" and task.conversation_id == "c-1"
    assert task.created_at <= task.started_at <= task.finished_at  # type: ignore[operator]
    assert task.attempts == 1 and task.error is None
    ran_in = int(task.result.text.rsplit("pid ", 1)[1].rstrip(")"))
    if backend.worker is not None:
        assert task.worker == backend.worker.hostname
        assert ran_in == backend.worker.process.pid  # type: ignore[union-attr]
    else:
        assert ran_in == os.getpid()


async def test_failures_are_recorded_with_their_reason(runtime: Runtime) -> None:
    denied = await runtime.orchestrator.run(HelpRequest(topic="denied"), wait_seconds=15)
    crashed = await runtime.orchestrator.run(HelpRequest(topic="raise"), wait_seconds=15)

    assert denied.state is TaskState.FAILED and denied.result is None
    assert denied.error is not None and denied.error.code == "permission_denied"
    assert 'cannot list resource "pods"' in denied.error.message
    assert denied.attempts == 1  # not transient: never retried
    assert crashed.state is TaskState.FAILED
    assert crashed.error is not None and crashed.error.code == "agent_crashed"
    assert crashed.error.message == "agent 'script' raised ValueError: the script said so"


async def test_timeout(runtime: Runtime) -> None:
    task = await runtime.orchestrator.run(HelpRequest(topic="hang"), timeout_seconds=0.4, wait_seconds=15)

    assert task.state is TaskState.TIMED_OUT
    assert task.error is not None and task.error.code == "agent_timeout"
    assert "did not answer within 0.4 s" in task.error.message
    assert task.duration_seconds is not None and 0.35 < task.duration_seconds < 5


async def test_cancel_running_and_queued(runtime: Runtime, backend: Backend) -> None:
    running = await runtime.orchestrator.submit(HelpRequest(topic="hang"), timeout_seconds=60)
    await wait_state(runtime, running.id, TaskState.RUNNING)
    # With one slot busy, the next task waits in the queue.
    queued = await runtime.orchestrator.submit(HelpRequest(topic="ok"))

    cancelled_queued = await runtime.orchestrator.cancel(queued.id)
    asked = await runtime.orchestrator.cancel(running.id)
    stopped = await runtime.orchestrator.wait(running.id, timeout=10)

    assert cancelled_queued.state is TaskState.CANCELLED
    assert asked.cancel_requested
    assert stopped.state is TaskState.CANCELLED and stopped.error is not None
    assert stopped.error.code == "cancelled"
    # The runtime goes on serving, and the cancelled queued task never ran.
    after = await runtime.orchestrator.run(HelpRequest(topic="ok"), wait_seconds=15)
    assert after.state is TaskState.SUCCEEDED
    queued_now = await runtime.orchestrator.get(queued.id)
    assert queued_now.state is TaskState.CANCELLED and queued_now.started_at is None


async def test_transient_failures_of_read_only_work_are_retried(runtime: Runtime) -> None:
    retried = await runtime.orchestrator.run(HelpRequest(topic="transient:1"), wait_seconds=15)
    exhausted = await runtime.orchestrator.run(HelpRequest(topic="transient:9"), wait_seconds=15)
    mutating = await runtime.orchestrator.run(ScaleRequest(name="web", replicas=3), wait_seconds=15)

    assert retried.state is TaskState.SUCCEEDED and retried.attempts == 2
    assert retried.result is not None and "attempt 2" in retried.result.text
    assert retried.error is None
    assert exhausted.state is TaskState.FAILED and exhausted.attempts == 3
    assert exhausted.error is not None and exhausted.error.message == "connection refused (attempt 3)"
    assert mutating.state is TaskState.FAILED and mutating.attempts == 1  # never retried: it changes a cluster
    assert mutating.error is not None and mutating.error.code == "cluster_unreachable"


async def test_fan_out_merges_parts_and_answers_partially_when_one_times_out(runtime: Runtime) -> None:
    task = await runtime.orchestrator.run(ClusterReportRequest(namespace="hang-security"), wait_seconds=20)

    assert task.state is TaskState.SUCCEEDED and task.agent is None
    assert task.result is not None and task.result.status is ResultStatus.PARTIAL
    text = task.result.text
    assert "## Health check (health)\n\n1 pod is crash-looping." in text
    assert "## Cost report (cost)\n\nIdle capacity costs $12/day." in text
    assert "## Security audit (security)\n\n_Not available: agent 'security' did not answer within 0.5 s._" in text
    assert [finding.severity for finding in task.result.findings] == [Severity.HIGH, Severity.LOW]
    assert task.result.tables[0].title == "Cost by namespace"
    parts = {part.agent: part for part in await runtime.orchestrator.find(parent_id=task.id)}
    assert {agent: part.state for agent, part in parts.items()} == {
        "health": TaskState.SUCCEEDED, "cost": TaskState.SUCCEEDED, "security": TaskState.TIMED_OUT}
    assert all(part.parent_id == task.id and part.request["namespace"] == "hang-security" for part in parts.values())


async def test_fan_out_with_every_part_answering_is_ok(runtime: Runtime) -> None:
    task = await runtime.orchestrator.run(ClusterReportRequest(), wait_seconds=20)

    assert task.state is TaskState.SUCCEEDED
    assert task.result is not None and task.result.status is ResultStatus.OK
    assert [finding.severity for finding in task.result.findings] == [Severity.CRITICAL, Severity.HIGH, Severity.LOW]


async def test_interactive_tasks_go_before_background_ones(runtime: Runtime) -> None:
    blocker = await runtime.orchestrator.submit(HelpRequest(topic="sleep:0.6"))
    await wait_state(runtime, blocker.id, TaskState.RUNNING)
    background = [await runtime.orchestrator.submit(HelpRequest(topic="ok"), priority=Priority.BACKGROUND)
                  for _ in range(3)]
    normal = await runtime.orchestrator.submit(HelpRequest(topic="ok"))
    interactive = await runtime.orchestrator.submit(HelpRequest(topic="ok"), priority=Priority.INTERACTIVE)

    done = [await runtime.orchestrator.wait(task.id, timeout=20) for task in [*background, normal, interactive]]

    assert all(task.state is TaskState.SUCCEEDED for task in done)
    order = [task.id for task in sorted(done, key=lambda task: task.started_at)]  # type: ignore[arg-type,return-value]
    assert order == [interactive.id, normal.id, *[task.id for task in background]]
