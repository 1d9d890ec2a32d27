"""Node health through kubectl: conditions declared with `sim.kubegenie.io/condition`, the taints the node
lifecycle controller adds, kubelet heartbeats as Leases, NodeNotReady on the node's pods, and taint-based
eviction of those pods after the default 300 s toleration (their controller replaces them elsewhere)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubegenie.sandbox.sim.kube import seconds
from tests.sandbox.sim.conftest import Sim, condition, deployment, start_simulated, table

SPEED = 50.0


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Sim]:
    sim = start_simulated(tmp_path / "nodes", nodes=2, speed=SPEED, hours_back=6)
    yield sim
    sim.env.thread.stop()


def _on_node(sim: Sim, ns: str, node: str) -> list[str]:
    return [p["metadata"]["name"] for p in sim.pods(ns) if p["spec"].get("nodeName") == node
            and not p["metadata"].get("deletionTimestamp")]


def test_pods_are_evicted_from_a_not_ready_node(cluster: Sim) -> None:
    ns = cluster.namespace("evict")
    cluster.apply(ns, deployment("web", replicas=4))
    cluster.ok("-n", ns, "rollout", "status", "deployment/web", "--timeout=60s")
    victims = _on_node(cluster, ns, "worker-0")
    assert victims, "the scheduler spreads replicas over both nodes"
    cluster.ok("annotate", "node", "worker-0", "sim.kubegenie.io/condition=Ready=False")
    cluster.wait("NotReady", lambda: (condition(cluster.store_get("nodes", "", "worker-0") or {}, "Ready") or {})
                 .get("status") == "False", 30)
    rows = {row["NAME"]: row for row in table(cluster.ok("get", "nodes"))}
    assert rows["worker-0"]["STATUS"] == "NotReady" and rows["worker-1"]["STATUS"] == "Ready"
    described = cluster.ok("describe", "node", "worker-0")
    assert re.search(r"Ready\s+False\s+.*KubeletNotReady\s+container runtime network not ready", described)
    taints = cluster.wait("NoExecute taint", lambda: [t for t in (cluster.store_get("nodes", "", "worker-0") or {})
                                                      .get("spec", {}).get("taints") or []
                                                      if t["effect"] == "NoExecute"], 30)
    assert taints[0]["key"] == "node.kubernetes.io/not-ready" and "timeAdded" in taints[0]
    assert re.search(r"Taints:\s+node.kubernetes.io/not-ready:NoExecute\n\s+node.kubernetes.io/not-ready:NoSchedule",
                     cluster.ok("describe", "node", "worker-0"))
    cluster.wait("evictions", lambda: not _on_node(cluster, ns, "worker-0"), 400)
    evictions = [e for e in cluster.store_list("events", ns) if e["reason"] == "TaintManagerEviction"]
    tainted = seconds(taints[0]["timeAdded"]) or 0.0
    assert all((seconds(e["firstTimestamp"]) or 0.0) - tainted >= 300 for e in evictions)
    assert sorted(e["message"] for e in evictions) == sorted(f"Marking for deletion Pod {ns}/{name}"
                                                             for name in victims)
    assert {e["source"]["component"] for e in evictions} == {"taint-eviction-controller"}
    not_ready = [e for e in cluster.store_list("events", ns) if e["reason"] == "NodeNotReady"]
    assert {e["involvedObject"]["name"] for e in not_ready} == set(victims)
    assert {e["message"] for e in not_ready} == {"Node is not ready"}
    cluster.ok("-n", ns, "rollout", "status", "deployment/web", "--timeout=60s")
    assert len(_on_node(cluster, ns, "worker-1")) == 4


def test_a_silent_kubelet_turns_the_node_unknown(cluster: Sim) -> None:
    cluster.ok("annotate", "node", "worker-1", "sim.kubegenie.io/condition=Ready=Unknown")
    ready = cluster.wait("Ready=Unknown", lambda: (lambda c: c if c and c.get("status") == "Unknown" else None)(
        condition(cluster.store_get("nodes", "", "worker-1") or {}, "Ready")), 600)
    assert ready["reason"] == "NodeStatusUnknown" and ready["message"] == "Kubelet stopped posting node status."
    described = cluster.ok("describe", "node", "worker-1")
    assert re.search(r"Ready\s+Unknown\s+.*NodeStatusUnknown\s+Kubelet stopped posting node status.", described)
    cluster.wait("unreachable taint", lambda: "node.kubernetes.io/unreachable" in {
        t["key"] for t in (cluster.store_get("nodes", "", "worker-1") or {}).get("spec", {}).get("taints") or []}, 60)
    lease = cluster.get_json("-n", "kube-node-lease", "lease", "worker-0")
    assert lease["spec"]["holderIdentity"] == "worker-0" and lease["spec"]["leaseDurationSeconds"] == 40


@pytest.mark.parametrize(("declared", "condition_type", "reason", "taint"), [
    ("MemoryPressure=True", "MemoryPressure", "KubeletHasInsufficientMemory", "node.kubernetes.io/memory-pressure"),
    ("DiskPressure=True", "DiskPressure", "KubeletHasDiskPressure", "node.kubernetes.io/disk-pressure"),
])
def test_pressure_conditions_taint_the_node(cluster: Sim, declared: str, condition_type: str, reason: str,
                                            taint: str) -> None:
    cluster.ok("annotate", "node", "worker-0", f"sim.kubegenie.io/condition={declared}")
    cluster.wait(condition_type, lambda: (condition(cluster.store_get("nodes", "", "worker-0") or {}, condition_type)
                                          or {}).get("status") == "True", 30)
    found = condition(cluster.get_json("node", "worker-0"), condition_type)
    assert found is not None and found["reason"] == reason
    cluster.wait("the taint", lambda: (taint, "NoSchedule") in {(t["key"], t["effect"]) for t in (
        cluster.store_get("nodes", "", "worker-0") or {}).get("spec", {}).get("taints") or []}, 30)
    events = [e["message"] for e in cluster.store_list("events", "default") if e["involvedObject"]["name"]
              == "worker-0"]
    assert f"Node worker-0 status is now: NodeHas{reason.removeprefix('KubeletHas')}" in events


def test_pods_of_a_deleted_node_are_collected(cluster: Sim) -> None:
    ns = cluster.namespace("gone")
    cluster.apply(ns, deployment("web", replicas=4))
    cluster.ok("-n", ns, "rollout", "status", "deployment/web", "--timeout=60s")
    stranded = _on_node(cluster, ns, "worker-1")
    assert stranded
    assert cluster.ok("delete", "node", "worker-1").strip() == 'node "worker-1" deleted'
    cluster.wait("pod garbage collection", lambda: not any(cluster.store_get("pods", ns, name) for name in stranded),
                 120)
    cluster.ok("-n", ns, "rollout", "status", "deployment/web", "--timeout=60s")
    assert len(_on_node(cluster, ns, "worker-0")) == 4
