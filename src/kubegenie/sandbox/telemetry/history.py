"""A cluster's usage history: the window it covers (from `history` seconds before the scenario was loaded to
now), each container's series spec and runs, and the metrics.k8s.io source that samples them, so
`kubectl top`, the HPA, `/metrics` and exported history all read one set of numbers.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from kubegenie.sandbox.metricsource import (
    RESOLUTION,
    PodUsage,
    Usage,
    UsageSource,
    running_containers,
    running_since,
)
from kubegenie.sandbox.sim.controller import Component
from kubegenie.sandbox.store import Obj
from kubegenie.sandbox.telemetry import series
from kubegenie.sandbox.telemetry.series import SeriesSpec
from kubegenie.sandbox.telemetry.timeline import Run, container_runs

if TYPE_CHECKING:
    from kubegenie.sandbox.cluster import Cluster
    from kubegenie.sandbox.sim import Simulation


@dataclass(frozen=True)
class ContainerSeries:
    """One container of one pod, with what its series need."""

    namespace: str
    pod: str
    container: str
    node: str
    image: str
    pod_uid: str
    container_id: str
    qos: str
    spec: SeriesSpec
    runs: tuple[Run, ...]

    def run_at(self, t: float) -> Run | None:
        for run in self.runs:
            if run.covers(t):
                return run
        return None


class History:
    """Usage series of one cluster's containers, computed on demand; nothing is stored but specs."""

    def __init__(self, cluster: Cluster, seed: int, loaded_at: float, history: float) -> None:
        self.cluster = cluster
        self.seed = seed
        self.loaded_at = loaded_at
        self.history = history
        self.simulation: Simulation | None = None
        self._specs: dict[tuple[str, str], SeriesSpec] = {}

    @property
    def start(self) -> float:
        return self.loaded_at - self.history

    def now(self) -> float:
        return self.cluster.clock.time()

    def spec(self, pod: Obj, container: Obj) -> SeriesSpec:
        key = (str(pod["metadata"].get("uid", "")), str(container.get("name", "")))
        found = self._specs.get(key)
        if found is None:
            if len(self._specs) > 500_000:
                self._specs.clear()
            found = self._specs[key] = series.spec_for(pod, container, self.seed)
        return found

    def runs(self, pod: Obj, container: Obj, spec: SeriesSpec) -> list[Run]:
        meta = pod["metadata"]
        name = str(container.get("name", ""))
        observed = None
        if self.simulation is not None:
            found = self.simulation.container_runs(str(meta.get("namespace", "")), str(meta["name"]), name)
            if found:
                observed = [Run(r.started_at, r.finished_at, r.exit_code, r.reason, r.container_id) for r in found]
        return container_runs(pod, name, spec.oom_delay, observed)

    def containers(self) -> Iterator[ContainerSeries]:
        """Every container of every pod with at least one run, in namespace and name order."""
        for pod in self.cluster.store.list_sorted("pods"):
            meta, spec = pod["metadata"], pod.get("spec") or {}
            statuses = {s.get("name"): s for s in (pod.get("status") or {}).get("containerStatuses") or []}
            for container in spec.get("containers") or []:
                found = self.spec(pod, container)
                runs = self.runs(pod, container, found)
                if not runs:
                    continue
                status = statuses.get(container.get("name")) or {}
                yield ContainerSeries(str(meta.get("namespace", "")), str(meta["name"]), str(container["name"]),
                                      str(spec.get("nodeName") or ""), str(container.get("image", "")),
                                      str(meta.get("uid", "")), str(status.get("containerID", "")),
                                      str((pod.get("status") or {}).get("qosClass", "BestEffort")), found,
                                      tuple(runs))


class HistoryUsage(UsageSource):
    """metrics.k8s.io samples from the history's series, one per 15 s window, as metrics-server reports."""

    def __init__(self, history: History) -> None:
        super().__init__(history.cluster)
        self.history = history

    def pod(self, pod: Obj) -> PodUsage | None:
        containers = running_containers(pod)
        if not containers:
            return None
        at = self._sample_time()
        started = running_since(pod)
        samples = []
        for container in containers:
            spec = self.history.spec(pod, container)
            begin = started.get(str(container.get("name")), at)
            cpu = series.cpu_millicores(spec, at)
            memory = series.memory_bytes(spec, at, begin)
            samples.append((str(container.get("name", "")), Usage(Decimal(int(cpu * 1000)) / Decimal(1_000_000),
                                                                 int(memory))))
        return PodUsage(at, RESOLUTION, tuple(samples))



class HistoryComponent(Component):
    """Plugs a History into a running simulation: its runs come from the kubelet, and metrics.k8s.io (and so
    `kubectl top` and the HPA) read its series."""

    def __init__(self, sim: Simulation, history: History) -> None:
        super().__init__(sim)
        self.history = history
        self._previous: UsageSource | None = None

    def start(self) -> None:
        self.history.simulation = self.sim
        self._previous = self.cluster.usage
        self.cluster.usage = HistoryUsage(self.history)

    def stop(self) -> None:
        if self._previous is not None and isinstance(self.cluster.usage, HistoryUsage):
            self.cluster.usage = self._previous
        self.history.simulation = None
