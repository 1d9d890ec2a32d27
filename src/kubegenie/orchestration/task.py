"""The `Task` as callers see it: a request handed to one agent (or fanned out to several), its lifecycle
state with timestamps, and its result or the reason it has none. Built from the store's records.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from kubegenie.agents.base import AgentResult
from kubegenie.store.records import FINAL_STATES, Priority, TaskRecord, TaskState

__all__ = ["FINAL_STATES", "Priority", "Task", "TaskFailure", "TaskState"]


class TaskFailure(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    message: str
    remediation: str = ""


class Task(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    intent: str
    agent: str | None
    """None for a task fanned out to several agents (see `parent_id` of its parts)."""
    state: TaskState
    priority: Priority
    backend: str
    request: dict[str, Any]
    parent_id: str | None = None
    cluster: str | None = None
    requested_by: str | None = None
    conversation_id: str | None = None
    timeout_seconds: float
    attempts: int = 0
    max_attempts: int = 1
    cancel_requested: bool = False
    worker: str | None = None
    error: TaskFailure | None = None
    result: AgentResult | None = None
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def final(self) -> bool:
        return self.state in FINAL_STATES

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    @classmethod
    def of(cls, record: TaskRecord) -> Task:
        error = None
        if record.error is not None:
            error = TaskFailure(code=record.error.code, message=record.error.message,
                                remediation=record.error.remediation)
        result = AgentResult.model_validate(record.result.payload) if record.result is not None else None
        return cls(
            id=record.id, intent=record.intent, agent=record.agent, state=record.state, priority=record.priority,
            backend=record.backend, request=record.request, parent_id=record.parent_id, cluster=record.cluster,
            requested_by=record.requested_by, conversation_id=record.conversation_id,
            timeout_seconds=record.timeout_seconds, attempts=record.attempts, max_attempts=record.max_attempts,
            cancel_requested=record.cancel_requested, worker=record.worker, error=error, result=result,
            created_at=record.created_at, started_at=record.started_at, finished_at=record.finished_at,
        )
