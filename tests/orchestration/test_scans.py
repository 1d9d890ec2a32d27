"""Scheduled scans: one run per schedule, cluster and time slot (even with two schedulers), results stored
with a summary, earlier runs found again ("what did it look like yesterday?"), unserved intents skipped."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kubegenie.agents.registry import AgentRegistry
from kubegenie.errors import ConfigError
from kubegenie.orchestration.runtime import Runtime
from kubegenie.orchestration.scans import ScanScheduler
from kubegenie.settings import ScanSchedule, Settings
from kubegenie.store.records import TaskState
from tests.orchestration.conftest import TASK_SETTINGS
from tests.support.runtime_agents import HealthAgent

HEALTH = ScanSchedule(name="health", intent="health_check", every_seconds=300)
COST = ScanSchedule(name="cost", intent="cost_report", every_seconds=86_400)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def test_scans_run_once_per_slot_and_keep_their_results(tmp_path: Path) -> None:
    clock = Clock(datetime(2026, 11, 2, 9, 1, tzinfo=UTC))
    settings = Settings(data_dir=tmp_path, tasks=TASK_SETTINGS)
    async with await Runtime.open(settings, registry=AgentRegistry.of([HealthAgent()])) as runtime:
        first = ScanScheduler(runtime.orchestrator, [HEALTH, COST], [None, "staging"], clock=clock)
        replica = ScanScheduler(runtime.orchestrator, [HEALTH, COST], [None, "staging"], clock=clock)

        started = await first.tick()
        assert await replica.tick() == []  # the slot is taken
        assert await first.tick() == []
        await first.drain()
        clock.now += timedelta(minutes=5)
        later = await replica.tick()
        await replica.drain()

        store = runtime.store.scans
        runs = store.history("health")
        staging_runs = store.history("health", "staging")
        latest = store.latest("health")
        yesterday = store.latest("health", before=clock.now - timedelta(minutes=1))

    assert [task.cluster for task in started] == [None, "staging"]  # cost: no agent installed, skipped
    assert all(task.intent == "health_check" and task.requested_by == "scheduler" for task in started + later)
    assert len(runs) == 2 and len(staging_runs) == 2
    assert [run.state for run in runs] == [TaskState.SUCCEEDED, TaskState.SUCCEEDED]
    assert runs[0].summary == "1 finding, worst high"
    assert runs[0].result is not None and runs[0].result["findings"][0]["id"] == "pod-crashloop"
    assert runs[1].slot == runs[0].slot + 1
    assert latest is not None and latest.task_id == later[0].id
    assert yesterday is not None and yesterday.task_id == started[0].id
    assert store.history("cost") == []


async def test_scheduler_loop_runs_scans_in_the_background(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, tasks=TASK_SETTINGS,
                        scans={"schedules": [{"name": "health", "intent": "health_check", "every_seconds": 0.5}]})
    async with await Runtime.open(settings, registry=AgentRegistry.of([HealthAgent()]), scans=True) as runtime:
        for _ in range(100):
            if len([run for run in runtime.store.scans.history("health") if run.state.final]) >= 2:
                break
            await asyncio.sleep(0.05)
        runs = runtime.store.scans.history("health")

    assert len(runs) >= 2
    assert {run.status for run in runs if run.state.final} == {"ok"}


def test_schedule_with_unknown_intent_is_refused(tmp_path: Path) -> None:
    bad = ScanSchedule(name="coffee", intent="make_coffee", every_seconds=60)
    with pytest.raises(ConfigError, match="scan 'coffee' names unknown intent 'make_coffee'"):
        ScanScheduler(object(), [bad])  # type: ignore[arg-type]


async def test_a_new_scheduler_stores_what_a_stopped_one_left(tmp_path: Path) -> None:
    clock = Clock(datetime(2026, 11, 2, 9, 1, tzinfo=UTC))
    settings = Settings(data_dir=tmp_path, tasks=TASK_SETTINGS)
    async with await Runtime.open(settings, registry=AgentRegistry.of([HealthAgent()])) as runtime:
        stopped = ScanScheduler(runtime.orchestrator, [HEALTH], clock=clock)
        (task,) = await stopped.tick()
        await stopped.stop()  # before it stored the result
        orphan = await runtime.store.run(runtime.store.scans.claim, "health", "gone", 7)  # claimed, never started
        assert [run.state for run in runtime.store.scans.unfinished()] == [TaskState.RUNNING, TaskState.QUEUED]

        successor = ScanScheduler(runtime.orchestrator, [HEALTH], clock=clock)
        assert await successor.resume() == 1
        await successor.drain()
        runs = {run.id: run for run in runtime.store.scans.history("health") + runtime.store.scans.history(
            "health", "gone")}

    finished = [run for run in runs.values() if run.task_id == task.id]
    assert finished[0].state is TaskState.SUCCEEDED and finished[0].summary == "1 finding, worst high"
    assert orphan is not None and runs[orphan].state is TaskState.FAILED
    assert runs[orphan].summary == "the scheduler stopped before starting this scan"
