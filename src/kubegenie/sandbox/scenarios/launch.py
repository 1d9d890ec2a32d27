"""Turning `--scenario`, `--nodes/--pods`, `--clusters`, `--seed` and `--history` into running clusters: which
clusters to build (prod, staging, dev-N with different content and sizes), building each, and starting its
simulation with the usage history, the metrics.k8s.io source and the container logs plugged in.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from kubegenie.sandbox.clock import Clock
from kubegenie.sandbox.containerlogs.source import LogComponent
from kubegenie.sandbox.scenarios import loader
from kubegenie.sandbox.scenarios.build import DAY, BuiltCluster, build_cluster
from kubegenie.sandbox.scenarios.generator import generate
from kubegenie.sandbox.scenarios.model import Scenario
from kubegenie.sandbox.sim import Simulation, SimulationOptions
from kubegenie.sandbox.telemetry.history import History, HistoryComponent
from kubegenie.sandbox.telemetry.routes import Telemetry

DEFAULT_HISTORY = 7 * DAY


@dataclass(frozen=True)
class LaunchOptions:
    """What to run; `scenario` is demo, empty or a file, else `nodes`/`pods` generate one."""

    scenario: str | Path | None = None
    nodes: int | None = None
    pods: int | None = None
    clusters: int = 1
    history: float = DEFAULT_HISTORY
    name: str | None = None
    """The context name of a single cluster (several clusters are named prod, staging, dev-N)."""

    def check(self) -> None:
        if self.clusters < 1:
            raise ValueError("--clusters must be at least 1")
        if self.history < 0:
            raise ValueError("--history must not be negative")
        if (self.nodes is None) != (self.pods is None):
            raise ValueError("--nodes and --pods go together")
        if self.nodes is not None and self.scenario is not None:
            raise ValueError("give either --scenario or --nodes/--pods, not both")
        if self.nodes is not None and (self.nodes < 1 or (self.pods or 0) < 0):
            raise ValueError("--nodes must be at least 1 and --pods at least 0")


@dataclass(frozen=True)
class ClusterPlan:
    name: str
    seed: int
    scenario: Scenario


@dataclass
class LaunchedCluster:
    built: BuiltCluster
    simulation: Simulation
    telemetry: Telemetry

    @property
    def name(self) -> str:
        return self.built.cluster.name


def cluster_names(count: int) -> list[str]:
    if count == 1:
        return ["prod"]
    return ["prod", "staging", *(f"dev-{index}" for index in range(1, count - 1))]


def plan(options: LaunchOptions, seed: int = 0) -> list[ClusterPlan]:
    """The clusters to build. The first is the requested scenario; with several clusters the others are
    generated, staging at about half and dev clusters at a fifth of its size (a generated fleet varies each
    cluster's size by up to 20%)."""
    options.check()
    names = cluster_names(options.clusters)
    if options.clusters == 1 and options.name:
        names = [options.name]
    rng = random.Random(f"fleet/{seed}")
    plans = []
    if options.nodes is not None and options.pods is not None:
        for index, name in enumerate(names):
            scale = 1.0 if index == 0 else rng.uniform(0.8, 1.2)
            nodes, pods = max(1, round(options.nodes * scale)), max(0, round(options.pods * scale))
            plans.append(ClusterPlan(name, seed + index, generate(nodes, pods, seed + index, name)))
        return plans
    first = loader.load(options.scenario if options.scenario is not None else "demo")
    plans.append(ClusterPlan(names[0], seed, first))
    size = max(3, first.node_count)
    pods = max(40, sum(1 for m in first.manifests if m.get("kind") in ("Deployment", "StatefulSet")) * 3)
    for index, name in enumerate(names[1:], start=1):
        share = 0.5 if name == "staging" else rng.uniform(0.15, 0.3)
        nodes = max(2, round(size * share))
        plans.append(ClusterPlan(name, seed + index,
                                 generate(nodes, max(4 * nodes, round(pods * share)), seed + index, name)))
    return plans


async def start_cluster(cluster_plan: ClusterPlan, history_seconds: float, clock: Clock) -> LaunchedCluster:
    """Build one planned cluster and start its simulation with history, metrics and logs."""
    built = await build_cluster(cluster_plan.scenario, cluster_plan.name, cluster_plan.seed, history_seconds, clock)
    cluster = built.cluster
    history = History(cluster, cluster_plan.seed, built.loaded_at, history_seconds)
    simulation = Simulation(cluster, SimulationOptions(seed=cluster_plan.seed))
    simulation.add(HistoryComponent(simulation, history))
    simulation.add(LogComponent(simulation))
    simulation.start()
    telemetry = Telemetry(history, cluster.name, cluster_plan.scenario.name, cluster_plan.scenario.problems)
    return LaunchedCluster(built, simulation, telemetry)


async def launch(options: LaunchOptions, seed: int = 0, speed: float = 1.0,
                 start: datetime | None = None) -> list[LaunchedCluster]:
    """Build and start every planned cluster; each has its own clock (they start together)."""
    return [await start_cluster(cluster_plan, options.history, Clock(speed, start))
            for cluster_plan in plan(options, seed)]
