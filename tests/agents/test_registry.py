"""The agent registry: no intent claimed twice, intents nobody serves reported, agents of the wrong shape
refused, and each agent's status and figures in the overview."""

from __future__ import annotations

from typing import ClassVar

import pytest

from kubegenie.agents.base import AgentContext, AgentResult
from kubegenie.agents.registry import AgentRegistry, AgentStats, AgentStatus
from kubegenie.domain.intents import Intent, Request
from kubegenie.errors import AgentUnavailable, ConfigError
from tests.support.runtime_agents import CostAgent, HealthAgent, ScriptAgent


class SecondHealth:
    name = "health2"
    description = "Also claims health checks."
    intents: ClassVar[frozenset[Intent]] = frozenset({Intent.HEALTH_CHECK, Intent.DIAGNOSE})

    async def handle(self, request: Request, ctx: AgentContext) -> AgentResult:
        return AgentResult()


class SyncHandle:
    name = "sync"
    description = "Forgot async."
    intents: ClassVar[frozenset[Intent]] = frozenset({Intent.TOP})

    def handle(self, request: Request, ctx: AgentContext) -> AgentResult:
        return AgentResult()


def test_lookup_and_unserved_intents() -> None:
    registry = AgentRegistry.of([HealthAgent(), CostAgent()])

    assert registry.for_intent(Intent.HEALTH_CHECK).name == "health"  # type: ignore[union-attr]
    assert registry.for_intent(Intent.TOP) is None
    assert registry.get("cost").name == "cost"
    assert Intent.TOP in registry.unserved() and Intent.COST_REPORT not in registry.unserved()
    assert len(registry.unserved()) == len(Intent) - 2
    with pytest.raises(AgentUnavailable, match="no agent named 'nope' is installed here"):
        registry.get("nope")


def test_two_agents_claiming_one_intent_are_refused() -> None:
    with pytest.raises(ConfigError) as caught:
        AgentRegistry.of([HealthAgent(), SecondHealth()])

    assert caught.value.message == ("agents 'health' (built-in) and 'health2' (built-in) both claim intent "
                                    "'health_check'")
    assert "KUBEGENIE_AGENTS__DISABLED" in caught.value.remediation


def test_two_agents_with_one_name_are_refused() -> None:
    with pytest.raises(ConfigError, match="two agents are named 'script'"):
        AgentRegistry.of([ScriptAgent(), ScriptAgent()])


def test_agents_of_the_wrong_shape_are_refused() -> None:
    with pytest.raises(AgentUnavailable, match="agent 'sync': handle\\(\\) must be `async def`"):
        AgentRegistry.of([SyncHandle()])  # type: ignore[list-item]


def test_overview_reports_status_and_figures() -> None:
    registry = AgentRegistry.of([HealthAgent(), CostAgent()])
    stats = {"health": AgentStats(active=2, completed=10, failed=1, recent_durations=(0.1, 0.2, 0.3, 0.4))}

    overview = {info.name: info for info in registry.overview(stats)}

    assert overview["health"].status is AgentStatus.BUSY
    assert overview["health"].stats.latency_p50_ms == pytest.approx(250)
    assert overview["health"].stats.latency_p95_ms == pytest.approx(400)
    assert overview["health"].intents == (Intent.HEALTH_CHECK,)
    assert overview["cost"].status is AgentStatus.IDLE and overview["cost"].stats.latency_p50_ms is None
    assert overview["cost"].description == "Reports idle capacity (test agent)."
