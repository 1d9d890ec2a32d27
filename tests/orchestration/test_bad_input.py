"""Bad input never breaks the runtime: an unknown intent, a request that fails validation, an intent no agent
serves, and third-party agents that raise, return garbage or hang (even ignoring cancellation) each become
one clear task failure while the runtime keeps serving everyone else."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from kubegenie.agents.registry import AgentRegistry
from kubegenie.domain.intents import HelpRequest, TopRequest
from kubegenie.orchestration.runtime import Runtime
from kubegenie.orchestration.task import TaskState
from kubegenie.settings import Settings
from tests.orchestration.conftest import TASK_SETTINGS, agent_registry


@pytest.fixture
async def runtime(tmp_path: Path) -> AsyncIterator[Runtime]:
    opened = await Runtime.open(Settings(data_dir=tmp_path, tasks=TASK_SETTINGS, queue={"workers": 4}),
                                registry=agent_registry())
    try:
        yield opened
    finally:
        await opened.close()


async def test_unknown_intent_is_a_failed_task(runtime: Runtime) -> None:
    task = await runtime.orchestrator.submit({"intent": "make_coffee", "strength": "strong"})

    assert task.state is TaskState.FAILED and task.final
    assert task.intent == "make_coffee" and task.agent is None
    assert task.error is not None and task.error.code == "unknown_intent"
    assert task.error.message == "'make_coffee' is not something KubeGenie can do"
    assert "health_check" in task.error.remediation
    assert (await runtime.orchestrator.get(task.id)).request == {"intent": "make_coffee", "strength": "strong"}


async def test_request_failing_validation_is_a_failed_task(runtime: Runtime) -> None:
    task = await runtime.orchestrator.submit({"intent": "scale", "name": "Web_App", "replicas": -2})
    missing = await runtime.orchestrator.submit({"kind": "pods"})

    assert task.state is TaskState.FAILED
    assert task.error is not None and task.error.code == "invalid_request"
    assert "name: Value error, 'Web_App' is not a valid Kubernetes name" in task.error.message
    assert "replicas: Input should be greater than or equal to 0" in task.error.message
    assert missing.error is not None and missing.error.message == "the request names no intent"


async def test_intent_nobody_serves_is_a_failed_task(runtime: Runtime) -> None:
    task = await runtime.orchestrator.submit(TopRequest())

    assert task.state is TaskState.FAILED
    assert task.error is not None and task.error.code == "agent_unavailable"
    assert task.error.message == "no installed agent answers 'top' requests"


async def test_misbehaving_agents_fail_their_task_and_the_runtime_serves_others(runtime: Runtime) -> None:
    raising = await runtime.orchestrator.submit(HelpRequest(topic="raise"))
    garbage = await runtime.orchestrator.submit(HelpRequest(topic="bad-result"))
    hanging = await runtime.orchestrator.submit(HelpRequest(topic="hang"), timeout_seconds=0.5)
    stubborn = await runtime.orchestrator.submit(HelpRequest(topic="stubborn"), timeout_seconds=0.3)
    # While those go wrong, healthy work of another agent keeps flowing.
    healthy = [await runtime.orchestrator.submit({"intent": "health_check"}) for _ in range(5)]

    results = await asyncio.gather(*[runtime.orchestrator.wait(task.id, timeout=10)
                                     for task in [raising, garbage, hanging, stubborn, *healthy]])
    by_id = {task.id: task for task in results}

    assert by_id[raising.id].error is not None and by_id[raising.id].error.code == "agent_crashed"  # type: ignore[union-attr]
    assert by_id[garbage.id].error.message == "agent 'script' raised TypeError: returned dict, not an AgentResult"  # type: ignore[union-attr]
    assert by_id[hanging.id].state is TaskState.TIMED_OUT
    # An agent that swallows cancellation is abandoned after a grace period, not waited for.
    assert by_id[stubborn.id].state is TaskState.TIMED_OUT
    assert by_id[stubborn.id].duration_seconds < 3  # type: ignore[operator]
    assert all(by_id[task.id].state is TaskState.SUCCEEDED for task in healthy)
    after = await runtime.orchestrator.run(HelpRequest(topic="ok"), wait_seconds=10)
    assert after.state is TaskState.SUCCEEDED


async def test_agent_missing_on_the_worker_is_a_failed_task(tmp_path: Path) -> None:
    """The submitting side knows an agent the executing side has not installed."""
    settings = Settings(data_dir=tmp_path, tasks=TASK_SETTINGS)
    submitter = await Runtime.open(settings, registry=agent_registry())
    task = await submitter.orchestrator.submit(HelpRequest(topic="ok"))
    await submitter.close()  # stops before running it; the task stays queued in the store

    executor_side = await Runtime.open(settings, registry=AgentRegistry.of([]))
    try:
        done = await executor_side.orchestrator.wait(task.id, timeout=10)
    finally:
        await executor_side.close()

    assert done.state is TaskState.FAILED
    assert done.error is not None and done.error.code == "agent_unavailable"
    assert done.error.message.startswith("agent 'script' is not installed on worker inprocess-")
