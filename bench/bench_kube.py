"""Cluster access layer figures on a sandbox with 10,000 pods on 500 nodes, side by side with kubectl:
cold connect plus full cache sync against `kubectl get pods -A -o json`; warm query p99 (pods of a
namespace, of a node, by label); RSS of the cache; time for a change to reach the cache through the
watch; and 50 clusters of 200 pods synced at once."""

from __future__ import annotations

import asyncio
import gc
import shutil
import subprocess
import time
from pathlib import Path

from bench.common import loaded_sandbox, machine, percentile, rss_mb

from kubegenie.domain.labels import parse_label_selector
from kubegenie.kube.client import ResourcePath
from kubegenie.kube.registry import ClusterRegistry
from kubegenie.settings import KubeSettings

NODES, PODS = 500, 10_000


def kubectl_seconds(kubeconfig: Path) -> float:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        return float("nan")
    started = time.perf_counter()
    subprocess.run([kubectl, "--kubeconfig", str(kubeconfig), "get", "pods", "-A", "-o", "json"],
                   check=True, capture_output=True)
    return time.perf_counter() - started


async def single_cluster(kubeconfig: Path) -> None:
    gc.collect()
    before = rss_mb()
    started = time.perf_counter()
    registry = ClusterRegistry(KubeSettings(), [kubeconfig])
    cache = await registry.cache("bench", wait=60)
    sync_seconds = time.perf_counter() - started
    status = cache.status()
    assert cache.count("pods") == PODS, (cache.count("pods"), status.describe())
    gc.collect()
    cache_mb = rss_mb() - before

    timings: dict[str, list[float]] = {"namespace": [], "node": [], "label": []}
    selector = parse_label_selector("app=app-07")
    for index in range(1000):
        queries = {"namespace": lambda i=index: cache.select("pods", f"team-{i % 20:02d}"),
                   "node": lambda i=index: cache.select("pods", node=f"node-{i % NODES:04d}"),
                   "label": lambda: cache.select("pods", selector=selector)}
        for name, query in queries.items():
            t0 = time.perf_counter()
            query()
            timings[name].append((time.perf_counter() - t0) * 1000)

    client = await registry.client("bench")
    latencies = []
    for index in range(50):
        name = f"app-{(index * 20 // 20) % 50:02d}-{index * 20:05d}"
        namespace = f"team-{(index * 20) % 20:02d}"
        t0 = time.perf_counter()
        await client.patch(ResourcePath("", "v1", "pods"), name, {"metadata": {"labels": {"bench": str(index)}}},
                           namespace)
        while (cache.get("pods", name, namespace) or {}).get("metadata", {}).get("labels", {}).get("bench") \
                != str(index):
            await cache.wait_for_change(1)
        latencies.append((time.perf_counter() - t0) * 1000)
    await registry.close()

    kubectl = kubectl_seconds(kubeconfig)
    print(f"cold connect + full sync ({len(cache.informers)} kinds, {PODS} pods, {NODES} nodes): "
          f"{sync_seconds:.2f} s   [target < 2 s; seed target discovery < 5 s]")
    print(f"kubectl get pods -A -o json on the same server:               {kubectl:.2f} s")
    for name, values in timings.items():
        print(f"warm query, pods by {name:<9}: p50 {percentile(values, 50):.3f} ms, "
              f"p99 {percentile(values, 99):.3f} ms   [target p99 < 5 ms]")
    print(f"cache RSS for {PODS} pods: {cache_mb:.0f} MB   [target < 300 MB]")
    print(f"change seen through the watch (patch -> cache, 50 changes): p50 {percentile(latencies, 50):.1f} ms, "
          f"p99 {percentile(latencies, 99):.1f} ms   [target < 100 ms]")


async def fleet(kubeconfig: Path, clusters: int) -> None:
    registry = ClusterRegistry(KubeSettings(), [kubeconfig])
    started = time.perf_counter()
    caches = await asyncio.gather(*(registry.cache(name, wait=60) for name in registry.names()))
    seconds = time.perf_counter() - started
    pods = sum(cache.count("pods") for cache in caches)
    synced = sum(cache.status().state.value == "synced" for cache in caches)
    await registry.close()
    print(f"fleet: {synced}/{clusters} clusters synced ({pods} pods in all) in {seconds:.2f} s   [target < 5 s]")


def main() -> None:
    print(f"machine: {machine()}")
    with loaded_sandbox(NODES, PODS) as (kubeconfig, _):
        asyncio.run(single_cluster(kubeconfig))
    with loaded_sandbox(4, 200, clusters=50) as (kubeconfig, _):
        asyncio.run(fleet(kubeconfig, 50))


if __name__ == "__main__":
    main()
