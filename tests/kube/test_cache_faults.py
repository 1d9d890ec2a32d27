"""The cache converges to the server's exact state through dropped watches, 503 bursts, a 410 Gone and a
server that stops listening and comes back, while objects keep changing."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubegenie import errors
from kubegenie.kube.client import ClusterClient, ResourcePath
from kubegenie.kube.informer import SyncState
from kubegenie.kube.kinds import KINDS_BY_NAME
from kubegenie.kube.registry import ClusterRegistry
from kubegenie.settings import KubeSettings
from tests.kube.conftest import context_of, write_kubeconfig
from tests.support import rawapi
from tests.support.sandbox import SandboxEnv, start_sandbox

CONFIGMAPS = ResourcePath("", "v1", "configmaps")
PODS = ResourcePath("", "v1", "pods")
NAMESPACES = ("churn-a", "churn-b")
CHURN_SECONDS = 60


@pytest.fixture
def chaotic(tmp_path: Path) -> Iterator[SandboxEnv]:
    env = start_sandbox(tmp_path / "chaos")
    yield env
    env.thread.stop()


async def _fault(env: SandboxEnv, document: dict[str, object]) -> None:
    reply = await rawapi.call(env, "POST", "/sandbox/faults", document)
    assert reply.status in (200, 201), reply.text


async def _churn(client: ClusterClient, stop: asyncio.Event, seed: int) -> int:
    """Create, change and delete ConfigMaps and Pods until told to stop; returns the writes that landed."""
    rng = random.Random(seed)
    writes = 0
    while not stop.is_set():
        namespace = rng.choice(NAMESPACES)
        name = f"obj-{rng.randrange(40)}"
        kind = rng.choice((CONFIGMAPS, PODS))
        action = rng.random()
        try:
            if action < 0.5:
                body: dict[str, object] = {"metadata": {"name": name, "labels": {"round": str(writes)}}}
                if kind is PODS:
                    body["spec"] = {"containers": [{"name": "c", "image": "busybox:1.36"}]}
                else:
                    body["data"] = {"n": str(writes)}
                await client.create(kind, body, namespace)
            elif action < 0.8:
                await client.patch(kind, name, {"metadata": {"labels": {"round": str(writes)}}}, namespace)
            else:
                await client.delete(kind, name, namespace)
            writes += 1
        except errors.KubeGenieError:
            pass  # Conflicts, missing objects, injected errors and downtime: the churn just goes on.
        await asyncio.sleep(0.02)
    return writes


async def _server_state(client: ClusterClient, kind: ResourcePath) -> dict[tuple[str, str], str]:
    for _ in range(50):
        try:
            items, _ = await client.list(kind)
            return {(o["metadata"]["namespace"], o["metadata"]["name"]): o["metadata"]["resourceVersion"]
                    for o in items}
        except errors.KubeGenieError:
            await asyncio.sleep(0.2)
    raise AssertionError("the server never answered the final list")


@pytest.mark.slow
async def test_cache_equals_server_after_faults(chaotic: SandboxEnv, tmp_path: Path) -> None:
    for namespace in NAMESPACES:
        await rawapi.call(chaotic, "POST", "/api/v1/namespaces", {"metadata": {"name": namespace}})
    path = write_kubeconfig(tmp_path / "k.yaml", [{"name": "chaos", **context_of(chaotic)}])
    settings = KubeSettings(cache_kinds=["configmaps", "pods", "namespaces"], connect_timeout_seconds=1.0,
                            request_timeout_seconds=3.0)
    registry = ClusterRegistry(settings, [path])
    writer_registry = ClusterRegistry(settings, [path])
    try:
        cache = await registry.cache("chaos", wait=10)
        for informer in cache.informers.values():
            informer.max_backoff = 1.0  # keep reconnects quick so the test does not wait on back-off
        writer = await writer_registry.client("chaos")
        stop = asyncio.Event()
        churn = asyncio.create_task(_churn(writer, stop, seed=7))
        loop = asyncio.get_running_loop()
        started = loop.time()

        await _fault(chaotic, {"watches": {"drop": True, "every": 3, "mode": "close"}})
        await asyncio.sleep(CHURN_SECONDS * 0.2)
        await _fault(chaotic, {"rules": [{"path": "/api/v1/*", "verbs": ["list", "watch"], "status": 503,
                                          "times": 15}]})
        await _fault(chaotic, {"watches": {"drop": True, "mode": "reset"}})
        await asyncio.sleep(CHURN_SECONDS * 0.2)

        def shrink_history() -> None:
            chaotic.cluster.store.set_history_limit(3)

        async def on_loop() -> None:
            shrink_history()

        chaotic.thread.call(on_loop)
        # Resumed watches are held back a second while writes go on, so their resourceVersion is compacted
        # by the time they are served: 410 Gone.
        await _fault(chaotic, {"rules": [{"path": "/api/v1/*", "verbs": ["watch"], "latency": 1.0, "times": 6}]})
        await _fault(chaotic, {"watches": {"drop": True, "mode": "close"}})
        await asyncio.sleep(CHURN_SECONDS * 0.2)
        await _fault(chaotic, {"refuse": {"seconds": 4}})  # the server goes away and comes back
        await asyncio.sleep(max(0.0, CHURN_SECONDS - (loop.time() - started)))

        stop.set()
        writes = await churn
        await rawapi.call(chaotic, "DELETE", "/sandbox/faults")
        assert writes > 200, f"only {writes} writes landed"

        relists = sum(i.status.relists for i in cache.informers.values())
        reconnects = sum(i.status.reconnects for i in cache.informers.values())
        for kind in (CONFIGMAPS, PODS):
            expected = await _server_state(writer, kind)
            informer = cache.informers[kind.plural]
            for _ in range(100):
                actual = {key: obj["metadata"]["resourceVersion"] for key, obj in informer.objects.items()}
                if actual == expected:
                    break
                await cache.wait_for_change(0.2)
            actual = {key: obj["metadata"]["resourceVersion"] for key, obj in informer.objects.items()}
            missing, phantom = expected.keys() - actual.keys(), actual.keys() - expected.keys()
            stale = {k for k in expected.keys() & actual.keys() if expected[k] != actual[k]}
            assert not missing and not phantom and not stale, (kind.plural, missing, phantom, stale)
        assert cache.status().state == SyncState.SYNCED
        assert relists >= 1, "the 410 Gone never forced a relist"
        assert reconnects >= 1, "no fault ever broke a watch"
        assert KINDS_BY_NAME["pods"].name in cache.informers
    finally:
        await registry.close()
        await writer_registry.close()
