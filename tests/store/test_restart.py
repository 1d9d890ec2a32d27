"""Everything survives a restart: tasks with their results, conversation history and scan results are read
back by a new runtime on the same database, and in-process work left queued runs after the restart."""

from __future__ import annotations

from pathlib import Path

from kubegenie.agents.registry import AgentRegistry
from kubegenie.domain.intents import HelpRequest
from kubegenie.orchestration.runtime import Runtime
from kubegenie.orchestration.task import TaskState
from kubegenie.settings import Settings
from tests.support.runtime_agents import ALL


def registry() -> AgentRegistry:
    return AgentRegistry.of([agent() for agent in ALL])


async def test_restart_keeps_tasks_history_and_runs_what_was_left(database_url: str, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, store={"url": database_url}, queue={"workers": 1})
    before = await Runtime.open(settings, registry=registry())
    done = await before.orchestrator.run(HelpRequest(topic="ok"), conversation_id="c-9")
    failed = await before.orchestrator.run(HelpRequest(topic="denied"))
    blocker = await before.orchestrator.submit(HelpRequest(topic="sleep:1"))
    left = await before.orchestrator.submit(HelpRequest(topic="ok"))  # queued behind the blocker
    await before.store.run(before.store.conversations.append, "c-9", "user", "how are my pods?", user="jane")
    await before.store.run(before.store.conversations.save_state, "c-9", {"last_intent": "help"})
    run_id = await before.store.run(before.store.scans.claim, "health", None, 1)
    assert run_id is not None
    await before.store.run(before.store.scans.finish, run_id, TaskState.SUCCEEDED, status="ok", summary="fine",
                           result={"text": "all good"})
    await before.close()  # the blocker is interrupted, the other one never started

    after = await Runtime.open(settings, registry=registry())
    try:
        kept = await after.orchestrator.get(done.id)
        kept_failure = await after.orchestrator.get(failed.id)
        resumed = await after.orchestrator.wait(left.id, timeout=15)
        interrupted = await after.orchestrator.wait(blocker.id, timeout=15)
        turns = after.store.conversations.turns("c-9")
        state = after.store.conversations.state("c-9")
        scan = after.store.scans.latest("health")
    finally:
        await after.close()

    assert kept.state is TaskState.SUCCEEDED and kept.result == done.result and kept.conversation_id == "c-9"
    assert kept_failure.error is not None and kept_failure.error.code == "permission_denied"
    assert resumed.state is TaskState.SUCCEEDED
    assert interrupted.state is TaskState.SUCCEEDED and interrupted.attempts == 1
    assert [turn.text for turn in turns] == ["how are my pods?"] and state == {"last_intent": "help"}
    assert scan is not None and scan.summary == "fine" and scan.result == {"text": "all good"}
