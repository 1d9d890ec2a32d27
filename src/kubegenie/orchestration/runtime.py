"""Assembling the agent runtime from settings: the registry (built-in plus installed agents), the store, the
queue backend the settings choose, the orchestrator and, when asked, the scan scheduler. Entry points build
one `Runtime`, use its orchestrator, and close it; the Celery backend is imported only when chosen.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import Callable
from types import TracebackType

from kubegenie.agents import BUILTIN_AGENTS
from kubegenie.agents.base import ContextFactory, plain_context, policy_of
from kubegenie.agents.registry import AgentRegistry
from kubegenie.errors import BrokerUnreachable
from kubegenie.observability.metrics import RuntimeMetrics
from kubegenie.orchestration.executor import Executor
from kubegenie.orchestration.limits import ConcurrencyLimits
from kubegenie.orchestration.orchestrator import Orchestrator
from kubegenie.orchestration.queue import TaskQueue
from kubegenie.orchestration.queue_inprocess import InProcessQueue
from kubegenie.orchestration.scans import ScanScheduler
from kubegenie.settings import Settings
from kubegenie.store.store import Store

CELERY_HINT = "Install the Celery extra: pip install 'kubegenie[celery]'."


def build_registry(settings: Settings) -> AgentRegistry:
    """Built-in agents plus those installed through the `kubegenie.agents` entry-point group."""
    return AgentRegistry.discover(BUILTIN_AGENTS, disabled=settings.agents.disabled)


def agent_limits(registry: AgentRegistry, settings: Settings) -> dict[str, int]:
    """Per-agent concurrency: what agents declare, overridden by settings."""
    declared = {agent.name: policy_of(agent).max_concurrency for agent in registry.agents}
    return {name: limit for name, limit in declared.items() if limit is not None} | settings.tasks.concurrency


def make_queue(settings: Settings, registry: AgentRegistry, store: Store, *, context_factory: ContextFactory,
               metrics: RuntimeMetrics) -> TaskQueue:
    if settings.queue.backend == "celery":
        try:
            from kubegenie.orchestration import queue_celery
        except ImportError as exc:
            raise BrokerUnreachable(f"the Celery queue backend is selected but cannot be loaded: {exc}",
                                    CELERY_HINT) from exc
        return queue_celery.CeleryQueue(settings.queue)
    tasks = settings.tasks
    limits = ConcurrencyLimits(agent_default=tasks.agent_concurrency, per_agent=agent_limits(registry, settings),
                               per_cluster=tasks.cluster_concurrency)
    executor = Executor(registry, store, tasks, worker=f"inprocess-{os.getpid()}@{socket.gethostname()}",
                        context_factory=context_factory, metrics=metrics)
    return InProcessQueue(executor, workers=settings.queue.workers, limits=limits)


class Runtime:
    """The running agent runtime of one process."""

    def __init__(self, settings: Settings, registry: AgentRegistry, store: Store, queue: TaskQueue,
                 orchestrator: Orchestrator, metrics: RuntimeMetrics) -> None:
        self.settings = settings
        self.registry = registry
        self.store = store
        self.queue = queue
        self.orchestrator = orchestrator
        self.metrics = metrics
        self.scheduler: ScanScheduler | None = None
        self._scans: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, settings: Settings, *, registry: AgentRegistry | None = None,
                   context_factory: ContextFactory = plain_context, metrics: RuntimeMetrics | None = None,
                   scans: bool = False) -> Runtime:
        """Build, connect and recover; with `scans`, also start the periodic scans of the settings."""
        registry = registry if registry is not None else build_registry(settings)
        metrics = metrics or RuntimeMetrics()
        store = await asyncio.to_thread(Store.open, settings.database_url())
        try:
            queue = make_queue(settings, registry, store, context_factory=context_factory, metrics=metrics)
            await queue.start()
        except BaseException:
            await asyncio.to_thread(store.close)
            raise
        orchestrator = Orchestrator(registry, store, queue, settings.tasks, metrics=metrics)
        runtime = cls(settings, registry, store, queue, orchestrator, metrics)
        await orchestrator.recover()
        if scans and settings.scans.enabled and settings.scans.schedules:
            clusters: list[str | None] = list(settings.scans.clusters) or [None]
            runtime.scheduler = ScanScheduler(orchestrator, settings.scans.schedules, clusters)
            runtime._scans = asyncio.create_task(runtime.scheduler.run_forever(), name="kubegenie-scans")
        return runtime

    async def close(self) -> None:
        if self._scans is not None:
            self._scans.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._scans
        await self.orchestrator.close()
        await self.queue.stop()
        await asyncio.to_thread(self.store.close)

    async def __aenter__(self) -> Runtime:
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        trace: TracebackType | None) -> None:
        await self.close()


def serve_worker(settings: Settings, *, registry: AgentRegistry | None = None,
                 context_factory: ContextFactory = plain_context, concurrency: int | None = None,
                 hostname: str | None = None, metrics_port: int | None = None, scans: bool = False,
                 loglevel: str = "WARNING", on_ready: Callable[[str], None] | None = None) -> int:
    """Run a Celery worker for these settings until it is stopped; returns its exit code.

    With `scans`, the worker also schedules the periodic scans (run it on one worker, or on several: the
    store lets each slot run once). With `metrics_port`, it serves its Prometheus metrics on 127.0.0.1.
    """
    try:
        from kubegenie.orchestration import queue_celery
    except ImportError as exc:
        raise BrokerUnreachable(f"`kubegenie worker` needs Celery, which cannot be loaded: {exc}", CELERY_HINT) from exc
    registry = registry if registry is not None else build_registry(settings)
    store = Store.open(settings.database_url())
    metrics = RuntimeMetrics()
    hostname = hostname or queue_celery.default_hostname()
    background: list[queue_celery.Background] = []
    if scans and settings.scans.enabled and settings.scans.schedules:
        async def schedule(queue: queue_celery.CeleryQueue) -> None:
            orchestrator = Orchestrator(registry, store, queue, settings.tasks, metrics=metrics)
            clusters: list[str | None] = list(settings.scans.clusters) or [None]
            await ScanScheduler(orchestrator, settings.scans.schedules, clusters).run_forever()

        background.append(schedule)
    if metrics_port is not None:
        metrics.serve(metrics_port)

        async def refresh_depths(queue: queue_celery.CeleryQueue) -> None:
            while True:
                depths = await store.run(store.tasks.queued_by_agent)
                metrics.set_queue_depth(queue.backend, depths)
                await asyncio.sleep(5)

        background.append(refresh_depths)
    try:
        return queue_celery.run_worker(
            settings.queue, settings.tasks, registry=registry, store=store, context_factory=context_factory,
            metrics=metrics, concurrency=concurrency, hostname=hostname, loglevel=loglevel, background=background,
            on_ready=(lambda: on_ready(hostname)) if on_ready is not None else None,
            agent_limits=agent_limits(registry, settings))
    finally:
        store.close()
