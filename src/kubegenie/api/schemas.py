"""Wire models of the REST API with the examples OpenAPI shows. They are kept apart from the domain models: the
views below choose what crosses the wire (a task's result only on its own page, agent figures flattened)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from kubegenie.agents.registry import AgentInfo
from kubegenie.domain.answer import Action, Answer, Finding, Table
from kubegenie.domain.clusters import ClusterDetail, ClusterSummary
from kubegenie.orchestration.task import Task

CONVERSATION_ID = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$"
TASK_ID = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"message": "which pods are failing in shop?"},
        {"message": "and in payments?", "conversation_id": "5f0c3c1e2b7d4c55a1c2"},
        {"message": "list pods", "cluster": "staging"},
        {"message": "how many pods run?", "all_clusters": True}]})

    message: str = Field(description="The question, in plain English or kubectl style (at most 2,000 characters).")
    conversation_id: str | None = Field(default=None, pattern=CONVERSATION_ID,
                                        description="Continue this conversation; omit to start a new one.")
    cluster: str | None = Field(default=None, min_length=1, max_length=253,
                                description="Kubeconfig context to ask about (default: the current context).")
    all_clusters: bool = Field(default=False, description="Ask every cluster of the kubeconfig at once.")


class ChatResponse(Answer):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "conversation_id": "5f0c3c1e2b7d4c55a1c2", "intent": "list_resources", "agent": "inventory",
        "cluster": "kubegenie-demo", "text": "**1 failing pod** in namespace shop on kubegenie-demo.",
        "tables": [{"title": "pods in namespace shop on kubegenie-demo",
                    "columns": ["Name", "Ready", "Status", "Restarts", "Age", "Node"],
                    "rows": [["checkout-7d9f8b6c5d-x2x9p", "0/1", "CrashLoopBackOff", "7 (2m ago)", "41m",
                              "worker-1"]]}],
        "charts": [], "findings": [], "actions": [], "suggestions": [], "clarification": None,
        "task_id": "0b6f7c1f9d2e4a3b8c5d6e7f8a9b0c1d", "took_ms": 12.4}]})


class ClusterView(ClusterSummary):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "name": "kubegenie-demo", "server": "http://127.0.0.1:39211", "default": True, "version": "v1.31.4",
        "nodes": 4, "pods": 38, "namespaces": 8, "status": "synced", "latency_ms": 0.9, "error": None,
        "remediation": None}]})


class ClusterDetailView(ClusterDetail):
    pass


class AgentView(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "name": "inventory", "description": "Lists, counts and describes what runs in your clusters.",
        "intents": ["list_resources", "top"], "origin": "built-in", "status": "idle", "queued": 0, "active": 0,
        "completed": 42, "failed": 0, "latency_p50_ms": 3.1, "latency_p95_ms": 9.8, "problem": ""}]})

    name: str
    description: str
    intents: list[str]
    origin: str
    status: str
    queued: int
    active: int
    completed: int
    failed: int
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    problem: str

    @classmethod
    def of(cls, info: AgentInfo) -> AgentView:
        stats = info.stats
        return cls(name=info.name, description=info.description, intents=[i.value for i in info.intents],
                   origin=info.origin, status=info.status.value, queued=stats.queued, active=stats.active,
                   completed=stats.completed, failed=stats.failed, latency_p50_ms=stats.latency_p50_ms,
                   latency_p95_ms=stats.latency_p95_ms, problem=info.problem)


class TaskFailureView(BaseModel):
    code: str
    message: str
    remediation: str


class TaskResultView(BaseModel):
    status: str
    text: str
    tables: list[Table]
    charts: list[dict[str, Any]]
    findings: list[Finding]
    actions: list[Action]


class TaskView(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "0b6f7c1f9d2e4a3b8c5d6e7f8a9b0c1d", "intent": "list_resources", "agent": "inventory",
        "state": "succeeded", "priority": "interactive", "cluster": None, "conversation_id": "5f0c3c1e2b7d4c55a1c2",
        "requested_by": None, "parent_id": None, "attempts": 1, "max_attempts": 3, "timeout_seconds": 60.0,
        "cancel_requested": False, "created_at": "2026-11-27T10:00:00Z", "started_at": "2026-11-27T10:00:00.01Z",
        "finished_at": "2026-11-27T10:00:00.02Z", "duration_seconds": 0.01, "error": None, "result": None}]})

    id: str
    intent: str
    agent: str | None
    state: str
    priority: str
    cluster: str | None
    conversation_id: str | None
    requested_by: str | None
    parent_id: str | None
    attempts: int
    max_attempts: int
    timeout_seconds: float
    cancel_requested: bool
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    duration_seconds: float | None
    error: TaskFailureView | None
    result: TaskResultView | None = Field(default=None, description="Only on GET /api/v1/tasks/{id}.")

    @classmethod
    def of(cls, task: Task, *, with_result: bool = False) -> TaskView:
        error = TaskFailureView(code=task.error.code, message=task.error.message,
                                remediation=task.error.remediation) if task.error is not None else None
        result = None
        if with_result and task.result is not None:
            found = task.result
            result = TaskResultView(status=found.status.value, text=found.text, tables=found.tables,
                                    charts=found.charts, findings=found.findings, actions=found.actions)
        return cls(id=task.id, intent=task.intent, agent=task.agent, state=task.state.value,
                   priority=task.priority.name.lower(), cluster=task.cluster, conversation_id=task.conversation_id,
                   requested_by=task.requested_by, parent_id=task.parent_id, attempts=task.attempts,
                   max_attempts=task.max_attempts, timeout_seconds=task.timeout_seconds,
                   cancel_requested=task.cancel_requested, created_at=task.created_at, started_at=task.started_at,
                   finished_at=task.finished_at, duration_seconds=task.duration_seconds, error=error, result=result)


class TurnView(BaseModel):
    role: str
    text: str
    intent: str | None
    at: str


class ConversationView(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"id": "5f0c3c1e2b7d4c55a1c2", "turns": [
        {"role": "user", "text": "which pods are failing?", "intent": None, "at": "2026-11-27T10:00:00+00:00"},
        {"role": "assistant", "text": "**1 failing pod** in all namespaces on kubegenie-demo.",
         "intent": "list_resources", "at": "2026-11-27T10:00:00+00:00"}]}]})

    id: str
    turns: list[TurnView]


class Health(BaseModel):
    status: str = Field(examples=["ok"])


class Readiness(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "status": "ready", "store": "ok", "clusters": {"kubegenie-demo": "synced", "staging": "unreachable: ..."}}]})

    status: str = Field(description="ready, or not ready with the reason in the other fields.")
    store: str
    clusters: dict[str, str]


class ProgressEvent(BaseModel):
    """The data of a `progress` event on the chat stream: a task changed state."""

    task_id: str
    state: str
    intent: str
    agent: str | None
    parent_id: str | None


class AcceptedEvent(BaseModel):
    conversation_id: str
    message_chars: int
