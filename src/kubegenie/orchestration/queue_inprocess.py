"""The default queue: tasks run on this process's event loop, no extra service needed.

Waiting messages are kept in priority order per (agent, cluster); whenever a slot frees up, the most urgent
message whose agent and cluster are under their concurrency limits starts, so a busy agent never holds up
the others. Retries come back
after their back-off delay. Stopping cancels what runs; the store still says queued/running, and the next
start picks those tasks up again (`Orchestrator.recover`).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
from collections import Counter

from kubegenie.errors import ServiceUnavailable
from kubegenie.orchestration.executor import Executor
from kubegenie.orchestration.limits import ConcurrencyLimits
from kubegenie.orchestration.messages import TaskMessage
from kubegenie.orchestration.queue import FinishedListener, Retry

log = logging.getLogger(__name__)
REQUEUE_PAUSE_SECONDS = 1.0


class InProcessQueue:
    backend = "inprocess"

    def __init__(self, executor: Executor, *, workers: int, limits: ConcurrencyLimits) -> None:
        self._executor = executor
        self._workers = workers
        self._limits = limits
        self._pending: dict[tuple[str, str], list[tuple[int, int, TaskMessage]]] = {}
        self._sequence = itertools.count()
        self._running: dict[str, asyncio.Task[None]] = {}
        self._timers: dict[int, asyncio.TimerHandle] = {}
        self._watcher: asyncio.Task[None] | None = None
        self._stopped = False

    async def start(self) -> None:
        self._stopped = False
        if self._watcher is None:
            self._watcher = asyncio.create_task(self._executor.watch_cancellations(), name="kubegenie-cancel-watch")

    async def enqueue(self, message: TaskMessage, *, delay_seconds: float = 0.0) -> None:
        if delay_seconds > 0:
            key = next(self._sequence)
            self._timers[key] = asyncio.get_running_loop().call_later(delay_seconds, self._fire, key, message)
            return
        self._push(message)

    async def cancel(self, task_id: str) -> None:
        for key, entries in list(self._pending.items()):
            kept = [entry for entry in entries if entry[2].task_id != task_id]
            if len(kept) != len(entries):
                heapq.heapify(kept)
                self._set_pending(key, kept)
        self._executor.cancel(task_id)

    def subscribe(self, listener: FinishedListener) -> None:
        self._executor.subscribe(listener)

    def depth(self) -> Counter[str]:
        """Waiting messages per agent (running ones excluded)."""
        depths: Counter[str] = Counter()
        for (agent, _), entries in self._pending.items():
            depths[agent] += len(entries)
        return depths

    @property
    def running(self) -> int:
        return len(self._running)

    async def stop(self) -> None:
        self._stopped = True
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        self._pending.clear()
        tasks = list(self._running.values())
        if self._watcher is not None:
            tasks.append(self._watcher)
            self._watcher = None
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _fire(self, key: int, message: TaskMessage) -> None:
        self._timers.pop(key, None)
        self._push(message)

    def _push(self, message: TaskMessage) -> None:
        if self._stopped:
            return
        entries = self._pending.setdefault((message.agent, message.cluster or ""), [])
        heapq.heappush(entries, (int(message.priority), next(self._sequence), message))
        self._dispatch()

    def _dispatch(self) -> None:
        while len(self._running) < self._workers:
            # The most urgent head among the (agent, cluster) lines that have room.
            ready = [(entries[0], key) for key, entries in self._pending.items()
                     if self._limits.allows(key[0], key[1] or None)]
            if not ready:
                return
            (_, _, message), key = min(ready, key=lambda item: item[0][:2])
            heapq.heappop(self._pending[key])
            self._set_pending(key, self._pending[key])
            if message.task_id in self._running:
                continue  # a second delivery of a task already running here
            self._limits.try_acquire(message.agent, message.cluster)
            self._running[message.task_id] = asyncio.create_task(self._run(message),
                                                                 name=f"kubegenie-task-{message.task_id}")

    def _set_pending(self, key: tuple[str, str], entries: list[tuple[int, int, TaskMessage]]) -> None:
        if entries:
            self._pending[key] = entries
        else:
            self._pending.pop(key, None)

    async def _run(self, message: TaskMessage) -> None:
        try:
            outcome = await self._executor.run(message)
            if isinstance(outcome, Retry):
                await self.enqueue(outcome.message, delay_seconds=outcome.delay_seconds)
        except ServiceUnavailable as exc:
            # The store is unreachable: try again in a moment; the task is still queued there.
            log.error("task %s put back: %s", message.task_id, exc.message)
            await self.enqueue(message, delay_seconds=REQUEUE_PAUSE_SECONDS)
        finally:
            self._limits.release(message.agent, message.cluster)
            self._running.pop(message.task_id, None)
            if not self._stopped:
                self._dispatch()
