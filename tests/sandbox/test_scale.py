"""The scale subresource (autoscaling/v1 Scale): `kubectl scale` on every kind that has one, and get,
update and every patch type over HTTP, with the apiserver's validation and conflict errors."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from tests.support import kubectl, kubelet, rawapi
from tests.support.sandbox import SandboxEnv

LABELS = {"app": "web"}
TEMPLATE = {"metadata": {"labels": LABELS}, "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}}
KINDS = {
    "deployments": ("apps/v1", {"selector": {"matchLabels": LABELS}, "template": TEMPLATE}),
    "replicasets": ("apps/v1", {"selector": {"matchLabels": LABELS}, "template": TEMPLATE}),
    "statefulsets": ("apps/v1", {"selector": {"matchLabels": LABELS}, "template": TEMPLATE, "serviceName": "web"}),
    "replicationcontrollers": ("v1", {"selector": LABELS, "template": TEMPLATE}),
}


def run(sandbox: SandboxEnv, binary: kubectl.Kubectl, *args: str) -> subprocess.CompletedProcess[str]:
    return binary.run(sandbox.kubeconfig, sandbox.cache_dir, *args)


def make(sandbox: SandboxEnv, namespace: str, plural: str, name: str = "web", replicas: int = 2) -> Any:
    api_version, spec = KINDS[plural]
    return kubelet.create(sandbox, api_version, plural, namespace,
                          {"metadata": {"name": name}, "spec": {**spec, "replicas": replicas}})


def scale_path(namespace: str, plural: str, name: str = "web") -> str:
    prefix = "/api/v1" if plural == "replicationcontrollers" else "/apis/apps/v1"
    return f"{prefix}/namespaces/{namespace}/{plural}/{name}/scale"


@pytest.mark.kubectl
@pytest.mark.parametrize("binary", kubectl.params())
def test_kubectl_scale_deployment(sandbox: SandboxEnv, namespace: str, binary: kubectl.Kubectl) -> None:
    make(sandbox, namespace, "deployments")
    scaled = run(sandbox, binary, "-n", namespace, "scale", "deployment/web", "--replicas=5")
    assert scaled.returncode == 0, scaled.stderr
    assert scaled.stdout.strip() == "deployment.apps/web scaled"
    got = json.loads(run(sandbox, binary, "-n", namespace, "get", "deployment", "web", "-o", "json",
                         "--show-managed-fields").stdout)
    assert got["spec"]["replicas"] == 5
    assert got["metadata"]["generation"] == 2
    scale_entries = [entry for entry in got["metadata"]["managedFields"] if entry.get("subresource") == "scale"]
    assert [entry["fieldsV1"] for entry in scale_entries] == [{"f:spec": {"f:replicas": {}}}]
    guarded = run(sandbox, binary, "-n", namespace, "scale", "deployment/web", "--current-replicas=3",
                  "--replicas=1")
    assert guarded.returncode == 1
    assert "Expected replicas to be 3, was 5" in guarded.stderr


@pytest.mark.kubectl
@pytest.mark.parametrize("plural", ["replicasets", "statefulsets", "replicationcontrollers"])
def test_kubectl_scale_other_kinds(sandbox: SandboxEnv, namespace: str, plural: str) -> None:
    binary = kubectl.discover()[0]
    make(sandbox, namespace, plural)
    scaled = run(sandbox, binary, "-n", namespace, "scale", plural, "web", "--replicas=0")
    assert scaled.returncode == 0, scaled.stderr
    assert scaled.stdout.strip().endswith("/web scaled")
    replicas = run(sandbox, binary, "-n", namespace, "get", plural, "web", "-o", "jsonpath={.spec.replicas}")
    assert replicas.stdout == "0"


@pytest.mark.parametrize("plural", sorted(KINDS))
async def test_get_scale(sandbox: SandboxEnv, namespace: str, plural: str) -> None:
    made = make(sandbox, namespace, plural, replicas=3)
    reply = await rawapi.call(sandbox, "GET", scale_path(namespace, plural))
    assert reply.status == 200
    scale = reply.json()
    assert scale == {"kind": "Scale", "apiVersion": "autoscaling/v1",
                     "metadata": {key: made["metadata"][key] for key in
                                  ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")},
                     "spec": {"replicas": 3}, "status": {"replicas": 0, "selector": "app=web"}}


async def test_update_and_patch_scale(sandbox: SandboxEnv, namespace: str) -> None:
    make(sandbox, namespace, "deployments")
    path = scale_path(namespace, "deployments")
    current = (await rawapi.call(sandbox, "GET", path)).json()
    put = await rawapi.call(sandbox, "PUT", path, {**current, "spec": {"replicas": 4}})
    assert (put.status, put.json()["spec"]) == (200, {"replicas": 4})
    stale = await rawapi.call(sandbox, "PUT", path, {**current, "spec": {"replicas": 6}})
    assert stale.status == 409
    assert stale.json()["message"] == ('Operation cannot be fulfilled on deployments.apps "web": the object has '
                                       "been modified; please apply your changes to the latest version and try "
                                       "again")
    merged = await rawapi.call(sandbox, "PATCH", path, {"spec": {"replicas": 7}},
                               content_type="application/merge-patch+json")
    assert merged.json()["spec"] == {"replicas": 7}
    json_patched = await rawapi.call(sandbox, "PATCH", path, [{"op": "replace", "path": "/spec/replicas",
                                                               "value": 1}],
                                     content_type="application/json-patch+json")
    assert json_patched.json()["spec"] == {"replicas": 1}
    strategic = await rawapi.call(sandbox, "PATCH", path, {"spec": {"replicas": 2}},
                                  content_type="application/strategic-merge-patch+json")
    assert strategic.json()["spec"] == {"replicas": 2}
    deployment = (await rawapi.call(sandbox, "GET", f"/apis/apps/v1/namespaces/{namespace}/deployments/web")).json()
    assert deployment["spec"]["replicas"] == 2


@pytest.mark.parametrize(("method", "body", "content_type", "code", "message"), [
    ("PATCH", {"spec": {"replicas": -1}}, "application/merge-patch+json", 422,
     'Scale.autoscaling "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0'),
    ("PATCH", {"spec": {"replicas": "many"}}, "application/merge-patch+json", 400,
     'Scale in version "v1" cannot be handled as a Scale: json: cannot unmarshal string into Go struct field '
     "ScaleSpec.spec.replicas of type int32"),
    ("PATCH", {"spec": {"replicas": 2, "surge": 1}}, "application/merge-patch+json", 400,
     'Scale in version "v1" cannot be handled as a Scale: strict decoding error: unknown field "spec.surge"'),
    ("PATCH", {"spec": {"replicas": 2}}, "text/plain", 415,
     "the body of the request was in an unknown format - accepted media types include: "
     "application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, "
     "application/apply-patch+yaml"),
    ("PUT", {"kind": "Deployment", "apiVersion": "autoscaling/v1", "metadata": {"name": "web"}}, None, 400,
     "the kind in the data (Deployment) does not match the expected kind (Scale)"),
    ("PUT", {"kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": {"name": "other"}}, None, 400,
     "the name of the object (other) does not match the name on the URL (web)"),
])
async def test_scale_errors(sandbox: SandboxEnv, namespace: str, method: str, body: dict[str, Any],
                            content_type: str | None, code: int, message: str) -> None:
    make(sandbox, namespace, "deployments")
    reply = await rawapi.call(sandbox, method, scale_path(namespace, "deployments"), body,
                              content_type=content_type, params={"fieldValidation": "Strict"})
    assert (reply.status, reply.json()["message"]) == (code, message)
    deployment = (await rawapi.call(sandbox, "GET", f"/apis/apps/v1/namespaces/{namespace}/deployments/web")).json()
    assert deployment["spec"]["replicas"] == 2


async def test_scale_of_a_missing_deployment(sandbox: SandboxEnv, namespace: str) -> None:
    reply = await rawapi.call(sandbox, "GET", scale_path(namespace, "deployments", "ghost"))
    assert (reply.status, reply.json()["message"]) == (404, 'deployments.apps "ghost" not found')
