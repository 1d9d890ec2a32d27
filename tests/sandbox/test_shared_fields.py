"""managedFields kept once in memory for objects written alike: clients read exactly what each object's writes
recorded, changing one object's field sets never shows in another's, and the trees of deleted objects are
forgotten."""

from __future__ import annotations

import gc
from typing import Any

from kubegenie.sandbox.sharedfields import SharedFieldSets
from tests.support import rawapi
from tests.support.sandbox import SandboxEnv


def pod(name: str, ip: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": "web"}},
            "spec": {"containers": [{"name": "web", "image": "nginx:1.27", "ports": [{"containerPort": 80}]}]},
            "status": {"podIP": ip, "podIPs": [{"ip": ip}], "phase": "Running"}}


async def create_running(sandbox: SandboxEnv, namespace: str, name: str, ip: str) -> None:
    path = f"/api/v1/namespaces/{namespace}/pods"
    created = await rawapi.call(sandbox, "POST", path, pod(name, ip), params={"fieldManager": "deployer"})
    assert created.status == 201, created.text
    status = await rawapi.call(sandbox, "PATCH", f"{path}/{name}/status", {"status": pod(name, ip)["status"]},
                               content_type="application/merge-patch+json", params={"fieldManager": "kubelet"})
    assert status.status == 200, status.text


async def managed(sandbox: SandboxEnv, namespace: str, name: str) -> list[dict[str, Any]]:
    reply = await rawapi.call(sandbox, "GET", f"/api/v1/namespaces/{namespace}/pods/{name}")
    entries: list[dict[str, Any]] = reply.json()["metadata"]["managedFields"]
    return entries


async def test_pods_written_alike_share_field_sets_and_read_back_their_own(sandbox: SandboxEnv,
                                                                          namespace: str) -> None:
    await create_running(sandbox, namespace, "web-a", "10.4.0.1")
    await create_running(sandbox, namespace, "web-b", "10.4.0.2")

    a, b = await managed(sandbox, namespace, "web-a"), await managed(sandbox, namespace, "web-b")
    assert [(e["manager"], e.get("subresource")) for e in a] == [("deployer", None), ("kubelet", "status")]
    assert a[0]["fieldsV1"]["f:spec"]["f:containers"] == b[0]["fieldsV1"]["f:spec"]["f:containers"]
    assert a[0]["fieldsV1"]["f:spec"]["f:volumes"] != b[0]["fieldsV1"]["f:spec"]["f:volumes"]  # own token volume
    assert a[0]["fieldsV1"]["f:spec"]["f:containers"]['k:{"name":"web"}']["f:image"] == {}
    assert 'k:{"ip":"10.4.0.1"}' in a[1]["fieldsV1"]["f:status"]["f:podIPs"]
    assert 'k:{"ip":"10.4.0.2"}' in b[1]["fieldsV1"]["f:status"]["f:podIPs"]
    assert 'k:{"ip":"10.4.0.1"}' not in b[1]["fieldsV1"]["f:status"]["f:podIPs"]

    store = sandbox.cluster.objects.store
    stored_a, stored_b = store.get("pods", namespace, "web-a"), store.get("pods", namespace, "web-b")
    assert stored_a is not None and stored_b is not None
    containers_a, containers_b = (obj["metadata"]["managedFields"][0]["fieldsV1"]["f:spec"]["f:containers"]
                                  for obj in (stored_a, stored_b))
    assert containers_a is containers_b, "identical field sets are one object"
    phase_a, phase_b = (obj["metadata"]["managedFields"][1]["fieldsV1"]["f:status"]["f:phase"]
                        for obj in (stored_a, stored_b))
    assert phase_a is phase_b, "field sets that differ in one key still share their other parts"


async def test_changing_one_objects_field_sets_leaves_the_others(sandbox: SandboxEnv, namespace: str) -> None:
    await create_running(sandbox, namespace, "web-a", "10.5.0.1")
    await create_running(sandbox, namespace, "web-b", "10.5.0.2")
    before_b = await managed(sandbox, namespace, "web-b")

    path = f"/api/v1/namespaces/{namespace}/pods/web-a"
    relabel = await rawapi.call(sandbox, "PATCH", path, {"metadata": {"labels": {"tier": "front"}}},
                                content_type="application/merge-patch+json", params={"fieldManager": "labeller"})
    assert relabel.status == 200, relabel.text
    removal = await rawapi.call(sandbox, "PATCH", path, [{"op": "remove", "path": "/metadata/managedFields/0"}],
                                content_type="application/json-patch+json")
    assert removal.status == 200, removal.text

    after_a = await managed(sandbox, namespace, "web-a")
    assert "deployer" not in [entry["manager"] for entry in after_a]
    assert any("f:tier" in (entry["fieldsV1"].get("f:metadata", {}).get("f:labels", {})) for entry in after_a)
    assert await managed(sandbox, namespace, "web-b") == before_b


def test_trees_no_object_holds_are_forgotten() -> None:
    shared = SharedFieldSets(sweep_at=10)
    kept = []
    for index in range(40):
        meta = {"managedFields": [{"manager": "kubelet", "fieldsV1": {
            "f:status": {"f:phase": {}, "f:podIPs": {".": {}, f'k:{{"ip":"10.0.0.{index}"}}': {".": {}}}}}}]}
        shared.share(meta)
        if index % 10 == 0:
            kept.append(meta)
    gc.collect()
    # 40 objects with 3 subtrees of their own each; the four kept hold 12 of them and two shared leaves,
    # and a sweep comes when the table has doubled since the last one
    assert len(shared) < 2 * (4 * 3 + 2) + 3
    assert [meta["managedFields"][0]["fieldsV1"]["f:status"]["f:podIPs"] for meta in kept] == [
        {".": {}, f'k:{{"ip":"10.0.0.{index}"}}': {".": {}}} for index in (0, 10, 20, 30)]
