"""Garbage collection through ownerReferences as `kubectl delete --cascade=background|foreground|orphan`
drives it: dependents deleted after, before, or never (then unlinked), and dependents with another live
owner kept."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from tests.support import kubectl, kubelet
from tests.support.sandbox import SandboxEnv

pytestmark = pytest.mark.kubectl


def run(sandbox: SandboxEnv, binary: kubectl.Kubectl, *args: str) -> subprocess.CompletedProcess[str]:
    return binary.run(sandbox.kubeconfig, sandbox.cache_dir, *args)


def ref(owner: Any, block: bool = True) -> dict[str, Any]:
    return {"apiVersion": owner["apiVersion"], "kind": owner["kind"], "name": owner["metadata"]["name"],
            "uid": owner["metadata"]["uid"], "blockOwnerDeletion": block}


def family(sandbox: SandboxEnv, namespace: str) -> Any:
    """A ConfigMap owning a Secret and a ConfigMap; the Secret also owns a ConfigMap (a grandchild)."""
    parent = kubelet.create(sandbox, "v1", "configmaps", namespace, {"metadata": {"name": "parent"}})
    child = kubelet.create(sandbox, "v1", "secrets", namespace,
                           {"metadata": {"name": "child", "ownerReferences": [ref(parent)]}})
    kubelet.create(sandbox, "v1", "configmaps", namespace,
                   {"metadata": {"name": "sibling", "ownerReferences": [ref(parent)]}})
    kubelet.create(sandbox, "v1", "configmaps", namespace,
                   {"metadata": {"name": "grandchild", "ownerReferences": [ref(child)]}})
    return parent


def names(sandbox: SandboxEnv, binary: kubectl.Kubectl, namespace: str) -> list[str]:
    result = run(sandbox, binary, "-n", namespace, "get", "configmaps,secrets", "-o", "name")
    return sorted(line for line in result.stdout.split() if "kube-root-ca.crt" not in line)


@pytest.mark.parametrize("binary", kubectl.params())
def test_background_cascade(sandbox: SandboxEnv, namespace: str, binary: kubectl.Kubectl) -> None:
    family(sandbox, namespace)
    deleted = run(sandbox, binary, "-n", namespace, "delete", "configmap", "parent", "--cascade=background")
    assert deleted.stdout.strip() == 'configmap "parent" deleted'
    sandbox.settle()
    assert names(sandbox, binary, namespace) == []


@pytest.mark.parametrize("binary", kubectl.params())
def test_foreground_cascade_waits_for_dependents(sandbox: SandboxEnv, namespace: str,
                                                 binary: kubectl.Kubectl) -> None:
    family(sandbox, namespace)
    deleted = run(sandbox, binary, "-n", namespace, "delete", "configmap", "parent", "--cascade=foreground")
    assert deleted.returncode == 0, deleted.stderr
    assert deleted.stdout.strip() == 'configmap "parent" deleted'
    assert names(sandbox, binary, namespace) == []


def test_foreground_owner_stays_while_a_dependent_is_held(sandbox: SandboxEnv, namespace: str) -> None:
    binary = kubectl.discover()[0]
    parent = kubelet.create(sandbox, "v1", "configmaps", namespace, {"metadata": {"name": "parent"}})
    kubelet.create(sandbox, "v1", "configmaps", namespace, {"metadata": {
        "name": "held", "finalizers": ["example.com/hold"], "ownerReferences": [ref(parent)]}})
    started = run(sandbox, binary, "-n", namespace, "delete", "configmap", "parent", "--cascade=foreground",
                  "--wait=false")
    assert started.returncode == 0, started.stderr
    sandbox.settle()
    owner = json.loads(run(sandbox, binary, "-n", namespace, "get", "configmap", "parent", "-o", "json").stdout)
    assert owner["metadata"]["finalizers"] == ["foregroundDeletion"]
    assert owner["metadata"]["deletionTimestamp"]
    dependent = json.loads(run(sandbox, binary, "-n", namespace, "get", "configmap", "held", "-o", "json").stdout)
    assert dependent["metadata"]["deletionTimestamp"]
    run(sandbox, binary, "-n", namespace, "patch", "configmap", "held", "--type=json",
        "-p", '[{"op":"remove","path":"/metadata/finalizers"}]')
    sandbox.settle()
    assert names(sandbox, binary, namespace) == []


@pytest.mark.parametrize("binary", kubectl.params())
def test_orphan_cascade_unlinks_dependents(sandbox: SandboxEnv, namespace: str, binary: kubectl.Kubectl) -> None:
    family(sandbox, namespace)
    deleted = run(sandbox, binary, "-n", namespace, "delete", "configmap", "parent", "--cascade=orphan")
    assert deleted.returncode == 0, deleted.stderr
    sandbox.settle()
    assert names(sandbox, binary, namespace) == ["configmap/grandchild", "configmap/sibling", "secret/child"]
    sibling = json.loads(run(sandbox, binary, "-n", namespace, "get", "configmap", "sibling", "-o", "json").stdout)
    assert "ownerReferences" not in sibling["metadata"]
    grandchild = json.loads(run(sandbox, binary, "-n", namespace, "get", "configmap", "grandchild", "-o",
                                "json").stdout)
    assert [owner["name"] for owner in grandchild["metadata"]["ownerReferences"]] == ["child"]


def test_dependent_with_another_live_owner_survives(sandbox: SandboxEnv, namespace: str) -> None:
    binary = kubectl.discover()[0]
    first = kubelet.create(sandbox, "v1", "configmaps", namespace, {"metadata": {"name": "first"}})
    second = kubelet.create(sandbox, "v1", "configmaps", namespace, {"metadata": {"name": "second"}})
    kubelet.create(sandbox, "v1", "configmaps", namespace,
                   {"metadata": {"name": "shared", "ownerReferences": [ref(first), ref(second)]}})
    run(sandbox, binary, "-n", namespace, "delete", "configmap", "first")
    sandbox.settle()
    shared = json.loads(run(sandbox, binary, "-n", namespace, "get", "configmap", "shared", "-o", "json").stdout)
    assert [owner["name"] for owner in shared["metadata"]["ownerReferences"]] == ["second"]
    run(sandbox, binary, "-n", namespace, "delete", "configmap", "second")
    sandbox.settle()
    assert names(sandbox, binary, namespace) == []


def test_pods_of_a_replicaset_go_with_it(sandbox: SandboxEnv, namespace: str) -> None:
    binary = kubectl.discover()[0]
    labels = {"app": "gc"}
    owner = kubelet.create(sandbox, "apps/v1", "replicasets", namespace, {
        "metadata": {"name": "gc-rs"},
        "spec": {"replicas": 2, "selector": {"matchLabels": labels},
                 "template": {"metadata": {"labels": labels},
                              "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}}}})
    for index in (1, 2):
        kubelet.run_pod(sandbox, namespace, f"gc-{index}", labels=labels, owner=owner)
    deleted = run(sandbox, binary, "-n", namespace, "delete", "replicaset", "gc-rs")
    assert deleted.stdout.strip() == 'replicaset.apps "gc-rs" deleted'
    sandbox.settle()
    left = run(sandbox, binary, "-n", namespace, "get", "pods", "-o", "name")
    assert left.stdout.split() == []
