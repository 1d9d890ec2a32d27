"""Requests answered by several agents at once, and how their answers become one.

A plan maps an intent to the intents of its parts (a cluster report asks health, cost and security); each
part is a task of its own, and `merge` joins what came back. A part that failed, timed out or has no agent
leaves the rest of the answer standing: the merged result is then `partial` and its text says what is missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kubegenie.agents.base import AgentResult, ResultStatus
from kubegenie.domain.intents import REQUEST_MODELS, Intent, Request
from kubegenie.orchestration.intake import intent_of
from kubegenie.store.records import TaskState

PLANS: dict[Intent, tuple[Intent, ...]] = {
    Intent.CLUSTER_REPORT: (Intent.HEALTH_CHECK, Intent.COST_REPORT, Intent.SECURITY_AUDIT),
}
"""Intents answered by fanning out, when no single agent claims them."""

_SHARED_SLOTS = ("cluster", "all_clusters", "namespace", "all_namespaces")


def parts_of(request: Request) -> list[Request]:
    """The part requests of a fanned-out request, each carrying the parent's cluster and namespace slots."""
    intent = intent_of(request)
    slots = {slot: getattr(request, slot) for slot in _SHARED_SLOTS}
    return [REQUEST_MODELS[part](**slots) for part in PLANS.get(intent, ())]


@dataclass(frozen=True)
class Part:
    """What one part produced: a result, or the reason there is none."""

    intent: Intent
    agent: str | None
    state: TaskState
    result: AgentResult | None = None
    reason: str = ""


def title(intent: Intent) -> str:
    return intent.value.replace("_", " ").capitalize()


def merge(parts: Sequence[Part]) -> AgentResult:
    """One result from several: sections in plan order, findings most severe first."""
    answered = [part for part in parts if part.state is TaskState.SUCCEEDED and part.result is not None]
    sections = []
    for part in parts:
        heading = f"## {title(part.intent)}" + (f" ({part.agent})" if part.agent else "")
        if part.result is not None and part.state is TaskState.SUCCEEDED:
            sections.append(f"{heading}\n\n{part.result.text}".rstrip())
        else:
            sections.append(f"{heading}\n\n_Not available: {part.reason or part.state.value.replace('_', ' ')}._")
    results = [part.result for part in answered if part.result is not None]
    findings = sorted((finding for result in results for finding in result.findings),
                      key=lambda finding: -finding.severity.rank)
    return AgentResult(
        status=_status(parts, results),
        text="\n\n".join(sections),
        tables=[table for result in results for table in result.tables],
        charts=[chart for result in results for chart in result.charts],
        findings=findings,
        actions=[action for result in results for action in result.actions],
        evidence=[evidence for result in results for evidence in result.evidence],
    )


def _status(parts: Sequence[Part], results: Sequence[AgentResult]) -> ResultStatus:
    if not results:
        return ResultStatus.ERROR
    if len(results) < len(parts) or any(r.status in (ResultStatus.PARTIAL, ResultStatus.ERROR) for r in results):
        return ResultStatus.PARTIAL
    if all(result.status is ResultStatus.NO_DATA for result in results):
        return ResultStatus.NO_DATA
    return ResultStatus.OK
