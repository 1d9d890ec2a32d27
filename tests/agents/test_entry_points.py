"""Third-party agents arrive through the `kubegenie.agents` entry-point group of real installed distributions
(a dist-info on sys.path): they load, a broken one is listed as unavailable with the reason while the others
load, a conflicting one is refused, and a disabled one is left out."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kubegenie.agents.registry import AgentRegistry, AgentStatus
from kubegenie.domain.intents import Intent
from kubegenie.errors import ConfigError
from tests.support.runtime_agents import HealthAgent, agents_distribution

NETWORK_AGENT = '''
from kubegenie.agents.base import AgentResult
from kubegenie.domain.intents import Intent


class NetworkAgent:
    name = "network"
    description = "Explains network policies."
    intents = frozenset({Intent.DIAGNOSE})

    async def handle(self, request, ctx):
        return AgentResult(text="traffic from shop to db is denied by policy deny-all")


agent = NetworkAgent()
'''


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory on sys.path holding an installed third-party agent package."""
    (tmp_path / "kg_network").mkdir()
    (tmp_path / "kg_network" / "__init__.py").write_text(NETWORK_AGENT)
    (tmp_path / "kg_broken.py").write_text("raise ImportError('needs libfoo 2.0')\n")
    agents_distribution(tmp_path, name="kubegenie-network", entries={"network": "kg_network:agent"})
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


async def test_installed_agent_is_discovered_and_works(site: Path) -> None:
    registry = AgentRegistry.discover([HealthAgent])

    agent = registry.for_intent(Intent.DIAGNOSE)

    assert agent is not None and agent.name == "network"
    assert registry.origin("network") == "kubegenie-network 1.0 (kg_network:agent)"
    assert registry.origin("health") == "built-in"
    from kubegenie.agents.base import AgentContext, RequestScope
    from kubegenie.domain.intents import DiagnoseRequest

    result = await agent.handle(DiagnoseRequest(), AgentContext(RequestScope(task_id="t")))
    assert result.text.startswith("traffic from shop")


def test_broken_package_is_listed_unavailable_and_others_still_load(site: Path) -> None:
    agents_distribution(site, name="kubegenie-broken", entries={"broken": "kg_broken:Agent",
                                                                 "notanagent": "kg_network:AgentResult"})
    registry = AgentRegistry.discover()

    overview = {info.name: info for info in registry.overview()}

    assert registry.for_intent(Intent.DIAGNOSE) is not None
    assert overview["broken"].status is AgentStatus.UNAVAILABLE
    assert overview["broken"].problem == "cannot import kg_broken:Agent: ImportError: needs libfoo 2.0"
    assert overview["broken"].origin == "kubegenie-broken 1.0 (kg_broken:Agent)"
    assert overview["notanagent"].status is AgentStatus.UNAVAILABLE
    assert overview["notanagent"].problem.endswith(
        "is not an agent: it needs name, description, intents and handle()")


def test_installed_agent_conflicting_with_a_built_in_is_refused(site: Path) -> None:
    agents_distribution(site, name="kubegenie-rival", entries={"rival": "tests.support.runtime_agents:HealthAgent"})
    with pytest.raises(ConfigError, match=re.escape("two agents are named 'health' (built-in and kubegenie-rival 1.0")):
        AgentRegistry.discover([HealthAgent])


def test_disabled_agents_are_left_out(site: Path) -> None:
    registry = AgentRegistry.discover([HealthAgent], disabled=["network"])

    assert registry.for_intent(Intent.DIAGNOSE) is None
    assert [agent.name for agent in registry.agents] == ["health"]
