"""The HTTP face of a cluster's telemetry on its sandbox server, outside the Kubernetes API: `GET /metrics`
(cAdvisor and kube-state-metrics families, current values, for a Prometheus scrape), `GET
/sandbox/ground-truth` (JSON) and `GET /sandbox/metrics-history?step=60s[&since=1h]` (the history as OpenMetrics).
"""

from __future__ import annotations

import asyncio
import io
import json
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from kubegenie.sandbox.scenarios.model import Problem
from kubegenie.sandbox.telemetry.cadvisor import container_families, machine_families
from kubegenie.sandbox.telemetry.export import export_history
from kubegenie.sandbox.telemetry.exposition import (
    OPENMETRICS_CONTENT_TYPE,
    PROMETHEUS_CONTENT_TYPE,
    Family,
    prometheus_text,
)
from kubegenie.sandbox.telemetry.groundtruth import ground_truth
from kubegenie.sandbox.telemetry.history import History
from kubegenie.sandbox.telemetry.ksm_cluster import (
    namespace_families,
    node_families,
    service_families,
    storage_families,
)
from kubegenie.sandbox.telemetry.ksm_pods import pod_families
from kubegenie.sandbox.telemetry.ksm_workloads import (
    autoscaling_families,
    cronjob_families,
    daemonset_families,
    deployment_families,
    job_families,
    replicaset_families,
)
from kubegenie.sandbox.telemetry.timespan import parse_span

METRICS_PATH = "/metrics"
GROUND_TRUTH_PATH = "/sandbox/ground-truth"
HISTORY_PATH = "/sandbox/metrics-history"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Telemetry:
    """One cluster's history plus what its ground truth reports about the scenario."""

    history: History
    cluster_name: str
    scenario: str = ""
    problems: tuple[Problem, ...] = ()

    def family_groups(self) -> Iterator[list[Family]]:
        """The families of one scrape at the same simulated moment, a group at a time, so the server can answer
        API requests between groups of a large cluster's scrape."""
        history = self.history
        store = history.cluster.store
        now = history.now()
        scrape_started = time.perf_counter()
        yield container_families(history.containers(), now) + machine_families(store)
        yield pod_families(store.list_sorted("pods"))
        yield node_families(store) + namespace_families(store)
        yield deployment_families(store) + replicaset_families(store) + daemonset_families(store)
        yield job_families(store) + cronjob_families(store) + autoscaling_families(store)
        yield storage_families(store) + service_families(store)
        duration = Family("kubegenie_sandbox_scrape_duration_seconds", "gauge",
                          "Seconds from the start to the end of this scrape.")
        duration.add(round(time.perf_counter() - scrape_started, 6))
        yield [duration]

    def ground_truth(self) -> dict[str, Any]:
        return ground_truth(self.history, self.cluster_name, self.scenario, self.problems)

    def history_text(self, step: float, since: float | None = None) -> str:
        """The history as OpenMetrics; `since` seconds back from now, else all of it."""
        buffer = io.StringIO()
        start = max(self.history.start, self.history.now() - since) if since is not None else None
        export_history(self.history, buffer, step, start)
        return buffer.getvalue()


def handlers(telemetry: Telemetry) -> dict[str, Handler]:
    """Path -> handler, for SandboxServer.extra_routes."""

    async def metrics(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": PROMETHEUS_CONTENT_TYPE})
        await response.prepare(request)
        try:
            for group in telemetry.family_groups():
                await response.write("".join(prometheus_text(group)).encode())
                await asyncio.sleep(0)  # API requests waiting meanwhile go first
            await response.write_eof()
        except ConnectionResetError:
            pass  # the scraper gave up
        return response

    async def truth(request: web.Request) -> web.StreamResponse:
        del request
        body = json.dumps(telemetry.ground_truth(), separators=(",", ":")).encode()
        return web.Response(body=body, headers={"Content-Type": "application/json"})

    async def history(request: web.Request) -> web.StreamResponse:
        try:
            step = parse_span(request.query.get("step", "60s"))
            if step <= 0:
                raise ValueError("step must be positive")
            since = parse_span(request.query["since"]) if "since" in request.query else None
        except ValueError as exc:
            return web.Response(status=400, text=f"invalid step or since: {exc}\n")
        await asyncio.sleep(0)
        return web.Response(body=telemetry.history_text(step, since).encode(),
                            headers={"Content-Type": OPENMETRICS_CONTENT_TYPE})

    return {METRICS_PATH: metrics, GROUND_TRUTH_PATH: truth, HISTORY_PATH: history}
