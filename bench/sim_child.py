"""A scenario sandbox in its own process for bench_sandbox_sim.py: starts the requested clusters, waits for
the simulations' first sync, optionally measures the CPU the running simulation uses, and prints one JSON line
of figures. Run by the benchmark, not by hand."""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.common import rss_mb

from kubegenie.sandbox.runtime import SandboxConfig, SandboxThread
from kubegenie.sandbox.scenarios.launch import LaunchOptions


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenario")
    parser.add_argument("--nodes", type=int)
    parser.add_argument("--pods", type=int)
    parser.add_argument("--clusters", type=int, default=1)
    parser.add_argument("--cpu-seconds", type=float, default=0.0)
    parser.add_argument("--warmup", type=float, default=0.0)
    args = parser.parse_args()
    options = LaunchOptions(scenario=args.scenario, nodes=args.nodes, pods=args.pods, clusters=args.clusters)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        thread = SandboxThread(SandboxConfig(kubeconfig=Path(tmp) / "kubeconfig", scenario=options, seed=1)).start()
        serving = time.perf_counter() - started
        serving_rss = rss_mb()
        sandbox = thread.sandbox

        async def idle() -> bool:
            return all(simulation.idle for simulation in sandbox.simulations)

        while not thread.call(idle):
            time.sleep(0.2)
        synced = time.perf_counter() - started

        async def counts() -> tuple[int, int]:
            pods = sum(cluster.store.count("pods") for cluster in sandbox.clusters)
            running = sum(1 for cluster in sandbox.clusters for pod in cluster.store.iter("pods")
                          if (pod.get("status") or {}).get("phase") == "Running")
            return pods, running

        pods, running = thread.call(counts)
        scrape_started = time.perf_counter()
        with urllib.request.urlopen(sandbox.url + "/metrics", timeout=300) as response:
            scraped = len(response.read())
        scrape = time.perf_counter() - scrape_started
        figures = {"serving_seconds": serving, "serving_rss_mb": serving_rss, "synced_seconds": synced,
                   "synced_rss_mb": rss_mb(), "pods": pods, "running": running, "clusters": len(sandbox.clusters),
                   "scrape_seconds": scrape, "scrape_bytes": scraped}
        if args.cpu_seconds:
            time.sleep(args.warmup)
            cpu_before, wall_before = time.process_time(), time.perf_counter()
            time.sleep(args.cpu_seconds)
            figures["cpu_percent"] = 100 * (time.process_time() - cpu_before) / (time.perf_counter() - wall_before)
        print(json.dumps(figures), flush=True)
        thread.stop()


if __name__ == "__main__":
    main()
