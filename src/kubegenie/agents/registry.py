"""The agent registry: built at start-up from the built-in agents and the `kubegenie.agents` entry-point group,
validated (no intent claimed twice; intents nobody serves are reported), and asked which agent serves an intent.

A third-party agent that cannot be loaded does not stop KubeGenie: it is listed as unavailable with the reason.
Nothing registers itself at import time; every registry is an explicit object.
"""

from __future__ import annotations

import inspect
import logging
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import metadata

from kubegenie.agents.base import Agent
from kubegenie.domain.intents import Intent
from kubegenie.errors import AgentUnavailable, ConfigError

ENTRY_POINT_GROUP = "kubegenie.agents"
BUILT_IN = "built-in"
log = logging.getLogger(__name__)


class AgentStatus(StrEnum):
    IDLE = "idle"
    BUSY = "busy"
    UNAVAILABLE = "unavailable"
    """Installed but could not be loaded; `problem` says why."""


@dataclass(frozen=True)
class LoadProblem:
    name: str
    origin: str
    message: str


@dataclass(frozen=True)
class AgentStats:
    """Live figures of one agent, from the task store (so every process and worker counts)."""

    queued: int = 0
    active: int = 0
    completed: int = 0
    failed: int = 0
    recent_durations: Sequence[float] = field(default_factory=tuple)

    @property
    def latency_p50_ms(self) -> float | None:
        return statistics.median(self.recent_durations) * 1000 if self.recent_durations else None

    @property
    def latency_p95_ms(self) -> float | None:
        if not self.recent_durations:
            return None
        ordered = sorted(self.recent_durations)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1000


@dataclass(frozen=True)
class AgentInfo:
    """One line of `kubegenie agents list`."""

    name: str
    description: str
    intents: tuple[Intent, ...]
    origin: str
    status: AgentStatus
    stats: AgentStats
    problem: str = ""


class AgentRegistry:
    def __init__(self) -> None:
        self._agents: dict[str, Agent] = {}
        self._origins: dict[str, str] = {}
        self._by_intent: dict[Intent, str] = {}
        self.problems: list[LoadProblem] = []

    @classmethod
    def of(cls, agents: Iterable[Agent], *, origin: str = BUILT_IN) -> AgentRegistry:
        """A validated registry of exactly these agents (tests, embedding)."""
        registry = cls()
        for agent in agents:
            registry.add(agent, origin=origin)
        return registry

    @classmethod
    def discover(cls, builtins: Iterable[Agent | type[Agent]] = (), *, group: str = ENTRY_POINT_GROUP,
                 disabled: Iterable[str] = ()) -> AgentRegistry:
        """Built-in agents plus every agent installed under the entry-point group, minus `disabled` names."""
        skip = set(disabled)
        registry = cls()
        for builtin in builtins:
            agent = _instantiate(builtin)
            if agent.name not in skip:
                registry.add(agent, origin=BUILT_IN)
        for entry_point in sorted(metadata.entry_points(group=group), key=lambda ep: ep.name):
            if entry_point.name in skip:
                continue
            origin = _origin(entry_point)
            try:
                agent = _instantiate(_load(entry_point))
                if agent.name in skip:
                    continue
                registry.add(agent, origin=origin)
            except AgentUnavailable as exc:
                log.warning("agent %s from %s not loaded: %s", entry_point.name, origin, exc.message)
                registry.problems.append(LoadProblem(name=entry_point.name, origin=origin, message=exc.message))
        return registry

    def add(self, agent: Agent, *, origin: str = BUILT_IN) -> None:
        """Register one agent; refuses a second agent with the same name or an intent already claimed."""
        _check_shape(agent)
        if agent.name in self._agents:
            raise ConfigError(f"two agents are named '{agent.name}' ({self._origins[agent.name]} and {origin})",
                              _disable_hint(agent.name))
        for intent in sorted(agent.intents):
            holder = self._by_intent.get(intent)
            if holder is not None:
                raise ConfigError(
                    f"agents '{holder}' ({self._origins[holder]}) and '{agent.name}' ({origin}) both claim intent "
                    f"'{intent}'", _disable_hint(agent.name))
        self._agents[agent.name] = agent
        self._origins[agent.name] = origin
        for intent in agent.intents:
            self._by_intent[intent] = agent.name

    @property
    def agents(self) -> list[Agent]:
        return [self._agents[name] for name in sorted(self._agents)]

    def origin(self, name: str) -> str:
        return self._origins[name]

    def get(self, name: str) -> Agent:
        try:
            return self._agents[name]
        except KeyError:
            raise AgentUnavailable(f"no agent named '{name}' is installed here") from None

    def for_intent(self, intent: Intent) -> Agent | None:
        name = self._by_intent.get(intent)
        return self._agents[name] if name is not None else None

    def unserved(self) -> list[Intent]:
        """Intents nobody serves, in catalogue order."""
        return [intent for intent in Intent if intent not in self._by_intent]

    def overview(self, stats: Mapping[str, AgentStats] | None = None) -> list[AgentInfo]:
        """Every agent (and every one that failed to load) with its status and figures."""
        stats = stats or {}
        infos = []
        for agent in self.agents:
            figures = stats.get(agent.name, AgentStats())
            infos.append(AgentInfo(
                name=agent.name, description=agent.description, intents=tuple(sorted(agent.intents)),
                origin=self._origins[agent.name], status=AgentStatus.BUSY if figures.active else AgentStatus.IDLE,
                stats=figures))
        for problem in self.problems:
            infos.append(AgentInfo(name=problem.name, description="", intents=(), origin=problem.origin,
                                   status=AgentStatus.UNAVAILABLE, stats=AgentStats(), problem=problem.message))
        return infos


def _disable_hint(name: str) -> str:
    return (f"Uninstall one of the two packages, or leave one out with "
            f"KUBEGENIE_AGENTS__DISABLED='[\"{name}\"]'.")


def _origin(entry_point: metadata.EntryPoint) -> str:
    dist = entry_point.dist
    package = f"{dist.name} {dist.version}" if dist is not None else "unknown package"
    return f"{package} ({entry_point.value})"


def _load(entry_point: metadata.EntryPoint) -> object:
    try:
        return entry_point.load()
    # A third-party module can fail to import in any way at all; one bad package must not stop the others.
    except Exception as exc:
        raise AgentUnavailable(f"cannot import {entry_point.value}: {type(exc).__name__}: {exc}") from exc


def _instantiate(candidate: object) -> Agent:
    """Entry points may name an agent class (built with no arguments) or a ready agent object."""
    if isinstance(candidate, type):
        cls = candidate
        try:
            candidate = cls()
        except Exception as exc:  # third-party constructor: same reasoning as _load
            raise AgentUnavailable(f"cannot create {cls.__name__}(): {type(exc).__name__}: {exc}") from exc
    if not isinstance(candidate, Agent):
        raise AgentUnavailable(f"{candidate!r} is not an agent: it needs name, description, intents and handle()")
    return candidate


def _check_shape(agent: Agent) -> None:
    name = agent.name
    if not isinstance(name, str) or not name:
        raise AgentUnavailable(f"{agent!r} has no name")
    if not inspect.iscoroutinefunction(agent.handle):
        raise AgentUnavailable(f"agent '{name}': handle() must be `async def`")
    intents = agent.intents
    if not isinstance(intents, frozenset | set) or not intents:
        raise AgentUnavailable(f"agent '{name}': intents must be a non-empty set of Intent values")
    unknown = [intent for intent in intents if not isinstance(intent, Intent)]
    if unknown:
        raise AgentUnavailable(f"agent '{name}': {unknown!r} are not Intent values")
