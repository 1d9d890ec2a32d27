"""The task message: exactly what travels through a queue to the process that runs a task. Plain JSON
values only (the request as data, identifiers in `RequestScope`), never clients, contexts or closures.
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from kubegenie.agents.base import RequestScope
from kubegenie.store.records import Priority


def new_task_id() -> str:
    return uuid.uuid4().hex


class TaskMessage(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    task_id: str = Field(pattern=r"^[0-9a-f]{32}$")
    agent: str
    intent: str
    request: dict[str, Any]
    """The typed request, dumped as JSON data; the worker validates it again."""
    scope: RequestScope
    priority: Priority = Priority.NORMAL
    timeout_seconds: float = Field(gt=0)
    read_only: bool = True
    max_attempts: int = Field(default=1, ge=1)

    @property
    def attempt(self) -> int:
        return self.scope.attempt

    @property
    def cluster(self) -> str | None:
        return self.scope.cluster

    def next_attempt(self) -> TaskMessage:
        return self.model_copy(update={"scope": self.scope.model_copy(update={"attempt": self.scope.attempt + 1})})
