"""Every kubectl binary talks to the sandbox: version, discovery and a create/get round trip."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.support import kubectl
from tests.support.sandbox import SandboxEnv

pytestmark = pytest.mark.kubectl


def run(sandbox: SandboxEnv, binary: kubectl.Kubectl, *args: str) -> subprocess.CompletedProcess[str]:
    return binary.run(sandbox.kubeconfig, sandbox.cache_dir, *args)


@pytest.mark.parametrize("binary", kubectl.params())
def test_version_reports_the_server(sandbox: SandboxEnv, binary: kubectl.Kubectl) -> None:
    result = run(sandbox, binary, "version", "-o", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["serverVersion"]["gitVersion"] == "v1.31.4"


@pytest.mark.parametrize("binary", kubectl.params())
def test_get_namespaces_lists_system_namespaces(sandbox: SandboxEnv, binary: kubectl.Kubectl) -> None:
    result = run(sandbox, binary, "get", "namespaces")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["NAME", "AGE"] or lines[0].split()[:2] == ["NAME", "STATUS"]
    names = {line.split()[0] for line in lines[1:]}
    assert {"default", "kube-system", "kube-public", "kube-node-lease"} <= names


@pytest.mark.parametrize("binary", kubectl.params())
def test_configmap_round_trip(sandbox: SandboxEnv, namespace: str, binary: kubectl.Kubectl) -> None:
    created = run(sandbox, binary, "-n", namespace, "create", "configmap", "settings", "--from-literal=mode=fast")
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip() == "configmap/settings created"
    got = run(sandbox, binary, "-n", namespace, "get", "configmap", "settings", "-o", "jsonpath={.data.mode}")
    assert got.stdout == "fast"
    missing = run(sandbox, binary, "-n", namespace, "get", "configmap", "nope")
    assert missing.returncode == 1
    assert 'Error from server (NotFound): configmaps "nope" not found' in missing.stderr
