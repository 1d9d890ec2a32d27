"""The contract between the runtime and every agent: the `Agent` protocol, the `AgentResult` it returns, and
the `AgentContext` it runs in.

Only `RequestScope` (plain identifiers) travels with a task; the context with its services (cluster access
and the like) is built where the task runs, by a `ContextFactory` the runtime is given. Agents never import
each other or the orchestration layer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from kubegenie.domain.answer import Action, Evidence, Finding, Table
from kubegenie.domain.intents import Intent, Request
from kubegenie.errors import AgentUnavailable

T = TypeVar("T")


class ResultStatus(StrEnum):
    OK = "ok"
    NO_DATA = "no_data"
    """The question was fine and nothing matched ("no pods in that namespace")."""
    PARTIAL = "partial"
    """Some of the answer is missing (a part timed out, a source was unavailable); `text` says which."""
    ERROR = "error"
    """The agent ran but could not answer; `text` says why. Infrastructure failures raise instead."""


class AgentResult(BaseModel):
    """What an agent answers: a value, JSON-serialisable, stored as the task's result."""

    model_config = ConfigDict(frozen=True)

    status: ResultStatus = ResultStatus.OK
    text: str = ""
    """Markdown a person can read on its own."""
    tables: list[Table] = Field(default_factory=list)
    charts: list[dict[str, Any]] = Field(default_factory=list)
    """Plotly figure JSON."""
    findings: list[Finding] = Field(default_factory=list)
    actions: list[Action] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)


class RequestScope(BaseModel):
    """Who asks, about which cluster, in which conversation, until when: all that crosses a task queue."""

    model_config = ConfigDict(frozen=True)

    task_id: str
    cluster: str | None = None
    user: str | None = None
    conversation_id: str | None = None
    deadline: datetime | None = None
    """When the answer stops being useful; the runtime stops the agent then."""
    attempt: int = 1


@dataclass(frozen=True)
class AgentContext:
    """What an agent may use while it handles one request; built on the worker side, never serialised."""

    scope: RequestScope
    services: Mapping[type[Any], object] = field(default_factory=dict)

    def service(self, kind: type[T]) -> T:
        """The service of this type the context factory attached (e.g. cluster access)."""
        found = self.services.get(kind)
        if not isinstance(found, kind):
            raise AgentUnavailable(f"this runtime provides no {kind.__name__} to agents",
                                   "Start KubeGenie through `kubegenie serve` or `kubegenie worker`, which attach it.")
        return found

    def remaining_seconds(self) -> float | None:
        """Time left before the deadline, or None when there is none."""
        if self.scope.deadline is None:
            return None
        return max(0.0, (self.scope.deadline - datetime.now(UTC)).total_seconds())


ContextFactory = Callable[[RequestScope], Awaitable[AgentContext]]
"""Builds an agent's context from the identifiers a task carried."""


async def plain_context(scope: RequestScope) -> AgentContext:
    """A context with no services: what agents get until a factory attaches some."""
    return AgentContext(scope=scope)


@dataclass(frozen=True)
class RunPolicy:
    """How the runtime treats an agent's tasks unless settings say otherwise; an agent may declare `policy`."""

    timeout_seconds: float | None = None
    """None means the settings' default."""
    max_concurrency: int | None = None


@runtime_checkable
class Agent(Protocol):
    """One specialised agent. Implementations live one per module in `agents/` or in installed packages."""

    @property
    def name(self) -> str:
        """Short, unique, lowercase: "monitoring", "cost"."""

    @property
    def description(self) -> str:
        """One sentence shown to users (and to any LLM router)."""

    @property
    def intents(self) -> frozenset[Intent]:
        """The intents this agent answers; no two agents may claim the same one."""

    async def handle(self, request: Request, ctx: AgentContext) -> AgentResult:
        """Answer one request. Domain outcomes are results; raise only KubeGenieErrors for failures."""
        ...


def policy_of(agent: Agent) -> RunPolicy:
    declared = getattr(agent, "policy", None)
    return declared if isinstance(declared, RunPolicy) else RunPolicy()
