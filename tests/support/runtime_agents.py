"""Agents for runtime tests, serving intents no real agent serves yet. Their behaviour is scripted by the
request itself, so the same agents work in-process and in Celery worker subprocesses (which load them through
the `kubegenie.agents` entry-point group of a small distribution the tests write, see `agents_distribution`).

`ScriptAgent` (intent help) reads its script from the request's `topic`:
    ok | sleep:S | hang | stubborn | raise | transient:N | denied | bad-result | flaky-ok
Fan-out parts (health, cost, security) misbehave when the request's namespace names them: "hang-security".
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import ClassVar

from kubegenie.agents.base import AgentContext, AgentResult, ResultStatus, RunPolicy
from kubegenie.domain.answer import Evidence, Finding, ResourceRef, Severity, Table
from kubegenie.domain.intents import (
    ClusterReportRequest,
    CostReportRequest,
    HealthCheckRequest,
    HelpRequest,
    Intent,
    Request,
    ScaleRequest,
    SecurityAuditRequest,
)
from kubegenie.errors import ClusterUnreachable, PermissionDenied

REPO_ROOT = Path(__file__).resolve().parents[2]


class ScriptAgent:
    name = "script"
    description = "Does what the request's topic says (test agent)."
    intents: ClassVar[frozenset[Intent]] = frozenset({Intent.HELP})

    async def handle(self, request: Request, ctx: AgentContext) -> AgentResult:
        assert isinstance(request, HelpRequest)
        script = request.topic or "ok"
        verb, _, argument = script.partition(":")
        if verb == "sleep":
            await asyncio.sleep(float(argument))
        elif verb == "hang":
            await asyncio.Event().wait()
        elif verb == "stubborn":
            # Ignores cancellation, as badly written third-party code might.
            for _ in range(20):
                try:
                    await asyncio.sleep(0.1)
                except asyncio.CancelledError:
                    continue
        elif verb == "raise":
            raise ValueError("the script said so")
        elif verb == "transient" and ctx.scope.attempt <= int(argument):
            raise ClusterUnreachable(f"connection refused (attempt {ctx.scope.attempt})")
        elif verb == "denied":
            raise PermissionDenied("pods is forbidden: User \"jane\" cannot list resource \"pods\"")
        elif verb == "bad-result":
            return {"text": "not a result"}  # type: ignore[return-value]
        return AgentResult(text=f"done: {script} (attempt {ctx.scope.attempt}, pid {os.getpid()})",
                           evidence=[Evidence(source="script", query=script, detail=ctx.scope.task_id)])


class HealthAgent:
    name = "health"
    description = "Reports pod health (test agent)."
    intents: ClassVar[frozenset[Intent]] = frozenset({Intent.HEALTH_CHECK})

    async def handle(self, request: Request, ctx: AgentContext) -> AgentResult:
        assert isinstance(request, HealthCheckRequest)
        await _misbehave(request, self.name)
        pod = ResourceRef(kind="Pod", name="api-0", namespace="shop", cluster=request.cluster)
        return AgentResult(
            text="1 pod is crash-looping.",
            findings=[Finding(id="pod-crashloop", severity=Severity.HIGH, resource=pod,
                              message="api-0 restarted 12 times", remediation="Read its previous logs.")],
        )


class CostAgent:
    name = "cost"
    description = "Reports idle capacity (test agent)."
    intents: ClassVar[frozenset[Intent]] = frozenset({Intent.COST_REPORT})

    async def handle(self, request: Request, ctx: AgentContext) -> AgentResult:
        assert isinstance(request, CostReportRequest)
        await _misbehave(request, self.name)
        return AgentResult(text="Idle capacity costs $12/day.",
                           tables=[Table(title="Cost by namespace", columns=["NAMESPACE", "USD/DAY"],
                                         rows=[["shop", 8.5], ["batch", 3.5]])],
                           findings=[Finding(id="idle-node", severity=Severity.LOW, message="node-3 is 5% used")])


class SecurityAgent:
    name = "security"
    description = "Reports privileged pods (test agent)."
    intents: ClassVar[frozenset[Intent]] = frozenset({Intent.SECURITY_AUDIT})
    policy = RunPolicy(timeout_seconds=5.0)

    async def handle(self, request: Request, ctx: AgentContext) -> AgentResult:
        assert isinstance(request, SecurityAuditRequest)
        await _misbehave(request, self.name)
        return AgentResult(status=ResultStatus.OK, text="1 privileged pod.",
                           findings=[Finding(id="privileged", severity=Severity.CRITICAL,
                                             message="debug-pod runs privileged")])


class ScaleAgent:
    """A mutating agent whose cluster is never reachable: its failures must not be retried."""

    name = "scaler"
    description = "Scales workloads (test agent)."
    intents: ClassVar[frozenset[Intent]] = frozenset({Intent.SCALE})

    async def handle(self, request: Request, ctx: AgentContext) -> AgentResult:
        assert isinstance(request, ScaleRequest)
        raise ClusterUnreachable("connection refused")


class ReportAgent:
    """Claims the cluster report itself (used to check that a claiming agent beats the fan-out plan)."""

    name = "report"
    description = "Answers cluster reports alone (test agent)."
    intents: ClassVar[frozenset[Intent]] = frozenset({Intent.CLUSTER_REPORT})

    async def handle(self, request: Request, ctx: AgentContext) -> AgentResult:
        assert isinstance(request, ClusterReportRequest)
        return AgentResult(text="all in one")


async def _misbehave(request: Request, agent: str) -> None:
    namespace = request.namespace or ""
    if namespace == f"hang-{agent}":
        await asyncio.Event().wait()
    if namespace == f"fail-{agent}":
        raise ClusterUnreachable("connection refused")


ALL = (ScriptAgent, HealthAgent, CostAgent, SecurityAgent, ScaleAgent)


def displaced_builtins(agents: tuple[type, ...] = ALL) -> list[str]:
    """Built-in agents claiming an intent a test agent serves: processes that load both must leave them out."""
    from kubegenie.agents import BUILTIN_AGENTS

    claimed = set().union(*(agent.intents for agent in agents))
    return sorted(builtin.name for builtin in BUILTIN_AGENTS if set(builtin.intents) & claimed)  # type: ignore[attr-defined]


def agents_distribution(directory: Path, *, name: str = "kubegenie-test-agents",
                        entries: dict[str, str] | None = None) -> Path:
    """Write a dist-info whose entry points name these agents; put `directory` on sys.path / PYTHONPATH."""
    entries = entries or {cls.name: f"tests.support.runtime_agents:{cls.__name__}" for cls in ALL}
    dist = directory / f"{name.replace('-', '_')}-1.0.dist-info"
    dist.mkdir(parents=True, exist_ok=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    lines = "\n".join(f"{entry} = {target}" for entry, target in entries.items())
    (dist / "entry_points.txt").write_text(f"[kubegenie.agents]\n{lines}\n")
    return directory
