"""Lists: limit/continue paging under `kubectl --chunk-size` on every kubectl, label selectors with every
operator, the field selectors kubectl sends (and 400 for the rest), and componentstatuses."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from tests.support import crds, kubectl, kubelet, rawapi
from tests.support.sandbox import SandboxEnv

ROOT_CA = "kube-root-ca.crt"


def run(sandbox: SandboxEnv, binary: kubectl.Kubectl, *args: str) -> subprocess.CompletedProcess[str]:
    return binary.run(sandbox.kubeconfig, sandbox.cache_dir, *args)


def configmaps(sandbox: SandboxEnv, namespace: str, labelled: dict[str, dict[str, str]]) -> None:
    for name, labels in labelled.items():
        kubelet.create(sandbox, "v1", "configmaps", namespace, {"metadata": {"name": name, "labels": labels}})


async def test_list_items_carry_type_meta_only_for_custom_resources(sandbox: SandboxEnv, namespace: str) -> None:
    configmaps(sandbox, namespace, {"plain": {"tier": "web"}})
    path = f"/api/v1/namespaces/{namespace}/configmaps"
    listed = (await rawapi.call(sandbox, "GET", path)).json()
    assert (listed["kind"], listed["apiVersion"]) == ("ConfigMapList", "v1")
    assert listed["items"] and all("kind" not in item and "apiVersion" not in item for item in listed["items"])
    single = (await rawapi.call(sandbox, "GET", f"{path}/plain")).json()
    assert (single["kind"], single["apiVersion"]) == ("ConfigMap", "v1")
    deleted = (await rawapi.call(sandbox, "DELETE", path, params={"labelSelector": "tier=web"})).json()
    assert [item["metadata"]["name"] for item in deleted["items"]] == ["plain"]
    assert "kind" not in deleted["items"][0] and deleted["kind"] == "ConfigMapList"

    group = f"{namespace}.list.example.com"
    crds.install(sandbox, crds.widget_crd(group))
    widgets = f"/apis/{group}/v1/namespaces/{namespace}/widgets"
    await rawapi.call(sandbox, "POST", widgets, {"apiVersion": f"{group}/v1", "kind": "Widget",
                                                  "metadata": {"name": "w1"}, "spec": {"size": "small"}})
    items = (await rawapi.call(sandbox, "GET", widgets)).json()["items"]
    assert [(item["kind"], item["apiVersion"]) for item in items] == [("Widget", f"{group}/v1")]


@pytest.mark.kubectl
@pytest.mark.parametrize("binary", kubectl.params())
def test_chunk_size_pages_through_everything(sandbox: SandboxEnv, namespace: str, binary: kubectl.Kubectl) -> None:
    configmaps(sandbox, namespace, {f"cm-{index:02d}": {} for index in range(7)})
    result = run(sandbox, binary, "-n", namespace, "get", "configmaps", "--chunk-size=3", "-o", "name", "-v=6")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"configmap/cm-{index:02d}" for index in range(7)] + [
        f"configmap/{ROOT_CA}"]
    pages = [line for line in result.stderr.splitlines() if f"/namespaces/{namespace}/configmaps?" in line]
    assert len(pages) == 3, result.stderr
    assert sum("continue=" in line for line in pages) == 2
    table = run(sandbox, binary, "-n", namespace, "get", "configmaps", "--chunk-size=2")
    names = [line.split()[0] for line in table.stdout.splitlines()]
    assert names[0] == "NAME" and names[1:] == [f"cm-{index:02d}" for index in range(7)] + [ROOT_CA]


async def test_continue_tokens_keep_the_list_resource_version(sandbox: SandboxEnv, namespace: str) -> None:
    configmaps(sandbox, namespace, {f"p{index}": {} for index in range(5)})
    path = f"/api/v1/namespaces/{namespace}/configmaps"
    first = (await rawapi.call(sandbox, "GET", path, params={"limit": "2"})).json()
    assert [item["metadata"]["name"] for item in first["items"]] == ["kube-root-ca.crt", "p0"]
    assert first["metadata"]["remainingItemCount"] == 4
    await rawapi.call(sandbox, "POST", path, {"metadata": {"name": "p9"}})
    second = (await rawapi.call(sandbox, "GET", path, params={"limit": "2",
                                                              "continue": first["metadata"]["continue"]})).json()
    assert [item["metadata"]["name"] for item in second["items"]] == ["p1", "p2"]
    assert second["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]
    rest = (await rawapi.call(sandbox, "GET", path, params={"continue": second["metadata"]["continue"]})).json()
    assert [item["metadata"]["name"] for item in rest["items"]] == ["p3", "p4", "p9"]
    assert "continue" not in rest["metadata"]
    garbage = await rawapi.call(sandbox, "GET", path, params={"continue": "not-a-token"})
    assert garbage.status == 400 and garbage.json()["reason"] == "BadRequest"


LABELLED = {"a": {"tier": "web", "env": "prod"}, "b": {"tier": "db", "env": "prod"},
            "c": {"tier": "web", "env": "dev", "canary": "true"}, "d": {}}


@pytest.mark.kubectl
@pytest.mark.parametrize(("selector", "expected"), [
    ("tier=web", ["a", "c"]),
    ("tier==web", ["a", "c"]),
    ("tier!=web", ["b", "d", ROOT_CA]),
    ("tier in (web,db),env=prod", ["a", "b"]),
    ("env notin (prod)", ["c", "d", ROOT_CA]),
    ("canary", ["c"]),
    ("!canary,tier", ["a", "b"]),
])
def test_label_selector_operators(sandbox: SandboxEnv, namespace: str, selector: str, expected: list[str]) -> None:
    configmaps(sandbox, namespace, LABELLED)
    binary = kubectl.discover()[0]
    result = run(sandbox, binary, "-n", namespace, "get", "configmaps", "-l", selector, "-o",
                 "jsonpath={.items[*].metadata.name}")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == expected


@pytest.mark.parametrize(("selector", "message"), [
    ("tier in web", "unable to parse requirement: found 'tier in web', expected: in, notin, =, ==, !=, gt, lt"),
    ("-bad-=x", 'unable to parse requirement: invalid label key "-bad-"'),
])
async def test_malformed_label_selectors(sandbox: SandboxEnv, selector: str, message: str) -> None:
    reply = await rawapi.call(sandbox, "GET", "/api/v1/configmaps", params={"labelSelector": selector})
    assert reply.status == 400
    assert reply.json()["message"].startswith(message)


@pytest.mark.kubectl
def test_field_selectors_kubectl_sends(sandbox: SandboxEnv, namespace: str) -> None:
    binary = kubectl.discover()[0]
    kubelet.run_pod(sandbox, namespace, "running", node="field-node")
    kubelet.run_pod(sandbox, namespace, "done", node="field-node", phase="Succeeded", exit_code=0)
    kubelet.run_pod(sandbox, namespace, "elsewhere", node="other-field-node")
    describe_node = run(sandbox, binary, "-n", namespace, "get", "pods", "-o", "name", "--field-selector",
                        "spec.nodeName=field-node,status.phase!=Succeeded,status.phase!=Failed")
    assert describe_node.stdout.split() == ["pod/running"]
    by_name = run(sandbox, binary, "-n", namespace, "get", "pods", "-o", "name", "--field-selector",
                  "metadata.name=elsewhere")
    assert by_name.stdout.split() == ["pod/elsewhere"]
    unsupported = run(sandbox, binary, "-n", namespace, "get", "pods", "--field-selector", "spec.hostname=x")
    assert unsupported.returncode == 1
    assert "field label not supported: spec.hostname" in unsupported.stderr


async def test_event_field_selectors(sandbox: SandboxEnv, namespace: str) -> None:
    pod = kubelet.run_pod(sandbox, namespace, "evented")
    involved = {"kind": "Pod", "namespace": namespace, "name": "evented", "uid": pod["metadata"]["uid"]}
    for reason in ("Scheduled", "Pulled"):
        kubelet.create(sandbox, "v1", "events", namespace, {
            "metadata": {"name": f"evented.{reason.lower()}"}, "involvedObject": involved, "reason": reason,
            "type": "Normal", "message": reason, "source": {"component": "kubelet"}})
    selector = (f"involvedObject.uid={pod['metadata']['uid']},involvedObject.name=evented,"
                f"involvedObject.namespace={namespace},involvedObject.kind=Pod")
    listed = (await rawapi.call(sandbox, "GET", f"/api/v1/namespaces/{namespace}/events",
                                params={"fieldSelector": selector})).json()
    assert sorted(item["reason"] for item in listed["items"]) == ["Pulled", "Scheduled"]
    pulled = (await rawapi.call(sandbox, "GET", f"/api/v1/namespaces/{namespace}/events",
                                params={"fieldSelector": "reason=Pulled,source=kubelet,type=Normal"})).json()
    assert [item["reason"] for item in pulled["items"]] == ["Pulled"]


@pytest.mark.parametrize(("path", "selector", "message"), [
    ("/api/v1/pods", "spec.containers=x", "field label not supported: spec.containers"),
    ("/api/v1/configmaps", "data.k=v", "field label not supported: data.k"),
    ("/api/v1/pods", "metadata.name", "invalid selector: 'metadata.name'; can't understand 'metadata.name'"),
])
async def test_unsupported_field_selectors_are_400(sandbox: SandboxEnv, path: str, selector: str,
                                                  message: str) -> None:
    reply = await rawapi.call(sandbox, "GET", path, params={"fieldSelector": selector})
    assert (reply.status, reply.json()["message"]) == (400, message)


@pytest.mark.kubectl
@pytest.mark.parametrize("binary", kubectl.params())
def test_componentstatuses(sandbox: SandboxEnv, binary: kubectl.Kubectl) -> None:
    table = run(sandbox, binary, "get", "componentstatuses")
    assert table.returncode == 0, table.stderr
    assert [line.split() for line in table.stdout.splitlines()] == [
        ["NAME", "STATUS", "MESSAGE", "ERROR"], ["controller-manager", "Healthy", "ok"], ["etcd-0", "Healthy", "ok"],
        ["scheduler", "Healthy", "ok"]]
    assert "Warning: v1 ComponentStatus is deprecated in v1.19+" in table.stderr
    one: dict[str, Any] = json.loads(run(sandbox, binary, "get", "cs", "etcd-0", "-o", "json").stdout)
    assert (one["kind"], one["conditions"]) == ("ComponentStatus", [{"type": "Healthy", "status": "True",
                                                                      "message": "ok"}])
    missing = run(sandbox, binary, "get", "cs", "kube-dns")
    assert 'Error from server (NotFound): componentstatuses "kube-dns" not found' in missing.stderr
