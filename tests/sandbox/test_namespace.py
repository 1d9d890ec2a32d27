"""Namespace deletion: `kubectl delete namespace` returns once it is gone; meanwhile the namespace is
Terminating with the namespace controller's conditions, refuses new content, and its contents go first."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.support import kubectl, kubelet, rawapi
from tests.support.sandbox import SandboxEnv, unique_name

pytestmark = pytest.mark.kubectl


def run(sandbox: SandboxEnv, binary: kubectl.Kubectl, *args: str) -> subprocess.CompletedProcess[str]:
    return binary.run(sandbox.kubeconfig, sandbox.cache_dir, *args)


def fill(sandbox: SandboxEnv, namespace: str) -> None:
    kubelet.create(sandbox, "v1", "configmaps", namespace, {"metadata": {"name": "settings"}})
    kubelet.create(sandbox, "v1", "secrets", namespace, {"metadata": {"name": "token"}})
    kubelet.run_pod(sandbox, namespace, "worker")


@pytest.mark.parametrize("binary", kubectl.params())
def test_delete_namespace_waits_until_gone(sandbox: SandboxEnv, binary: kubectl.Kubectl) -> None:
    name = unique_name("doomed")
    created = run(sandbox, binary, "create", "namespace", name)
    assert created.stdout.strip() == f"namespace/{name} created"
    fill(sandbox, name)
    deleted = run(sandbox, binary, "delete", "namespace", name)
    assert deleted.returncode == 0, deleted.stderr
    assert deleted.stdout.strip() == f'namespace "{name}" deleted'
    gone = run(sandbox, binary, "get", "namespace", name)
    assert f'Error from server (NotFound): namespaces "{name}" not found' in gone.stderr
    leftovers = run(sandbox, binary, "get", "pods,configmaps,secrets", "-n", name, "-o", "name")
    assert leftovers.stdout == ""


def test_terminating_namespace_reports_what_remains(sandbox: SandboxEnv) -> None:
    binary = kubectl.discover()[0]
    name = unique_name("terminating")
    run(sandbox, binary, "create", "namespace", name)
    fill(sandbox, name)
    kubelet.create(sandbox, "v1", "configmaps", name, {"metadata": {"name": "held",
                                                                   "finalizers": ["example.com/hold"]}})
    started = run(sandbox, binary, "delete", "namespace", name, "--wait=false")
    assert started.returncode == 0, started.stderr
    sandbox.settle()
    namespace = json.loads(run(sandbox, binary, "get", "namespace", name, "-o", "json").stdout)
    assert namespace["status"]["phase"] == "Terminating"
    assert namespace["metadata"]["deletionTimestamp"]
    conditions = {c["type"]: c for c in namespace["status"]["conditions"]}
    assert [(c["status"], c["reason"]) for c in conditions.values()] == [
        ("False", "ResourcesDiscovered"), ("False", "ParsedGroupVersions"), ("False", "ContentDeleted"),
        ("True", "SomeResourcesRemain"), ("True", "SomeFinalizersRemain")]
    assert conditions["NamespaceContentRemaining"]["message"] == ("Some resources are remaining: configmaps. has 1 "
                                                                  "resource instances")
    assert conditions["NamespaceFinalizersRemaining"]["message"] == (
        "Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances")
    left = run(sandbox, binary, "get", "configmaps,secrets,pods", "-n", name, "-o", "name")
    assert left.stdout.split() == ["configmap/held"]

    refused = run(sandbox, binary, "create", "configmap", "late", "-n", name)
    assert refused.returncode == 1
    assert refused.stderr.strip() == (f'error: failed to create configmap: configmaps "late" is forbidden: unable to '
                                      f"create new content in namespace {name} because it is being terminated")

    waiting = binary.popen(sandbox.kubeconfig, sandbox.cache_dir, "delete", "namespace", name)
    try:
        assert waiting.wait_for(lambda lines: lines == [f'namespace "{name}" deleted'])
        run(sandbox, binary, "patch", "configmap", "held", "-n", name, "--type=merge",
            "-p", '{"metadata":{"finalizers":[]}}')
        code, errors = waiting.wait(timeout=20)
    finally:
        waiting.stop()
    assert code == 0, errors
    assert run(sandbox, binary, "get", "namespace", name).returncode == 1


async def test_namespace_api_shapes(sandbox: SandboxEnv) -> None:
    name = unique_name("shapes")
    created = await rawapi.call(sandbox, "POST", "/api/v1/namespaces", {"metadata": {"name": name}})
    body = created.json()
    assert created.status == 201
    assert body["spec"] == {"finalizers": ["kubernetes"]}
    assert body["status"] == {"phase": "Active"}
    assert body["metadata"]["labels"] == {"kubernetes.io/metadata.name": name}
    deleting = await rawapi.call(sandbox, "DELETE", f"/api/v1/namespaces/{name}")
    # The apiserver answers a namespace delete with the (now Terminating) namespace.
    assert deleting.status == 200
    assert deleting.json()["status"]["phase"] == "Terminating"
    sandbox.settle()
    assert (await rawapi.call(sandbox, "GET", f"/api/v1/namespaces/{name}")).status == 404
    missing = await rawapi.call(sandbox, "POST", f"/api/v1/namespaces/{name}/configmaps",
                                {"metadata": {"name": "orphan"}})
    assert (missing.status, missing.json()["message"]) == (404, f'namespaces "{name}" not found')
