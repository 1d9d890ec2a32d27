"""The queue protocol every backend implements, and the outcomes of running one task message.

A backend carries `TaskMessage`s to an `Executor` and honours priorities, delays (for retries) and
cancellation; task state itself lives in the store, so callers never ask the queue what happened.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from kubegenie.orchestration.messages import TaskMessage
from kubegenie.store.records import TaskRecord, TaskState


@dataclass(frozen=True)
class Finished:
    state: TaskState


@dataclass(frozen=True)
class Retry:
    message: TaskMessage
    """The next attempt, to be queued again after `delay_seconds`."""
    delay_seconds: float


@dataclass(frozen=True)
class Skipped:
    """The message did not run: the task had finished, been cancelled, or a newer attempt had started."""

    reason: str


Outcome = Finished | Retry | Skipped
FinishedListener = Callable[[str, TaskRecord | None], None]
"""Told the id of a task that reached a final state in this process, with its final record when known."""


class TaskQueue(Protocol):
    @property
    def backend(self) -> str:
        """Name stored with each task and used as the metrics label: "inprocess", "celery"."""

    async def start(self) -> None:
        """Connect (or start workers); raises BrokerUnreachable when it cannot."""

    async def enqueue(self, message: TaskMessage, *, delay_seconds: float = 0.0) -> None: ...

    async def cancel(self, task_id: str) -> None:
        """Stop a task this process holds, queued or running. Tasks held elsewhere notice the store's flag."""

    def subscribe(self, listener: FinishedListener) -> None:
        """Call `listener(task_id, record)` when a task finishes in this process (lets waiters skip polling)."""

    async def stop(self) -> None: ...
