"""Warm start: healthy workloads load as pods that have run for days, which the simulation adopts without
rewriting them, with ages, addresses and a leaking container's OOM restarts consistent with its history."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime
from pathlib import Path

from kubegenie.sandbox.scenarios import loader
from kubegenie.sandbox.scenarios.build import build_cluster
from kubegenie.sandbox.scenarios.launch import LaunchOptions
from kubegenie.sandbox.sim import Simulation, SimulationOptions
from kubegenie.sandbox.telemetry.series import spec_for
from tests.support.scenario import start_scenario


def test_the_simulation_adopts_warm_pods_without_writing_them() -> None:
    async def run() -> tuple[int, list[str], int]:
        built = await build_cluster(loader.load("empty"), seed=1)
        cluster = built.cluster
        before = {(p["metadata"]["namespace"], p["metadata"]["name"]): p["metadata"]["resourceVersion"]
                  for p in cluster.store.iter("pods")}
        simulation = Simulation(cluster, SimulationOptions(seed=1))
        simulation.start()
        await simulation.settle(5000)
        await asyncio.sleep(0.5)
        await simulation.settle(5000)
        changed = [f"{ns}/{name}" for (ns, name), rv in before.items()
                   if (cluster.store.get("pods", ns, name) or {}).get("metadata", {}).get("resourceVersion") != rv]
        deployments = sum(1 for d in cluster.store.iter("apps/deployments")
                          if d.get("status", {}).get("availableReplicas") == d["spec"]["replicas"])
        simulation.stop()
        return len(before), changed, deployments

    pods, changed, available = asyncio.run(run())
    assert pods == 3 * 3 + 5  # three system DaemonSets on three nodes, two CoreDNS, two EBS controllers, metrics
    assert changed == []
    assert available == 3


def test_leaking_container_restarts_follow_its_oom_schedule(tmp_path: Path) -> None:
    env = start_scenario(tmp_path, LaunchOptions(scenario="demo"), seed=3)
    try:
        pods = [p for p in env.get_json("pods", "-n", "shop")["items"]
                if p["metadata"]["name"].startswith("cart-service-")]
        assert len(pods) == 2
        for pod in pods:
            status = pod["status"]["containerStatuses"][0]
            delay = spec_for(pod, pod["spec"]["containers"][0], 3).oom_delay
            assert delay is not None and 8 * 3600 < delay < 10 * 3600
            started = pod["status"]["startTime"]
            age = env.now() - datetime.fromisoformat(started.replace("Z", "+00:00")).timestamp()
            assert status["restartCount"] == int(age // (delay + 10))
            if status["restartCount"]:
                assert status["lastState"]["terminated"]["reason"] == "OOMKilled"
                assert status["lastState"]["terminated"]["exitCode"] == 137
        table = env.ok("get", "pods", "-n", "shop", "-l", "app.kubernetes.io/name=cart-service")
        assert re.search(r"cart-service-\S+\s+1/1\s+Running\s+\d+ \(\S+ ago\)\s+\d+[dh]", table), table
    finally:
        env.stop()
