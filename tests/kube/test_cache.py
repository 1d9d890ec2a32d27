"""The watch-fed cache equals the server, answers from indexes, and reports its sync state per kind."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from kubegenie.domain.labels import parse_label_selector
from kubegenie.kube.cache import ClusterCache
from kubegenie.kube.client import ClusterClient, ResourcePath
from kubegenie.kube.informer import SyncState
from kubegenie.kube.registry import ClusterRegistry
from kubegenie.settings import KubeSettings
from tests.kube.conftest import context_of, write_kubeconfig
from tests.support.sandbox import SandboxEnv

PODS = ResourcePath("", "v1", "pods")
NODES = ResourcePath("", "v1", "nodes", namespaced=False)
REPLICASETS = ResourcePath("apps", "v1", "replicasets")


def pod(name: str, labels: dict[str, str], node: str | None = None, owner: dict[str, str] | None = None) -> dict:
    meta: dict[str, object] = {"name": name, "labels": labels}
    if owner:
        meta["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "controller": True, **owner}]
    spec: dict[str, object] = {"containers": [{"name": "app", "image": "nginx:1.27"}]}
    if node:
        spec["nodeName"] = node
    return {"metadata": meta, "spec": spec}


@pytest.fixture
async def registry(sandbox: SandboxEnv, tmp_path: Path) -> AsyncIterator[ClusterRegistry]:
    path = write_kubeconfig(tmp_path / "k.yaml", [{"name": "s", **context_of(sandbox)}])
    reg = ClusterRegistry(KubeSettings(), [path])
    yield reg
    await reg.close()


async def _wait_until(cache: ClusterCache, check: object, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():  # type: ignore[operator]
        remaining = deadline - asyncio.get_running_loop().time()
        assert remaining > 0, "the cache never caught up"
        await cache.wait_for_change(min(remaining, 0.5))


async def test_cache_syncs_and_follows_changes(registry: ClusterRegistry, namespace: str) -> None:
    client: ClusterClient = await registry.client("s")
    await client.create(NODES, {"metadata": {"name": f"{namespace}-node"}})
    rs = await client.create(REPLICASETS, {"metadata": {"name": "web"}, "spec": {
        "selector": {"matchLabels": {"app": "web"}},
        "template": {"metadata": {"labels": {"app": "web"}},
                     "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}}}}, namespace)
    owner = {"name": "web", "uid": rs["metadata"]["uid"]}
    await client.create(PODS, pod("web-1", {"app": "web", "tier": "front"}, f"{namespace}-node", owner), namespace)
    await client.create(PODS, pod("web-2", {"app": "web", "tier": "front"}, None, owner), namespace)
    await client.create(PODS, pod("db-1", {"app": "db"}), namespace)

    cache = await registry.cache("s", wait=5)
    status = cache.status()
    assert status.state == SyncState.SYNCED, status
    assert [p["metadata"]["name"] for p in cache.select("pods", namespace)] == ["db-1", "web-1", "web-2"]
    assert [p["metadata"]["name"] for p in cache.select("pods", node=f"{namespace}-node")] == ["web-1"]
    web = parse_label_selector("app=web,tier in (front)")
    assert [p["metadata"]["name"] for p in cache.select("pods", namespace, selector=web)] == ["web-1", "web-2"]
    not_web = parse_label_selector("app!=web")
    assert [p["metadata"]["name"] for p in cache.select("pods", namespace, selector=not_web)] == ["db-1"]
    assert sorted(o["metadata"]["name"] for _, o in cache.owned_by(rs["metadata"]["uid"])) == ["web-1", "web-2"]
    assert cache.get("pods", "db-1", namespace) is not None
    assert "managedFields" not in cache.get("pods", "db-1", namespace)["metadata"]  # type: ignore[index]
    listed, _ = await client.list(PODS, namespace)  # the server leaves type meta out of built-in list items
    assert {(p["kind"], p["apiVersion"]) for p in listed} == {("Pod", "v1")}
    synced = cache.get("replicasets", "web", namespace)
    assert synced is not None and (synced["kind"], synced["apiVersion"]) == ("ReplicaSet", "apps/v1")

    await client.patch(PODS, "db-1", {"metadata": {"labels": {"app": "db", "tier": "back"}}}, namespace)
    await _wait_until(cache, lambda: cache.select("pods", namespace, selector=parse_label_selector("tier=back")))
    await client.delete(PODS, "web-2", namespace)
    await _wait_until(cache, lambda: cache.get("pods", "web-2", namespace) is None)
    assert [p["metadata"]["name"] for p in cache.select("pods", namespace, selector=web)] == ["web-1"]
    assert cache.owned_by(rs["metadata"]["uid"])[0][1]["metadata"]["name"] == "web-1"


async def test_secret_values_never_enter_the_cache(registry: ClusterRegistry, namespace: str) -> None:
    client = await registry.client("s")
    await client.create(ResourcePath("", "v1", "secrets"),
                        {"metadata": {"name": "db"}, "stringData": {"password": "hunter2"}}, namespace)
    cache = await registry.cache("s", wait=5)
    await _wait_until(cache, lambda: cache.get("secrets", "db", namespace) is not None)
    cached = cache.get("secrets", "db", namespace)
    assert cached is not None and cached["data"] == {"password": ""}


async def test_a_change_reaches_the_cache_through_the_watch(registry: ClusterRegistry, namespace: str) -> None:
    cache = await registry.cache("s", wait=5)
    client = await registry.client("s")
    loop = asyncio.get_running_loop()
    started = loop.time()
    await client.create(ResourcePath("", "v1", "configmaps"), {"metadata": {"name": "fresh"}}, namespace)
    await _wait_until(cache, lambda: cache.get("configmaps", "fresh", namespace) is not None, timeout=2)
    watched = cache.get("configmaps", "fresh", namespace)
    assert watched is not None and (watched["kind"], watched["apiVersion"]) == ("ConfigMap", "v1")
    assert loop.time() - started < 2
