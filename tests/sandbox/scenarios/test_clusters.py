"""Several clusters in one process: distinct names, content and sizes, every context answering kubectl."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from kubegenie.sandbox.scenarios.launch import LaunchOptions, plan
from tests.support.scenario import start_scenario


def test_plan_names_sizes_and_seeds() -> None:
    plans = plan(LaunchOptions(nodes=10, pods=200, clusters=4), seed=9)
    assert [p.name for p in plans] == ["prod", "staging", "dev-1", "dev-2"]
    assert [p.seed for p in plans] == [9, 10, 11, 12]
    assert len({p.scenario.node_count for p in plans}) > 1 or len({len(p.scenario.manifests) for p in plans}) > 1
    demo_fleet = plan(LaunchOptions(scenario="demo", clusters=3))
    assert demo_fleet[0].scenario.name == "demo"
    assert demo_fleet[1].scenario.node_count < demo_fleet[0].scenario.node_count


def test_k_clusters_are_k_contexts_that_all_answer(tmp_path: Path) -> None:
    env = start_scenario(tmp_path, LaunchOptions(nodes=4, pods=60, clusters=3), seed=2)
    try:
        document = yaml.safe_load(env.kubeconfig.read_text())
        contexts = sorted(context["name"] for context in document["contexts"])
        assert contexts == ["dev-1", "prod", "staging"]
        servers = {cluster["cluster"]["server"] for cluster in document["clusters"]}
        assert len(servers) == 3
        counts, uids = {}, set()
        for context in contexts:
            nodes = env.ok("--context", context, "get", "nodes", "--no-headers")
            assert nodes.count(" Ready ") == len(nodes.strip().splitlines()) >= 3
            pods = env.ok("--context", context, "get", "pods", "-A", "--no-headers")
            counts[context] = len(pods.strip().splitlines())
            assert re.search(r"^kube-system\s+coredns-\S+\s+1/1\s+Running", pods, re.MULTILINE)
            uids.add(env.get_json("namespace", "kube-system", "--context", context)["metadata"]["uid"])
        assert len(uids) == 3
        assert all(40 <= count <= 90 for count in counts.values()), counts
    finally:
        env.stop()
