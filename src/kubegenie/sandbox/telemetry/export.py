"""The history as OpenMetrics text for `promtool tsdb create-blocks-from openmetrics`: container CPU
counters and working sets sampled every `step` seconds inside each run (a new cAdvisor series per container
instance, as on a real node), restart counters, and the kube-state-metrics series cost and health queries
join against (requests, limits, pod and node info, node labels and allocatable) over each object's lifetime.
Written family by family, series by series, oldest sample first, as the format requires.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import TextIO

from kubegenie.sandbox.sim.kube import seconds
from kubegenie.sandbox.telemetry import series
from kubegenie.sandbox.telemetry.cadvisor import container_labels
from kubegenie.sandbox.telemetry.exposition import (
    OPENMETRICS_EOF,
    Family,
    Labels,
    openmetrics_header,
    openmetrics_sample,
)
from kubegenie.sandbox.telemetry.history import ContainerSeries, History
from kubegenie.sandbox.telemetry.ksm_cluster import node_families
from kubegenie.sandbox.telemetry.ksm_pods import pod_families


@dataclass
class ExportStats:
    series: int = 0
    samples: int = 0
    start: float = 0.0
    end: float = 0.0


def grid(start: float, end: float, step: float) -> Iterator[float]:
    """Sample times aligned to multiples of `step` in [start, end]."""
    t = math.ceil(start / step) * step
    while t <= end:
        yield t
        t += step


class Exporter:
    """Streams one cluster's history into an OpenMetrics file."""

    def __init__(self, history: History, out: TextIO, step: float, start: float | None = None,
                 end: float | None = None) -> None:
        if step <= 0:
            raise ValueError("step must be positive")
        self.history = history
        self.out = out
        self.step = step
        self.end = end if end is not None else history.now()
        self.start = start if start is not None else history.start
        self.stats = ExportStats(start=self.start, end=self.end)

    def _series(self, name: str, labels: Labels, points: Iterator[tuple[float, float]]) -> None:
        written = 0
        for at, value in points:
            self.out.write(openmetrics_sample(name, labels, value, at))
            written += 1
        if written:
            self.stats.series += 1
            self.stats.samples += written

    def run(self) -> ExportStats:
        containers = list(self.history.containers())
        self._containers(containers)
        self._restarts(containers)
        self._static()
        self.out.write(OPENMETRICS_EOF)
        return self.stats

    def _containers(self, containers: list[ContainerSeries]) -> None:
        cpu = Family("container_cpu_usage_seconds_total", "counter", "Cumulative cpu time consumed in seconds.")
        memory = Family("container_memory_working_set_bytes", "gauge", "Current working set in bytes.")
        for family in (cpu, memory):
            self.out.write(openmetrics_header(family))
            for item in containers:
                for index, run in enumerate(item.runs):
                    lo = max(self.start, run.start)
                    hi = min(self.end, run.end if run.end is not None else self.end)
                    if hi <= lo:
                        continue
                    instance = run.container_id or f"{item.container_id}-{index}"
                    labels = container_labels(replace(item, container_id=instance))
                    spec, begin = item.spec, run.start
                    if family is cpu:
                        points = ((t, round(series.cpu_seconds(spec, begin, t), 6)) for t in grid(lo, hi, self.step))
                        self._series(family.sample_name, labels, points)
                    else:
                        points = ((t, float(int(series.memory_bytes(spec, t, begin)))) for t in grid(lo, hi, self.step))
                        self._series(family.sample_name, labels, points)

    def _restarts(self, containers: list[ContainerSeries]) -> None:
        family = Family("kube_pod_container_status_restarts_total", "counter",
                        "The number of container restarts per container.")
        self.out.write(openmetrics_header(family))
        for item in containers:
            first = item.runs[0].start
            labels = (("container", item.container), ("namespace", item.namespace), ("pod", item.pod),
                      ("uid", item.pod_uid))
            restarted_at = sorted(run.start for run in item.runs[1:])

            def restarts(at: float, restarted_at: list[float] = restarted_at) -> float:
                return float(bisect.bisect_right(restarted_at, at))

            points = ((t, restarts(t)) for t in grid(max(self.start, first), self.end, self.step))
            self._series(family.sample_name, labels, points)

    def _static(self) -> None:
        """kube-state-metrics series whose value does not change, over the lifetime of their object."""
        store = self.history.cluster.store
        pods = store.list_sorted("pods")
        lifetimes = {}
        for pod in pods:
            meta = pod["metadata"]
            began = seconds((pod.get("status") or {}).get("startTime")) or seconds(meta.get("creationTimestamp"))
            lifetimes[str(meta.get("uid", ""))] = began if began is not None else self.end
        wanted = {"kube_pod_info", "kube_pod_container_resource_requests", "kube_pod_container_resource_limits",
                  "kube_pod_owner"}
        for family in pod_families(pods):
            if family.name in wanted:
                self._constant(family, lambda labels: lifetimes.get(dict(labels).get("uid", ""), self.end))
        node_created = {str(n["metadata"]["name"]): seconds(n["metadata"].get("creationTimestamp")) or self.start
                        for n in store.list_sorted("nodes")}
        keep = {"kube_node_info", "kube_node_labels", "kube_node_status_allocatable", "kube_node_status_capacity"}
        for family in node_families(store):
            if family.name in keep:
                self._constant(family, lambda labels: node_created.get(dict(labels).get("node", ""), self.start))

    def _constant(self, family: Family, began: Callable[[Labels], float]) -> None:
        self.out.write(openmetrics_header(family))
        for labels, value in family.samples:
            since = max(self.start, began(labels))
            self._series(family.sample_name, labels, ((t, value) for t in grid(since, self.end, self.step)))


def export_history(history: History, out: TextIO, step: float, start: float | None = None,
                   end: float | None = None) -> ExportStats:
    return Exporter(history, out, step, start, end).run()
