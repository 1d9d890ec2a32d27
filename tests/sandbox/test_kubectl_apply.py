"""`kubectl apply` with every kubectl: client-side apply round trips (create, configure, prune removed fields,
unchanged), server-side apply with ownership, conflicts and forced takeover, the client-side to server-side
migration, and server dry runs that change nothing."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest
import yaml

from tests.support import kubectl
from tests.support.sandbox import SandboxEnv

pytestmark = pytest.mark.kubectl

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
CONFLICT_ADVICE = "If you intend to manage all of these fields, please re-run the apply\n  command with the " \
                  "`--force-conflicts` flag."


def run(sandbox: SandboxEnv, binary: kubectl.Kubectl, namespace: str, *args: str,
        manifest: Any = None) -> subprocess.CompletedProcess[str]:
    text = yaml.safe_dump(manifest, sort_keys=False) if manifest is not None else None
    return binary.run(sandbox.kubeconfig, sandbox.cache_dir, "-n", namespace, *args, input=text)


def get(sandbox: SandboxEnv, binary: kubectl.Kubectl, namespace: str, resource: str) -> dict[str, Any]:
    result = run(sandbox, binary, namespace, "get", resource, "-o", "json", "--show-managed-fields")
    assert result.returncode == 0, result.stderr
    found: dict[str, Any] = json.loads(result.stdout)
    return found


def deployment(replicas: int = 2) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "shop", "labels": {"app": "shop", "tier": "web"}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "shop"}},
            "template": {
                "metadata": {"labels": {"app": "shop"}},
                "spec": {"containers": [
                    {"name": "web", "image": "nginx:1.25",
                     "env": [{"name": "MODE", "value": "fast"}, {"name": "LEVEL", "value": "3"},
                             {"name": "REGION", "value": "eu"}],
                     "ports": [{"containerPort": 80, "name": "http"}, {"containerPort": 9090, "name": "metrics"}]},
                    {"name": "cache", "image": "redis:7", "args": ["--maxmemory", "64mb"],
                     "ports": [{"containerPort": 6379}]},
                ]},
            },
        },
    }


def containers(obj: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in obj["spec"]["template"]["spec"]["containers"]}


def managers(obj: dict[str, Any]) -> list[tuple[str, str]]:
    return [(entry["manager"], entry["operation"]) for entry in obj["metadata"].get("managedFields", [])]


def fields_of(obj: dict[str, Any], manager: str) -> dict[str, Any]:
    for entry in obj["metadata"]["managedFields"]:
        if entry["manager"] == manager:
            found: dict[str, Any] = entry["fieldsV1"]
            return found
    raise AssertionError(f"{manager} owns nothing: {managers(obj)}")


@pytest.mark.parametrize("binary", kubectl.params())
def test_client_side_apply_round_trip_on_a_deployment(sandbox: SandboxEnv, namespace: str,
                                                      binary: kubectl.Kubectl) -> None:
    manifest = deployment()
    created = run(sandbox, binary, namespace, "apply", "-f", "-", manifest=manifest)
    assert created.stdout.strip() == "deployment.apps/shop created", created.stderr
    assert run(sandbox, binary, namespace, "apply", "-f", "-", manifest=manifest).stdout.strip() == \
        "deployment.apps/shop unchanged"

    changed = deployment(replicas=3)
    web = changed["spec"]["template"]["spec"]["containers"][0]
    web["image"] = "nginx:1.27"
    web["env"][1]["value"] = "5"
    web["env"].append({"name": "DEBUG", "value": "1"})
    configured = run(sandbox, binary, namespace, "apply", "-f", "-", manifest=changed)
    assert configured.stdout.strip() == "deployment.apps/shop configured", configured.stderr
    live = get(sandbox, binary, namespace, "deployment/shop")
    assert live["spec"]["replicas"] == 3
    assert containers(live)["web"]["image"] == "nginx:1.27"
    assert [(e["name"], e["value"]) for e in containers(live)["web"]["env"]] == [
        ("MODE", "fast"), ("LEVEL", "5"), ("REGION", "eu"), ("DEBUG", "1")]
    assert json.loads(live["metadata"]["annotations"][LAST_APPLIED])["spec"]["replicas"] == 3
    assert managers(live) == [("kubectl-client-side-apply", "Update")]

    trimmed = json.loads(json.dumps(changed))
    del trimmed["metadata"]["labels"]["tier"]
    web, cache = trimmed["spec"]["template"]["spec"]["containers"]
    web["env"] = [e for e in web["env"] if e["name"] != "REGION"]
    web["ports"] = [web["ports"][0]]
    del cache["args"]
    assert run(sandbox, binary, namespace, "apply", "-f", "-", manifest=trimmed).stdout.strip() == \
        "deployment.apps/shop configured"
    live = get(sandbox, binary, namespace, "deployment/shop")
    assert live["metadata"]["labels"] == {"app": "shop"}
    assert [e["name"] for e in containers(live)["web"]["env"]] == ["MODE", "LEVEL", "DEBUG"]
    assert [p["containerPort"] for p in containers(live)["web"]["ports"]] == [80]
    assert "args" not in containers(live)["cache"]
    assert containers(live)["cache"]["ports"] == [{"containerPort": 6379, "protocol": "TCP"}]

    again = run(sandbox, binary, namespace, "apply", "-f", "-", manifest=trimmed)
    assert again.stdout.strip() == "deployment.apps/shop unchanged"
    assert get(sandbox, binary, namespace, "deployment/shop")["metadata"]["resourceVersion"] == \
        live["metadata"]["resourceVersion"]


@pytest.mark.parametrize("binary", kubectl.params())
def test_client_side_apply_round_trip_on_a_configmap(sandbox: SandboxEnv, namespace: str,
                                                     binary: kubectl.Kubectl) -> None:
    manifest = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"},
                "data": {"mode": "fast", "level": "3", "region": "eu"}}
    assert run(sandbox, binary, namespace, "apply", "-f", "-", manifest=manifest).stdout.strip() == \
        "configmap/settings created"
    manifest["data"] = {"mode": "slow", "level": "3"}
    assert run(sandbox, binary, namespace, "apply", "-f", "-", manifest=manifest).stdout.strip() == \
        "configmap/settings configured"
    live = get(sandbox, binary, namespace, "configmap/settings")
    assert live["data"] == {"mode": "slow", "level": "3"}
    assert fields_of(live, "kubectl-client-side-apply")["f:data"] == {".": {}, "f:level": {}, "f:mode": {}}
    assert run(sandbox, binary, namespace, "apply", "-f", "-", manifest=manifest).stdout.strip() == \
        "configmap/settings unchanged"


@pytest.mark.parametrize("binary", kubectl.params())
def test_server_side_apply_creates_updates_and_reports_conflicts(sandbox: SandboxEnv, namespace: str,
                                                                  binary: kubectl.Kubectl) -> None:
    created = run(sandbox, binary, namespace, "apply", "--server-side", "-f", "-", manifest=deployment())
    assert created.stdout.strip() == "deployment.apps/shop serverside-applied", created.stderr
    live = get(sandbox, binary, namespace, "deployment/shop")
    assert managers(live) == [("kubectl", "Apply")]
    owned = fields_of(live, "kubectl")
    assert owned["f:metadata"] == {"f:labels": {"f:app": {}, "f:tier": {}}}
    assert set(owned["f:spec"]["f:template"]["f:spec"]["f:containers"]) == {'k:{"name":"web"}',
                                                                             'k:{"name":"cache"}'}

    updated = run(sandbox, binary, namespace, "apply", "--server-side", "-f", "-", manifest=deployment(replicas=3))
    assert updated.stdout.strip() == "deployment.apps/shop serverside-applied"
    assert get(sandbox, binary, namespace, "deployment/shop")["spec"]["replicas"] == 3

    other = run(sandbox, binary, namespace, "apply", "--server-side", "--field-manager=deployer", "-f", "-",
                manifest=deployment(replicas=5))
    assert other.returncode == 1
    assert other.stderr.startswith('error: Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas\n')
    assert CONFLICT_ADVICE in other.stderr

    patched = run(sandbox, binary, namespace, "patch", "deployment", "shop", "--type=merge",
                  "-p", '{"spec":{"replicas":4}}')
    assert patched.stdout.strip() == "deployment.apps/shop patched"
    conflict = run(sandbox, binary, namespace, "apply", "--server-side", "-f", "-", manifest=deployment(replicas=6))
    assert conflict.returncode == 1
    assert conflict.stderr.startswith('error: Apply failed with 1 conflict: conflict with "kubectl-patch" using '
                                      'apps/v1: .spec.replicas\n')

    forced = run(sandbox, binary, namespace, "apply", "--server-side", "--force-conflicts", "-f", "-",
                 manifest=deployment(replicas=6))
    assert forced.stdout.strip() == "deployment.apps/shop serverside-applied", forced.stderr
    live = get(sandbox, binary, namespace, "deployment/shop")
    assert live["spec"]["replicas"] == 6
    assert managers(live) == [("kubectl", "Apply")]
    assert "f:replicas" in fields_of(live, "kubectl")["f:spec"]


@pytest.mark.parametrize("binary", kubectl.params())
def test_server_side_apply_drops_fields_the_manifest_no_longer_sets(sandbox: SandboxEnv, namespace: str,
                                                                      binary: kubectl.Kubectl) -> None:
    assert run(sandbox, binary, namespace, "apply", "--server-side", "-f", "-",
               manifest=deployment()).returncode == 0
    trimmed = deployment()
    trimmed["spec"]["template"]["spec"]["containers"] = trimmed["spec"]["template"]["spec"]["containers"][:1]
    trimmed["spec"]["template"]["spec"]["containers"][0]["env"] = [{"name": "MODE", "value": "fast"}]
    del trimmed["metadata"]["labels"]["tier"]
    applied = run(sandbox, binary, namespace, "apply", "--server-side", "-f", "-", manifest=trimmed)
    assert applied.stdout.strip() == "deployment.apps/shop serverside-applied", applied.stderr
    live = get(sandbox, binary, namespace, "deployment/shop")
    assert list(containers(live)) == ["web"]
    assert containers(live)["web"]["env"] == [{"name": "MODE", "value": "fast"}]
    assert live["metadata"]["labels"] == {"app": "shop"}


@pytest.mark.parametrize("binary", kubectl.params())
def test_server_side_apply_takes_over_from_client_side_apply(sandbox: SandboxEnv, namespace: str,
                                                              binary: kubectl.Kubectl) -> None:
    assert run(sandbox, binary, namespace, "apply", "-f", "-", manifest=deployment()).returncode == 0
    migrated = run(sandbox, binary, namespace, "apply", "--server-side", "-f", "-", manifest=deployment(replicas=4))
    assert migrated.stdout.strip() == "deployment.apps/shop serverside-applied", migrated.stderr
    live = get(sandbox, binary, namespace, "deployment/shop")
    assert live["spec"]["replicas"] == 4
    assert ("kubectl-client-side-apply", "Update") not in managers(live)
    assert ("kubectl", "Apply") in managers(live)
    assert "f:replicas" in fields_of(live, "kubectl")["f:spec"]
    assert json.loads(live["metadata"]["annotations"][LAST_APPLIED])["spec"]["replicas"] == 4


@pytest.mark.parametrize("binary", kubectl.params())
def test_server_dry_runs_change_nothing(sandbox: SandboxEnv, namespace: str, binary: kubectl.Kubectl) -> None:
    for args, expected in ((("apply", "--dry-run=server"), "created (server dry run)"),
                           (("apply", "--server-side", "--dry-run=server"), "serverside-applied (server dry run)"),
                           (("create", "--dry-run=server"), "created (server dry run)")):
        result = run(sandbox, binary, namespace, *args, "-f", "-", manifest=deployment())
        assert result.stdout.strip() == f"deployment.apps/shop {expected}", result.stderr
        missing = run(sandbox, binary, namespace, "get", "deployment", "shop")
        assert 'Error from server (NotFound): deployments.apps "shop" not found' in missing.stderr

    assert run(sandbox, binary, namespace, "apply", "-f", "-", manifest=deployment()).returncode == 0
    before = get(sandbox, binary, namespace, "deployment/shop")
    client = run(sandbox, binary, namespace, "apply", "--dry-run=server", "-f", "-", manifest=deployment(replicas=7))
    assert client.stdout.strip() == "deployment.apps/shop configured (server dry run)", client.stderr
    server = run(sandbox, binary, namespace, "apply", "--server-side", "--force-conflicts", "--dry-run=server", "-f",
                 "-", manifest=deployment(replicas=8))
    assert server.stdout.strip() == "deployment.apps/shop serverside-applied (server dry run)", server.stderr
    after = get(sandbox, binary, namespace, "deployment/shop")
    assert after["spec"]["replicas"] == 2
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
    assert managers(after) == [("kubectl-client-side-apply", "Update")]
