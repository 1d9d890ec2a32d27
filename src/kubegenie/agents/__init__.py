"""KubeGenie's agents, one per module, all behind the `Agent` protocol of `agents.base`.

`BUILTIN_AGENTS` lists the agent classes shipped with KubeGenie; the registry adds those installed by other
packages through the `kubegenie.agents` entry-point group. Agents never import each other.
"""

from __future__ import annotations

from kubegenie.agents.base import Agent
from kubegenie.agents.help import HelpAgent
from kubegenie.agents.inventory import InventoryAgent

BUILTIN_AGENTS: tuple[type[Agent], ...] = (HelpAgent, InventoryAgent)
"""Agent classes built into KubeGenie, each constructed with no arguments."""
