"""What the store hands out: plain, immutable records of tasks, results, conversation turns and scan runs,
and the task lifecycle vocabulary the store enforces. No SQLAlchemy objects ever leave the store; these
records carry JSON payloads as plain dicts, so the layers above parse them into their own models.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum, StrEnum
from typing import Any

JsonObject = dict[str, Any]


class TaskState(StrEnum):
    """Lifecycle of a task: queued -> running -> one final state (or straight to a final state)."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    CANCELLED = "cancelled"

    @property
    def final(self) -> bool:
        return self in FINAL_STATES


FINAL_STATES = frozenset({TaskState.SUCCEEDED, TaskState.FAILED, TaskState.TIMED_OUT, TaskState.CANCELLED})
ACTIVE_STATES = frozenset({TaskState.QUEUED, TaskState.RUNNING})


class Priority(IntEnum):
    """Lower runs first: a person waiting in a chat goes before a background scan."""

    INTERACTIVE = 0
    NORMAL = 1
    BACKGROUND = 2


@dataclass(frozen=True)
class TaskError:
    """Why a task did not succeed, in the shape of `KubeGenieError.to_dict()`."""

    code: str
    message: str
    remediation: str = ""


@dataclass(frozen=True)
class NewTask:
    """Everything known about a task when it is submitted."""

    id: str
    intent: str
    agent: str | None
    request: JsonObject
    backend: str
    priority: Priority = Priority.NORMAL
    parent_id: str | None = None
    cluster: str | None = None
    requested_by: str | None = None
    conversation_id: str | None = None
    timeout_seconds: float = 60.0
    deadline: datetime | None = None
    read_only: bool = True
    max_attempts: int = 1


@dataclass(frozen=True)
class ResultRecord:
    task_id: str
    status: str
    payload: JsonObject
    attempt: int
    worker: str | None
    recorded_at: datetime


@dataclass(frozen=True)
class TaskRecord:
    id: str
    intent: str
    agent: str | None
    state: TaskState
    priority: Priority
    backend: str
    request: JsonObject
    parent_id: str | None
    cluster: str | None
    requested_by: str | None
    conversation_id: str | None
    timeout_seconds: float
    deadline: datetime | None
    read_only: bool
    attempts: int
    max_attempts: int
    cancel_requested: bool
    worker: str | None
    error: TaskError | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    result: ResultRecord | None = None

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


@dataclass(frozen=True)
class AgentCounts:
    """What the store knows about one agent's tasks, across every process that shares it."""

    queued: int = 0
    running: int = 0
    succeeded: int = 0
    failed: int = 0
    """Failed and timed out."""
    cancelled: int = 0
    recent_durations: list[float] = field(default_factory=list)
    """Run times in seconds of the most recent finished tasks, newest first."""


@dataclass(frozen=True)
class TurnRecord:
    conversation_id: str
    seq: int
    role: str
    text: str
    intent: str | None
    payload: JsonObject | None
    task_id: str | None
    created_at: datetime


@dataclass(frozen=True)
class ConversationRecord:
    id: str
    user: str | None
    state: JsonObject | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class ScanRunRecord:
    id: int
    scan: str
    cluster: str | None
    slot: int
    task_id: str | None
    state: TaskState
    status: str | None
    summary: str
    result: JsonObject | None
    started_at: datetime
    finished_at: datetime | None
