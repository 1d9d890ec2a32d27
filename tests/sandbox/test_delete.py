"""Deletion as kubectl sees it: `kubectl delete` returns once the object is gone, finalizers hold an object
with a deletionTimestamp until they are removed, selectors and --all, forced deletion, dry runs and
preconditions."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from tests.support import kubectl, kubelet, rawapi
from tests.support.sandbox import SandboxEnv

pytestmark = pytest.mark.kubectl
HOLD = "example.com/hold"


def run(sandbox: SandboxEnv, binary: kubectl.Kubectl, *args: str) -> subprocess.CompletedProcess[str]:
    return binary.run(sandbox.kubeconfig, sandbox.cache_dir, *args)


def held_configmap(sandbox: SandboxEnv, namespace: str, name: str) -> Any:
    return kubelet.create(sandbox, "v1", "configmaps", namespace,
                          {"metadata": {"name": name, "finalizers": [HOLD]}, "data": {"k": "v"}})


@pytest.mark.parametrize("binary", kubectl.params())
def test_delete_returns_when_gone(sandbox: SandboxEnv, namespace: str, binary: kubectl.Kubectl) -> None:
    kubelet.create(sandbox, "v1", "configmaps", namespace, {"metadata": {"name": "plain"}})
    kubelet.run_pod(sandbox, namespace, "worker")
    deleted = run(sandbox, binary, "-n", namespace, "delete", "configmap/plain", "pod/worker")
    assert deleted.returncode == 0, deleted.stderr
    assert deleted.stdout.splitlines() == ['configmap "plain" deleted', 'pod "worker" deleted']
    gone = run(sandbox, binary, "-n", namespace, "get", "configmap", "plain")
    assert 'Error from server (NotFound): configmaps "plain" not found' in gone.stderr
    again = run(sandbox, binary, "-n", namespace, "delete", "configmap", "plain")
    assert again.returncode == 1
    assert 'Error from server (NotFound): configmaps "plain" not found' in again.stderr
    quiet = run(sandbox, binary, "-n", namespace, "delete", "configmap", "plain", "--ignore-not-found")
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")


@pytest.mark.parametrize("binary", kubectl.params())
def test_finalizers_hold_the_object_until_removed(sandbox: SandboxEnv, namespace: str,
                                                  binary: kubectl.Kubectl) -> None:
    held_configmap(sandbox, namespace, "held")
    started = run(sandbox, binary, "-n", namespace, "delete", "configmap", "held", "--wait=false")
    assert started.stdout.strip() == 'configmap "held" deleted'
    got = json.loads(run(sandbox, binary, "-n", namespace, "get", "configmap", "held", "-o", "json").stdout)
    assert got["metadata"]["finalizers"] == [HOLD]
    assert got["metadata"]["deletionTimestamp"]
    assert got["metadata"]["deletionGracePeriodSeconds"] == 0

    waiting = binary.popen(sandbox.kubeconfig, sandbox.cache_dir, "-n", namespace, "delete", "configmap", "held")
    try:
        assert waiting.wait_for(lambda lines: lines == ['configmap "held" deleted']), waiting.lines
        assert waiting.process.poll() is None  # still waiting for the finalizer
        released = run(sandbox, binary, "-n", namespace, "patch", "configmap", "held", "--type=merge",
                       "-p", '{"metadata":{"finalizers":null}}')
        assert released.returncode == 0, released.stderr
        code, errors = waiting.wait(timeout=20)
    finally:
        waiting.stop()
    assert code == 0, errors
    assert run(sandbox, binary, "-n", namespace, "get", "configmap", "held").returncode == 1


async def test_no_new_finalizers_while_deleting(sandbox: SandboxEnv, namespace: str) -> None:
    held_configmap(sandbox, namespace, "locked")
    path = f"/api/v1/namespaces/{namespace}/configmaps/locked"
    assert (await rawapi.call(sandbox, "DELETE", path)).status == 200
    added = await rawapi.call(sandbox, "PATCH", path, {"metadata": {"finalizers": [HOLD, "example.com/more"]}},
                              content_type="application/merge-patch+json")
    assert added.status == 422
    assert added.json()["message"] == ('ConfigMap "locked" is invalid: metadata.finalizers: Forbidden: no new '
                                       'finalizers can be added if the object is being deleted, found new '
                                       'finalizers []string{"example.com/more"}')
    removed = await rawapi.call(sandbox, "PATCH", path, {"metadata": {"finalizers": []}},
                                content_type="application/merge-patch+json")
    assert removed.status == 200
    assert (await rawapi.call(sandbox, "GET", path)).status == 404


def test_delete_by_selector_and_all(sandbox: SandboxEnv, namespace: str) -> None:
    binary = kubectl.discover()[0]
    for name, tier in (("a", "web"), ("b", "web"), ("c", "db")):
        kubelet.create(sandbox, "v1", "configmaps", namespace, {"metadata": {"name": name, "labels": {"tier": tier}}})
    by_label = run(sandbox, binary, "-n", namespace, "delete", "configmaps", "-l", "tier=web")
    assert sorted(by_label.stdout.splitlines()) == ['configmap "a" deleted', 'configmap "b" deleted']
    everything = run(sandbox, binary, "-n", namespace, "delete", "configmaps", "--all")
    assert sorted(everything.stdout.splitlines()) == ['configmap "c" deleted', 'configmap "kube-root-ca.crt" deleted']


def test_forced_deletion(sandbox: SandboxEnv, namespace: str) -> None:
    binary = kubectl.discover()[0]
    kubelet.run_pod(sandbox, namespace, "stuck")
    forced = run(sandbox, binary, "-n", namespace, "delete", "pod", "stuck", "--force", "--grace-period=0")
    assert forced.returncode == 0, forced.stderr
    assert forced.stdout.strip() == 'pod "stuck" force deleted'
    assert "Immediate deletion does not wait for confirmation that the running resource has been terminated" \
        in forced.stderr


def test_server_dry_run_keeps_the_object(sandbox: SandboxEnv, namespace: str) -> None:
    binary = kubectl.discover()[0]
    kubelet.create(sandbox, "v1", "configmaps", namespace, {"metadata": {"name": "kept"}})
    dry = run(sandbox, binary, "-n", namespace, "delete", "configmap", "kept", "--dry-run=server")
    assert dry.stdout.strip() == 'configmap "kept" deleted (server dry run)'
    assert run(sandbox, binary, "-n", namespace, "get", "configmap", "kept", "-o", "name").stdout.strip() == \
        "configmap/kept"


async def test_delete_preconditions(sandbox: SandboxEnv, namespace: str) -> None:
    made = kubelet.create(sandbox, "v1", "configmaps", namespace, {"metadata": {"name": "guarded"}})
    path = f"/api/v1/namespaces/{namespace}/configmaps/guarded"
    stale = await rawapi.call(sandbox, "DELETE", path, {"kind": "DeleteOptions", "apiVersion": "v1",
                                                        "preconditions": {"resourceVersion": "1"}})
    assert stale.status == 409
    assert stale.json()["message"] == (
        f'Operation cannot be fulfilled on configmaps "guarded": Precondition failed: ResourceVersion in '
        f"precondition: 1, ResourceVersion in object meta: {made['metadata']['resourceVersion']}")
    fine = await rawapi.call(sandbox, "DELETE", path, {"preconditions": {"uid": made["metadata"]["uid"]}})
    assert fine.status == 200
    assert fine.json()["status"] == "Success"
    assert fine.json()["details"] == {"name": "guarded", "kind": "configmaps", "uid": made["metadata"]["uid"]}
