"""Agent runtime figures: in-process dispatch overhead per task (target < 1 ms) beside a bare asyncio call of
the same agent; Celery round trip p50/p95 on Redis and on RabbitMQ (one worker); throughput of two workers
over a burst of 1,000 tasks; and the queue depth sampled during that burst. The agent does nothing, so every
millisecond is the runtime's: persistence, queueing, the broker.

    .venv/bin/python -m bench.bench_orchestration
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from bench.common import machine, percentile
from tests.support.runtime_agents import ALL, ScriptAgent
from tests.support.services import (
    BROKERS,
    CeleryWorker,
    WorkerSetup,
    delete_queue,
    port_open,
    postgres_database,
    stop_all,
    token,
)

from kubegenie.agents.base import AgentContext, RequestScope
from kubegenie.agents.registry import AgentRegistry
from kubegenie.domain.intents import HelpRequest
from kubegenie.orchestration.runtime import Runtime
from kubegenie.orchestration.task import Task, TaskState
from kubegenie.settings import Settings
from kubegenie.store.store import Store

SEQUENTIAL, BURST, ROUND_TRIPS = 1000, 1000, 200
REQUEST = HelpRequest(topic="ok")


def registry() -> AgentRegistry:
    return AgentRegistry.of([agent() for agent in ALL])


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f} ms"


async def bare_calls() -> float:
    """The floor: the same agent called in a fresh asyncio task, no runtime around it."""
    agent, context = ScriptAgent(), AgentContext(RequestScope(task_id="bench"))
    started = time.perf_counter()
    for _ in range(SEQUENTIAL):
        await asyncio.create_task(agent.handle(REQUEST, context))
    return (time.perf_counter() - started) / SEQUENTIAL


async def in_process(url: str) -> tuple[float, float, float, float]:
    """Per task: sequential mean, p50, p95 (submit to result), and amortised over a concurrent burst."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), store={"url": url.format(tmp=tmp)},
                            queue={"workers": 8}, tasks={"agent_concurrency": 8})
        async with await Runtime.open(settings, registry=registry()) as runtime:
            for _ in range(100):  # warm up caches and the connection pool
                await runtime.orchestrator.run(REQUEST)
            each = []
            started = time.perf_counter()
            for _ in range(SEQUENTIAL):
                t0 = time.perf_counter()
                task = await runtime.orchestrator.run(REQUEST)
                each.append(time.perf_counter() - t0)
                assert task.state is TaskState.SUCCEEDED
            sequential = (time.perf_counter() - started) / SEQUENTIAL
            started = time.perf_counter()
            done = await asyncio.gather(*[runtime.orchestrator.run(REQUEST) for _ in range(BURST)])
            burst = (time.perf_counter() - started) / BURST
            assert all(task.state is TaskState.SUCCEEDED for task in done)
    return sequential, percentile(each, 50), percentile(each, 95), burst


async def celery_round_trips(setup: WorkerSetup, directory: Path) -> tuple[list[float], list[float]]:
    """Client-observed (submit until the result is seen) and recorded (created_at to finished_at) seconds."""
    settings = celery_settings(setup, directory)
    observed, recorded = [], []
    async with await Runtime.open(settings, registry=registry()) as runtime:
        for _ in range(20):
            await runtime.orchestrator.run(REQUEST, wait_seconds=30)
        for _ in range(ROUND_TRIPS):
            t0 = time.perf_counter()
            task = await runtime.orchestrator.run(REQUEST, wait_seconds=30)
            observed.append(time.perf_counter() - t0)
            assert task.state is TaskState.SUCCEEDED and task.finished_at is not None
            recorded.append((task.finished_at - task.created_at).total_seconds())
    return observed, recorded


async def celery_burst(setup: WorkerSetup, directory: Path) -> tuple[float, float, list[tuple[float, int]]]:
    """Submit BURST tasks as fast as possible; returns submit seconds, total seconds, depth samples."""
    settings = celery_settings(setup, directory)
    samples: list[tuple[float, int]] = []
    async with await Runtime.open(settings, registry=registry()) as runtime:
        started = time.perf_counter()
        stop = asyncio.Event()

        async def sample() -> None:
            while not stop.is_set():
                depth = sum((await runtime.store.run(runtime.store.tasks.queued_by_agent)).values())
                samples.append((time.perf_counter() - started, depth))
                await asyncio.sleep(0.25)

        sampler = asyncio.create_task(sample())
        tasks = [task for _ in range(BURST // 50)
                 for task in await asyncio.gather(*[runtime.orchestrator.submit(REQUEST) for _ in range(50)])]
        submitted = time.perf_counter() - started
        done: list[Task] = await asyncio.gather(*[runtime.orchestrator.wait(task.id, timeout=300) for task in tasks])
        total = time.perf_counter() - started
        stop.set()
        await sampler
        assert all(task.state is TaskState.SUCCEEDED for task in done)
    return submitted, total, samples


def celery_settings(setup: WorkerSetup, directory: Path) -> Settings:
    return Settings(data_dir=directory, queue={"backend": "celery", "broker_url": setup.broker_url,
                                               "name": setup.queue}, store={"url": setup.database_url})


async def celery_figures(broker: str) -> None:
    if not port_open(6379 if broker == "redis" else 5672) or not port_open(5432):
        print(f"celery on {broker}: skipped (broker or PostgreSQL not running; run scripts/ensure-services)")
        return
    with postgres_database() as database_url, tempfile.TemporaryDirectory() as tmp:
        Store.open(database_url).close()
        setup = WorkerSetup(BROKERS[broker], f"kg-bench-{token()}", database_url, Path(tmp))
        one = CeleryWorker(setup, concurrency=1)
        pair = [CeleryWorker(setup, concurrency=4), CeleryWorker(setup, concurrency=4)]
        try:
            one.start()
            observed, recorded = await celery_round_trips(setup, Path(tmp))
            one.stop()
            print(f"celery on {broker}, round trip of {ROUND_TRIPS} tasks, one worker: "
                  f"p50 {ms(percentile(observed, 50))}, p95 {ms(percentile(observed, 95))} as the caller sees it "
                  f"(polls the store every 20 ms); submit-to-recorded p50 {ms(percentile(recorded, 50))}, "
                  f"p95 {ms(percentile(recorded, 95))}")
            for worker in pair:
                worker.start()
            submitted, total, samples = await celery_burst(setup, Path(tmp))
            print(f"celery on {broker}, burst of {BURST} tasks over two workers (4 threads each): submitted in "
                  f"{submitted:.2f} s, all done in {total:.2f} s = {BURST / total:.0f} tasks/s")
            print("  queue depth over the burst (seconds: tasks queued): "
                  + ", ".join(f"{at:.2f}: {depth}" for at, depth in samples))
        finally:
            stop_all([one, *pair])
            delete_queue(setup.broker_url, setup.queue)


async def main() -> None:
    print(f"machine: {machine()}")
    floor = await bare_calls()
    print(f"baseline: the agent called in a bare asyncio task: {ms(floor)} per call")
    for label, url in [("SQLite file", "sqlite:///{tmp}/kubegenie.db"), ("SQLite in memory", "sqlite://")]:
        sequential, p50, p95, burst = await in_process(url)
        print(f"in-process dispatch overhead per task ({label} store): one at a time {ms(sequential - floor)} "
              f"(p50 {ms(p50)}, p95 {ms(p95)} submit to result), amortised over a burst of {BURST}: "
              f"{ms(burst - floor)}   [target < 1 ms]")
    for broker in ("redis", "amqp"):
        await celery_figures(broker)


if __name__ == "__main__":
    asyncio.run(main())
