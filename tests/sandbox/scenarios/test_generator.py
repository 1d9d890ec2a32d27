"""The generator: the requested size, realistic workload shapes, about 2% failing pods, and reproducibility."""

from __future__ import annotations

import asyncio
from collections import Counter

from kubegenie.sandbox.scenarios.build import build_cluster
from kubegenie.sandbox.scenarios.generator import FAILING_SHARE, generate


def _replicas(manifest: dict[str, object]) -> int:
    spec = manifest.get("spec") or {}
    return int(spec.get("replicas", 1)) if isinstance(spec, dict) else 1


def test_counts_shapes_and_failure_share() -> None:
    scenario = generate(40, 1200, seed=5)
    assert scenario.node_count == 40
    kinds = Counter(m["kind"] for m in scenario.manifests)
    assert kinds["StatefulSet"] >= 2
    assert kinds["DaemonSet"] >= 4  # three EKS system DaemonSets and node-exporter
    deployments = [m for m in scenario.manifests if m["kind"] == "Deployment"]
    app = [d for d in deployments if d["metadata"].get("namespace") != "kube-system"]
    assert sum(1 for d in app if _replicas(d) >= 2) > len(app) / 2
    expected = sum(_replicas(m) for m in scenario.manifests if m["kind"] in ("Deployment", "StatefulSet")) \
        + 40 * sum(1 for m in scenario.manifests if m["kind"] == "DaemonSet")
    assert abs(expected - 1200) <= 12
    failing = [p for p in scenario.problems if p.category == "failure"]
    failing_pods = sum(_replicas(d) for d in deployments if (d["metadata"].get("namespace"), d["metadata"]["name"])
                       in {(p.namespace, p.name) for p in failing})
    app_pods = sum(_replicas(d) for d in app)
    assert 0.5 * FAILING_SHARE <= failing_pods / app_pods <= 2 * FAILING_SHARE
    pools = {pool.name: pool for pool in scenario.node_pools}
    assert pools["compute-spot"].capacity_type == "spot"
    assert len({pool.instance_type for pool in scenario.node_pools}) >= 2


def test_a_seed_reproduces_the_scenario_and_the_placement() -> None:
    first, again, other = generate(8, 150, seed=1), generate(8, 150, seed=1), generate(8, 150, seed=2)
    assert first == again
    assert first.manifests != other.manifests

    async def placements(seed: int) -> list[tuple[str, str, str | None]]:
        built = await build_cluster(generate(8, 150, seed=seed), seed=seed)
        return sorted((p["metadata"]["namespace"], p["metadata"]["name"], p["spec"].get("nodeName"))
                      for p in built.cluster.store.iter("pods"))

    assert asyncio.run(placements(1)) == asyncio.run(placements(1))


def test_a_generated_cluster_loads_and_runs_its_pods() -> None:
    async def build() -> tuple[int, int, int]:
        built = await build_cluster(generate(10, 300, seed=4), seed=4)
        pods = list(built.cluster.store.iter("pods"))
        running = sum(1 for p in pods if (p.get("status") or {}).get("phase") == "Running")
        return built.warm.pods, running, len(built.warm.live)

    warm, running, live = asyncio.run(build())
    assert warm == running
    assert warm >= 0.9 * 300 - 20
    assert live >= 1
