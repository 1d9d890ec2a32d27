"""What KubeGenie answers with: tables, findings with remediation and evidence, proposed actions and the
Answer object every surface returns (DESIGN.md section 3). Pure values, JSON-serialisable."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Severity(StrEnum):
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)


class Evidence(BaseModel):
    """What a finding rests on: the exact query and what the cluster said."""

    model_config = ConfigDict(frozen=True)

    source: str
    """Where it came from: "pods", "events", "metrics", "logs", "prometheus", ..."""
    query: str
    """The exact query: kind, namespace, selector, cluster (or a PromQL expression)."""
    detail: str = ""
    """The raw fact, e.g. an event message or a log line."""


class ResourceRef(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: str
    name: str
    namespace: str | None = None
    cluster: str | None = None

    def __str__(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind}/{where}{self.name}"


class Finding(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    """Stable id of the check that produced it, e.g. "pod-crashloop"."""
    severity: Severity
    resource: ResourceRef | None = None
    message: str
    remediation: str = ""
    evidence: list[Evidence] = Field(default_factory=list)


class Table(BaseModel):
    model_config = ConfigDict(frozen=True)

    title: str
    columns: list[str]
    rows: list[list[Any]]


class Action(BaseModel):
    """A change KubeGenie proposes; nothing is applied before the user confirms."""

    model_config = ConfigDict(frozen=True)

    id: str
    description: str
    dry_run_diff: str = ""
    requires_confirmation: bool = True


class Answer(BaseModel):
    """The reply to one message, as the API returns it and `kubegenie ask --json` prints it."""

    conversation_id: str
    intent: str | None
    """The understood intent, or None when KubeGenie asks for clarification."""
    agent: str | None = None
    cluster: str | None = None
    text: str
    """Markdown a person can read on its own."""
    tables: list[Table] = Field(default_factory=list)
    charts: list[dict[str, Any]] = Field(default_factory=list)
    """Plotly figure JSON."""
    findings: list[Finding] = Field(default_factory=list)
    actions: list[Action] = Field(default_factory=list)
    suggestions: list[str] = Field(default_factory=list)
    """Follow-up questions to offer (the options of a clarification, or natural next questions)."""
    clarification: str | None = None
    """Why KubeGenie asks instead of answering (empty, unsafe, unknown_namespace, ambiguous, ...); None otherwise.
    Surfaces use it to tell refused input (an API 4xx) from an ordinary question back."""
    task_id: str | None = None
    """The task that produced the answer, for `kubegenie tasks show`."""
    took_ms: float = 0.0
