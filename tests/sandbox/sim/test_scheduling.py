"""The scheduler through kubectl: FailedScheduling texts for insufficient resources, untolerated taints,
selectors and cordons, preemption verdicts, PodScheduled=False, and a retry once room appears."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sandbox.sim.conftest import Sim, condition, start_simulated, table


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sim]:
    """Three 1-CPU workers and an 8-CPU node tainted for GPU work."""
    sim = start_simulated(Path(tmp_path_factory.mktemp("sched")), nodes=0)
    for index in range(3):
        sim.add_node(f"small-{index}", cpu="1", memory="2Gi")
    sim.add_node("gpu-0", cpu="8", memory="32Gi", labels={"accelerator": "nvidia"},
                 taints=[{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}])
    sim.wait("four Ready nodes", lambda: len([n for n in sim.store_list("nodes") if (condition(n, "Ready") or {})
                                              .get("status") == "True"]) == 4, 60)
    yield sim
    sim.env.thread.stop()


def _pod(name: str, cpu: str, **spec: object) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "app", "image": "nginx:1.25",
                                     "resources": {"requests": {"cpu": cpu}}}], **spec}}


def _failed_scheduling(sim: Sim, namespace: str, name: str) -> str:
    def message() -> str | None:
        for event in sim.store_list("events", namespace):
            if event["involvedObject"]["name"] == name and event["reason"] == "FailedScheduling":
                return str(event["message"])
        return None

    return sim.wait("a FailedScheduling event", message, 30)


def test_insufficient_cpu_and_untolerated_taint(small: Sim) -> None:
    ns = small.namespace("sched")
    small.apply(ns, _pod("big", "2"))
    message = _failed_scheduling(small, ns, "big")
    expected = ("0/4 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 3 Insufficient cpu. "
                "preemption: 0/4 nodes are available: 1 Preemption is not helpful for scheduling, 3 No preemption "
                "victims found for incoming pod.")
    assert message == expected
    text = small.ok("-n", ns, "describe", "pod", "big")
    assert re.search(r"Node:\s+<none>", text)
    assert re.search(r"PodScheduled\s+False", text)
    assert re.search(r"Warning\s+FailedScheduling\s+\S+\s+default-scheduler\s+" + re.escape(expected), text)
    rows = table(small.ok("-n", ns, "get", "pods", "-o", "wide"))
    assert rows[0]["STATUS"] == "Pending" and rows[0]["NODE"] == "<none>" and rows[0]["IP"] == "<none>"
    pod = small.get_json("-n", ns, "pod", "big")
    scheduled = condition(pod, "PodScheduled")
    assert scheduled is not None and scheduled["reason"] == "Unschedulable" and scheduled["message"] == expected


def test_node_selector_mismatch_and_toleration(small: Sim) -> None:
    ns = small.namespace("sched")
    small.apply(ns, _pod("picky", "100m", nodeSelector={"disktype": "ssd"}))
    assert _failed_scheduling(small, ns, "picky") == (
        "0/4 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 3 node(s) didn't match Pod's "
        "node affinity/selector. preemption: 0/4 nodes are available: 4 Preemption is not helpful for scheduling.")
    small.apply(ns, _pod("trainer", "4", nodeSelector={"accelerator": "nvidia"},
                         tolerations=[{"key": "dedicated", "operator": "Equal", "value": "gpu",
                                       "effect": "NoSchedule"}]))
    small.wait("trainer on gpu-0", lambda: ((small.store_get("pods", ns, "trainer") or {}).get("spec") or {})
               .get("nodeName") == "gpu-0", 30)
    events = small.get_json("-n", ns, "events", "--field-selector", "involvedObject.name=trainer,reason=Scheduled")
    assert events["items"][0]["message"] == f"Successfully assigned {ns}/trainer to gpu-0"
    assert events["items"][0]["reportingComponent"] == "default-scheduler"


def test_cordoned_nodes_and_retry_when_room_appears(small: Sim) -> None:
    ns = small.namespace("sched")
    for index in range(3):
        small.ok("cordon", f"small-{index}")
    try:
        small.apply(ns, _pod("waiting", "500m"))
        assert _failed_scheduling(small, ns, "waiting") == (
            "0/4 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 3 node(s) were unschedulable. "
            "preemption: 0/4 nodes are available: 4 Preemption is not helpful for scheduling.")
        small.ok("uncordon", "small-1")
        node = small.wait("the pod to be bound", lambda: ((small.store_get("pods", ns, "waiting") or {})
                                                          .get("spec") or {}).get("nodeName"), 30)
        assert node == "small-1"
        small.wait("Running", lambda: (small.store_get("pods", ns, "waiting") or {}).get("status", {}).get("phase")
                   == "Running", 30)
    finally:
        for index in range(3):
            small.ok("uncordon", f"small-{index}")


def test_too_many_pods_and_preemption_never(small: Sim) -> None:
    ns = small.namespace("sched")
    small.apply(ns, _pod("polite", "3", preemptionPolicy="Never"))
    assert _failed_scheduling(small, ns, "polite") == (
        "0/4 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 3 Insufficient cpu. "
        "preemption: not eligible due to preemptionPolicy=Never.")


def test_higher_priority_pod_preempts(tmp_path: Path) -> None:
    sim = start_simulated(tmp_path / "preempt", nodes=0)
    try:
        sim.add_node("only", cpu="1", memory="2Gi")
        ns = sim.namespace("preempt")
        sim.apply(ns, _pod("filler", "700m"))
        sim.wait("filler Running", lambda: (sim.store_get("pods", ns, "filler") or {}).get("status", {})
                 .get("phase") == "Running", 30)
        sim.apply(ns, _pod("urgent", "600m", priority=1000))
        node = sim.wait("urgent to be bound", lambda: ((sim.store_get("pods", ns, "urgent") or {}).get("spec") or {})
                        .get("nodeName"), 60)
        assert node == "only"
        assert sim.store_get("pods", ns, "filler") is None
        preempted = [e for e in sim.store_list("events", ns) if e["reason"] == "Preempted"]
        uid = sim.store_get("pods", ns, "urgent")["metadata"]["uid"]  # type: ignore[index]
        assert [e["message"] for e in preempted] == [f"Preempted by pod {uid} on node only"]
        assert [e["involvedObject"]["name"] for e in preempted] == ["filler"]
    finally:
        sim.env.thread.stop()
