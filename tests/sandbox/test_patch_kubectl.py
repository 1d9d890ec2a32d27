"""`kubectl patch` (strategic, merge and JSON), `label`, `annotate`, `set image` and `rollout restart` with every
kubectl: what they print, what the object looks like afterwards and which field manager owns the change."""

from __future__ import annotations

import functools
import json
import subprocess
from datetime import datetime
from typing import Any

import pytest
import yaml

from tests.support import kubectl
from tests.support.sandbox import SandboxEnv

pytestmark = pytest.mark.kubectl

DEPLOYMENT = {
    "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api", "labels": {"app": "api"}},
    "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "api"}},
             "template": {"metadata": {"labels": {"app": "api"}},
                          "spec": {"containers": [
                              {"name": "app", "image": "nginx:1.25",
                               "env": [{"name": "MODE", "value": "fast"}, {"name": "LEVEL", "value": "3"}]},
                              {"name": "proxy", "image": "envoy:1.30"}]}}},
}


def run(sandbox: SandboxEnv, binary: kubectl.Kubectl, namespace: str, *args: str,
        input: str | None = None) -> subprocess.CompletedProcess[str]:
    return binary.run(sandbox.kubeconfig, sandbox.cache_dir, "-n", namespace, *args, input=input)


@pytest.fixture
def api(sandbox: SandboxEnv, namespace: str, binary: kubectl.Kubectl) -> str:
    """A Deployment `api` with two containers, created from YAML; returns its namespace."""
    created = run(sandbox, binary, namespace, "create", "-f", "-", input=yaml.safe_dump(DEPLOYMENT))
    assert created.stdout.strip() == "deployment.apps/api created", created.stderr
    return namespace


def live(sandbox: SandboxEnv, binary: kubectl.Kubectl, namespace: str) -> dict[str, Any]:
    result = run(sandbox, binary, namespace, "get", "deployment", "api", "-o", "json", "--show-managed-fields")
    assert result.returncode == 0, result.stderr
    found: dict[str, Any] = json.loads(result.stdout)
    return found


def env_of(obj: dict[str, Any], container: str = "app") -> list[tuple[str, str]]:
    found = next(c for c in obj["spec"]["template"]["spec"]["containers"] if c["name"] == container)
    return [(e["name"], e.get("value", "")) for e in found.get("env", [])]


def owners(obj: dict[str, Any]) -> set[str]:
    return {entry["manager"] for entry in obj["metadata"].get("managedFields", [])}


@functools.cache
def client_minor(binary: kubectl.Kubectl) -> int:
    result = subprocess.run([str(binary.path), "version", "--client", "-o", "json"], capture_output=True, text=True,
                            check=True)
    return int(json.loads(result.stdout)["clientVersion"]["minor"].rstrip("+"))


@pytest.mark.parametrize("binary", kubectl.params())
def test_strategic_patch_adds_and_deletes_env_vars_by_name(sandbox: SandboxEnv, api: str,
                                                           binary: kubectl.Kubectl) -> None:
    add = '{"spec":{"template":{"spec":{"containers":[{"name":"app","env":[{"name":"DEBUG","value":"1"}]}]}}}}'
    added = run(sandbox, binary, api, "patch", "deployment", "api", "-p", add)
    assert added.stdout.strip() == "deployment.apps/api patched", added.stderr
    obj = live(sandbox, binary, api)
    assert env_of(obj) == [("DEBUG", "1"), ("MODE", "fast"), ("LEVEL", "3")]
    assert env_of(obj, "proxy") == []
    assert "kubectl-patch" in owners(obj)

    delete = '{"spec":{"template":{"spec":{"containers":[{"name":"app","env":[{"name":"MODE","$patch":"delete"}]}]}}}}'
    deleted = run(sandbox, binary, api, "patch", "deployment", "api", "-p", delete)
    assert deleted.stdout.strip() == "deployment.apps/api patched", deleted.stderr
    obj = live(sandbox, binary, api)
    assert env_of(obj) == [("DEBUG", "1"), ("LEVEL", "3")]
    assert [c["image"] for c in obj["spec"]["template"]["spec"]["containers"]] == ["nginx:1.25", "envoy:1.30"]

    again = run(sandbox, binary, api, "patch", "deployment", "api", "-p", delete)
    assert again.stdout.strip() == "deployment.apps/api patched (no change)"
    assert live(sandbox, binary, api)["metadata"]["resourceVersion"] == obj["metadata"]["resourceVersion"]


@pytest.mark.parametrize("binary", kubectl.params())
def test_merge_and_json_patches(sandbox: SandboxEnv, api: str, binary: kubectl.Kubectl) -> None:
    merged = run(sandbox, binary, api, "patch", "deployment", "api", "--type=merge",
                 "-p", '{"metadata":{"labels":{"app":null,"team":"shop"}},"spec":{"replicas":3}}')
    assert merged.stdout.strip() == "deployment.apps/api patched", merged.stderr
    obj = live(sandbox, binary, api)
    assert obj["metadata"]["labels"] == {"team": "shop"}
    assert obj["spec"]["replicas"] == 3

    operations = json.dumps([
        {"op": "test", "path": "/spec/replicas", "value": 3},
        {"op": "replace", "path": "/spec/replicas", "value": 4},
        {"op": "add", "path": "/spec/template/spec/containers/1/env", "value": [{"name": "PORT", "value": "80"}]},
        {"op": "remove", "path": "/spec/template/spec/containers/0/env/0"},
    ])
    patched = run(sandbox, binary, api, "patch", "deployment", "api", "--type=json", "-p", operations)
    assert patched.stdout.strip() == "deployment.apps/api patched", patched.stderr
    obj = live(sandbox, binary, api)
    assert obj["spec"]["replicas"] == 4
    assert env_of(obj) == [("LEVEL", "3")]
    assert env_of(obj, "proxy") == [("PORT", "80")]

    failed = run(sandbox, binary, api, "patch", "deployment", "api", "--type=json",
                 "-p", '[{"op":"test","path":"/spec/replicas","value":1},{"op":"replace","path":"/spec/replicas",'
                       '"value":9}]')
    assert failed.returncode == 1
    assert failed.stderr.strip() == "The request is invalid: the server rejected our request due to an error in " \
                                    "our request"
    assert live(sandbox, binary, api)["spec"]["replicas"] == 4

    unchanged = run(sandbox, binary, api, "patch", "deployment", "api", "--type=merge", "-p", '{"spec":{"replicas":4}}')
    assert unchanged.stdout.strip() == "deployment.apps/api patched (no change)"


@pytest.mark.parametrize("binary", kubectl.params())
def test_label_add_overwrite_and_remove(sandbox: SandboxEnv, api: str, binary: kubectl.Kubectl) -> None:
    labels = ("get", "deployment", "api", "-o", "jsonpath={.metadata.labels}")
    assert run(sandbox, binary, api, "label", "deployment", "api", "tier=web").stdout.strip() == \
        "deployment.apps/api labeled"
    refused = run(sandbox, binary, api, "label", "deployment", "api", "tier=db")
    assert refused.returncode == 1
    assert refused.stderr.strip() == "error: 'tier' already has a value (web), and --overwrite is false"
    assert run(sandbox, binary, api, "label", "deployment", "api", "tier=db", "--overwrite").stdout.strip() == \
        "deployment.apps/api labeled"
    assert json.loads(run(sandbox, binary, api, *labels).stdout) == {"app": "api", "tier": "db"}
    assert "kubectl-label" in owners(live(sandbox, binary, api))
    assert run(sandbox, binary, api, "label", "deployment", "api", "tier-").stdout.strip() == \
        "deployment.apps/api unlabeled"
    assert json.loads(run(sandbox, binary, api, *labels).stdout) == {"app": "api"}


@pytest.mark.parametrize("binary", kubectl.params())
def test_annotate_add_overwrite_and_remove(sandbox: SandboxEnv, api: str, binary: kubectl.Kubectl) -> None:
    # kubectl 1.27 printed the verb without its ending.
    done = "deployment.apps/api annotate" if client_minor(binary) == 27 else "deployment.apps/api annotated"
    annotations = ("get", "deployment", "api", "-o", "jsonpath={.metadata.annotations}")
    assert run(sandbox, binary, api, "annotate", "deployment", "api", "owner=ops").stdout.strip() == done
    refused = run(sandbox, binary, api, "annotate", "deployment", "api", "owner=dev")
    assert refused.returncode == 1
    assert refused.stderr.strip() == "error: --overwrite is false but found the following declared annotation(s): " \
                                     "'owner' already has a value (ops)"
    assert run(sandbox, binary, api, "annotate", "deployment", "api", "owner=dev", "--overwrite").stdout.strip() == done
    assert json.loads(run(sandbox, binary, api, *annotations).stdout) == {"owner": "dev"}
    assert "kubectl-annotate" in owners(live(sandbox, binary, api))
    assert run(sandbox, binary, api, "annotate", "deployment", "api", "owner-").stdout.strip() == done
    assert run(sandbox, binary, api, *annotations).stdout == ""


@pytest.mark.parametrize("binary", kubectl.params())
def test_set_image_changes_one_container(sandbox: SandboxEnv, api: str, binary: kubectl.Kubectl) -> None:
    before = live(sandbox, binary, api)
    result = run(sandbox, binary, api, "set", "image", "deployment/api", "app=nginx:1.27")
    assert result.stdout.strip() == "deployment.apps/api image updated", result.stderr
    obj = live(sandbox, binary, api)
    assert [c["image"] for c in obj["spec"]["template"]["spec"]["containers"]] == ["nginx:1.27", "envoy:1.30"]
    assert obj["metadata"]["generation"] == before["metadata"]["generation"] + 1
    set_fields = next(e for e in obj["metadata"]["managedFields"] if e["manager"] == "kubectl-set")["fieldsV1"]
    assert set_fields == {"f:spec": {"f:template": {"f:spec": {"f:containers": {
        'k:{"name":"app"}': {"f:image": {}}}}}}}


@pytest.mark.parametrize("binary", kubectl.params())
def test_rollout_restart_stamps_the_pod_template(sandbox: SandboxEnv, api: str, binary: kubectl.Kubectl) -> None:
    before = live(sandbox, binary, api)
    result = run(sandbox, binary, api, "rollout", "restart", "deployment/api")
    assert result.stdout.strip() == "deployment.apps/api restarted", result.stderr
    obj = live(sandbox, binary, api)
    stamp = obj["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"]
    assert datetime.fromisoformat(stamp).tzinfo is not None
    assert obj["metadata"]["generation"] == before["metadata"]["generation"] + 1
    assert "kubectl-rollout" in owners(obj)
