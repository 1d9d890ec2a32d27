"""`kubectl cordon`, `uncordon` and `drain` against nodes and bound pods the tests create: eviction through
pods/eviction, the --force/--ignore-daemonsets rules, and a drain held by a PodDisruptionBudget until the
budget is relaxed."""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

import pytest

from tests.support import kubectl, kubelet
from tests.support.sandbox import SandboxEnv, unique_name

pytestmark = pytest.mark.kubectl
BLOCKED = "Cannot evict pod as it would violate the pod's disruption budget."


def run(sandbox: SandboxEnv, binary: kubectl.Kubectl, *args: str,
        timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return binary.run(sandbox.kubeconfig, sandbox.cache_dir, *args, timeout=timeout)


def oldest_and_newest() -> list[object]:
    """The drain that waits out its timeout runs on the kubectl on PATH and the oldest one only."""
    return [param for param in kubectl.params() if getattr(param, "id", "") in ("kubectl", "kubectl.1.27")]


def workload(sandbox: SandboxEnv, namespace: str, kind: str, name: str, labels: dict[str, str]) -> Any:
    plural = {"ReplicaSet": "replicasets", "DaemonSet": "daemonsets"}[kind]
    spec: dict[str, Any] = {"selector": {"matchLabels": labels},
                            "template": {"metadata": {"labels": labels},
                                         "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}}}
    if kind == "ReplicaSet":
        spec["replicas"] = 2
    return kubelet.create(sandbox, "apps/v1", plural, namespace, {"metadata": {"name": name}, "spec": spec})


@pytest.mark.parametrize("binary", kubectl.params())
def test_cordon_and_uncordon(sandbox: SandboxEnv, binary: kubectl.Kubectl) -> None:
    node = unique_name("cordon-node")
    kubelet.add_node(sandbox, node)
    cordoned = run(sandbox, binary, "cordon", node)
    assert cordoned.returncode == 0, cordoned.stderr
    assert cordoned.stdout.strip() == f"node/{node} cordoned"
    got = json.loads(run(sandbox, binary, "get", "node", node, "-o", "json").stdout)
    assert got["spec"]["unschedulable"] is True
    again = run(sandbox, binary, "cordon", node)
    assert again.stdout.strip() == f"node/{node} already cordoned"
    uncordoned = run(sandbox, binary, "uncordon", node)
    assert uncordoned.stdout.strip() == f"node/{node} uncordoned"
    got = json.loads(run(sandbox, binary, "get", "node", node, "-o", "json").stdout)
    assert "unschedulable" not in got["spec"]


@pytest.mark.parametrize("binary", kubectl.params())
def test_drain_needs_force_and_ignore_daemonsets(sandbox: SandboxEnv, namespace: str,
                                                 binary: kubectl.Kubectl) -> None:
    node = unique_name("drain-node")
    kubelet.add_node(sandbox, node)
    replicas = workload(sandbox, namespace, "ReplicaSet", "web", {"app": "web"})
    daemons = workload(sandbox, namespace, "DaemonSet", "agent", {"app": "agent"})
    kubelet.run_pod(sandbox, namespace, "web-a", node=node, labels={"app": "web"}, owner=replicas)
    kubelet.run_pod(sandbox, namespace, "agent-a", node=node, labels={"app": "agent"}, owner=daemons)
    kubelet.run_pod(sandbox, namespace, "loner", node=node)

    refused = run(sandbox, binary, "drain", node, "--timeout=20s")
    assert refused.returncode == 1
    # kubectl 1.27 words it "Pods declare no controller"; later versions add "that".
    assert re.search(rf"cannot delete Pods (that )?declare no controller \(use --force to override\): "
                     rf"{namespace}/loner", refused.stderr), refused.stderr
    assert (f"cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): {namespace}/agent-a"
            in refused.stderr), refused.stderr

    drained = run(sandbox, binary, "drain", node, "--ignore-daemonsets", "--force", "--timeout=20s")
    assert drained.returncode == 0, drained.stderr
    out = drained.stdout.splitlines()
    assert f"node/{node} cordoned" in out or f"node/{node} already cordoned" in out
    assert f"evicting pod {namespace}/web-a" in out
    assert f"evicting pod {namespace}/loner" in out
    assert "pod/web-a evicted" in out and "pod/loner evicted" in out
    assert out[-1] == f"node/{node} drained"
    assert f"ignoring DaemonSet-managed Pods: {namespace}/agent-a" in drained.stderr
    assert re.search(rf"deleting Pods (that )?declare no controller: {namespace}/loner", drained.stderr)
    left = run(sandbox, binary, "get", "pods", "-n", namespace, "-o", "jsonpath={.items[*].metadata.name}")
    assert left.stdout.split() == ["agent-a"]


@pytest.mark.slow
@pytest.mark.parametrize("binary", oldest_and_newest())
def test_drain_waits_for_the_disruption_budget(sandbox: SandboxEnv, namespace: str,
                                               binary: kubectl.Kubectl) -> None:
    node = unique_name("pdb-node")
    kubelet.add_node(sandbox, node)
    owner = workload(sandbox, namespace, "ReplicaSet", "db", {"app": "db"})
    kubelet.run_pod(sandbox, namespace, "db-1", node=node, labels={"app": "db"}, owner=owner)
    kubelet.run_pod(sandbox, namespace, "db-2", node=unique_name("elsewhere"), labels={"app": "db"}, owner=owner)
    kubelet.create(sandbox, "policy/v1", "poddisruptionbudgets", namespace, {
        "metadata": {"name": "db-pdb"}, "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "db"}}}})

    held = run(sandbox, binary, "drain", node, "--timeout=10s")
    assert held.returncode == 1
    assert (f'error when evicting pods/"db-1" -n "{namespace}" (will retry after 5s): {BLOCKED}'
            in held.stderr), held.stderr
    assert "global timeout reached: 10s" in held.stderr
    still = run(sandbox, binary, "get", "pod", "db-1", "-n", namespace, "-o", "jsonpath={.metadata.name}")
    assert still.stdout == "db-1"

    relaxed = run(sandbox, binary, "patch", "pdb", "db-pdb", "-n", namespace, "--type=merge",
                  "-p", '{"spec":{"minAvailable":1}}')
    assert relaxed.returncode == 0, relaxed.stderr
    drained = run(sandbox, binary, "drain", node, "--timeout=20s")
    assert drained.returncode == 0, drained.stderr
    assert "pod/db-1 evicted" in drained.stdout.splitlines()
    assert drained.stdout.splitlines()[-1] == f"node/{node} drained"
