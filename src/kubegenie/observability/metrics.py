"""KubeGenie's own Prometheus metrics: queue depth per backend and agent, active tasks, task durations and
failures by reason. Each `RuntimeMetrics` owns its `CollectorRegistry` (never the global default), so tests
and several runtimes in one process stay apart. Exposition is for `/metrics` or `kubegenie worker`'s port.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, start_http_server
from prometheus_client.exposition import CONTENT_TYPE_LATEST

DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
CONTENT_TYPE = CONTENT_TYPE_LATEST


class RuntimeMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        self.queue_depth = Gauge(
            "kubegenie_queue_depth", "Tasks waiting to run, by queue backend and agent.",
            ["backend", "agent"], registry=self.registry)
        self.active_tasks = Gauge(
            "kubegenie_active_tasks", "Tasks running now in this process, by agent.", ["agent"],
            registry=self.registry)
        self.task_duration = Histogram(
            "kubegenie_task_duration_seconds", "Run time of finished tasks, by agent and final state.",
            ["agent", "state"], buckets=DURATION_BUCKETS, registry=self.registry)
        self.failures = Counter(
            "kubegenie_task_failures_total", "Tasks that did not succeed, by agent and reason (an error code).",
            ["agent", "reason"], registry=self.registry)
        self.submitted = Counter(
            "kubegenie_tasks_submitted_total", "Tasks submitted, by intent.", ["intent"], registry=self.registry)
        self._depth_labels: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def set_queue_depth(self, backend: str, depths: Mapping[str, int]) -> None:
        """Replace the depth of every agent of one backend (agents no longer waiting drop to zero)."""
        with self._lock:
            for known_backend, agent in list(self._depth_labels):
                if known_backend == backend and agent not in depths:
                    self.queue_depth.labels(backend, agent).set(0)
            for agent, depth in depths.items():
                self.queue_depth.labels(backend, agent).set(depth)
                self._depth_labels.add((backend, agent))

    def task_started(self, agent: str) -> None:
        self.active_tasks.labels(agent).inc()

    def task_stopped(self, agent: str) -> None:
        self.active_tasks.labels(agent).dec()

    def task_finished(self, agent: str, state: str, seconds: float | None, reason: str | None = None) -> None:
        if seconds is not None:
            self.task_duration.labels(agent, state).observe(seconds)
        if reason is not None:
            self.failures.labels(agent, reason).inc()

    def exposition(self) -> bytes:
        """The Prometheus text format of every metric, for a /metrics endpoint."""
        return generate_latest(self.registry)

    def serve(self, port: int, host: str = "127.0.0.1") -> None:
        """Expose the metrics over HTTP from a background thread (used by `kubegenie worker`)."""
        start_http_server(port, addr=host, registry=self.registry)
