"""Watch semantics: `kubectl get -w` on every kubectl, resuming from a resourceVersion, 410 Gone as an ERROR
event once the history has moved on, bookmarks, timeoutSeconds, sendInitialEvents and its option rules."""

from __future__ import annotations

import json
import time
from typing import Any

import aiohttp
import pytest

from kubegenie.sandbox.handlers import watch as watch_handler
from tests.support import kubectl, kubelet, rawapi
from tests.support.sandbox import SandboxEnv


def configmap(name: str, **labels: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": labels},
            "data": {"k": "v"}}


async def events(sandbox: SandboxEnv, path: str, params: dict[str, str], count: int,
                 timeout: float = 10) -> list[dict[str, Any]]:
    """Read up to `count` watch events (or until the server ends the stream)."""
    found: list[dict[str, Any]] = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session, \
            session.get(sandbox.url + path, params={"watch": "true", **params}) as response:
        assert response.status == 200, await response.text()
        assert response.headers["Content-Type"] == "application/json"
        async for line in response.content:
            found.append(json.loads(line))
            if len(found) >= count:
                break
    return found


async def create(sandbox: SandboxEnv, namespace: str, body: dict[str, Any]) -> dict[str, Any]:
    reply = await rawapi.call(sandbox, "POST", f"/api/v1/namespaces/{namespace}/configmaps", body)
    assert reply.status == 201, reply.text
    result: dict[str, Any] = reply.json()
    return result


@pytest.mark.kubectl
@pytest.mark.parametrize("binary", kubectl.params())
def test_kubectl_get_watch_sees_every_event(sandbox: SandboxEnv, namespace: str, binary: kubectl.Kubectl) -> None:
    kubelet.create(sandbox, "v1", "configmaps", namespace, configmap("before"))
    stream = binary.popen(sandbox.kubeconfig, sandbox.cache_dir, "-n", namespace, "get", "configmaps", "-w",
                          "--output-watch-events")

    def seen(event: str, name: str) -> bool:
        return stream.wait_for(lambda lines: any(line.split()[:2] == [event, name] for line in lines))

    try:
        assert seen("ADDED", "before"), stream.lines
        run = binary.run
        assert run(sandbox.kubeconfig, sandbox.cache_dir, "-n", namespace, "create", "configmap", "during",
                   "--from-literal=a=b").returncode == 0
        assert seen("ADDED", "during"), stream.lines
        assert run(sandbox.kubeconfig, sandbox.cache_dir, "-n", namespace, "label", "configmap", "during",
                   "tier=x").returncode == 0
        assert seen("MODIFIED", "during"), stream.lines
        assert run(sandbox.kubeconfig, sandbox.cache_dir, "-n", namespace, "delete", "configmap",
                   "during").returncode == 0
        assert seen("DELETED", "during"), stream.lines
    finally:
        errors = stream.stop()
    assert stream.lines[0].split()[:2] == ["EVENT", "NAME"], errors
    assert [line.split()[0] for line in stream.lines[1:] if "during" in line] == ["ADDED", "MODIFIED", "DELETED"]


async def test_resume_from_a_list_resource_version(sandbox: SandboxEnv, namespace: str) -> None:
    path = f"/api/v1/namespaces/{namespace}/configmaps"
    await create(sandbox, namespace, configmap("old"))
    listed = (await rawapi.call(sandbox, "GET", path)).json()
    list_rv = listed["metadata"]["resourceVersion"]
    assert isinstance(list_rv, str)
    await create(sandbox, namespace, configmap("new"))
    await rawapi.call(sandbox, "DELETE", f"{path}/old")
    replayed = await events(sandbox, path, {"resourceVersion": list_rv, "timeoutSeconds": "1"}, 10)
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in replayed] == [("ADDED", "new"), ("DELETED", "old")]
    rvs = [int(e["object"]["metadata"]["resourceVersion"]) for e in replayed]
    assert rvs == sorted(rvs) and rvs[0] > int(list_rv)
    from_zero = await events(sandbox, path, {"resourceVersion": "0", "timeoutSeconds": "1"}, 10)
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in from_zero
            if e["object"]["metadata"]["name"] != "kube-root-ca.crt"] == [("ADDED", "new")]


async def test_too_old_resource_version_is_an_error_event(fresh_sandbox: SandboxEnv) -> None:
    kubelet.on_loop(fresh_sandbox, lambda: fresh_sandbox.cluster.store.set_history_limit(3))
    path = "/api/v1/namespaces/default/configmaps"
    first = await create(fresh_sandbox, "default", configmap("c0"))
    stale_rv = first["metadata"]["resourceVersion"]
    for index in range(1, 6):
        await create(fresh_sandbox, "default", configmap(f"c{index}"))
    found = await events(fresh_sandbox, path, {"resourceVersion": stale_rv}, 5)
    assert len(found) == 1
    error = found[0]
    assert error["type"] == "ERROR"
    status = error["object"]
    assert (status["kind"], status["apiVersion"], status["status"], status["reason"], status["code"]) == (
        "Status", "v1", "Failure", "Expired", 410)
    assert status["message"].startswith(f"too old resource version: {stale_rv} (")
    # What the history still holds is resumable.
    recent = await rawapi.call(fresh_sandbox, "GET", path)
    latest_rv = recent.json()["metadata"]["resourceVersion"]
    assert await events(fresh_sandbox, path, {"resourceVersion": latest_rv, "timeoutSeconds": "1"}, 5) == []


@pytest.mark.kubectl
def test_kubectl_prints_the_expired_watch(fresh_sandbox: SandboxEnv) -> None:
    kubelet.on_loop(fresh_sandbox, lambda: fresh_sandbox.cluster.store.set_history_limit(2))
    for index in range(4):
        kubelet.create(fresh_sandbox, "v1", "configmaps", "default", configmap(f"c{index}"))
    binary = kubectl.discover()[0]
    result = binary.run(fresh_sandbox.kubeconfig, fresh_sandbox.cache_dir, "get", "--raw",
                        "/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=2")
    assert result.returncode == 0, result.stderr
    line = json.loads(result.stdout.splitlines()[0])
    assert (line["type"], line["object"]["code"], line["object"]["reason"]) == ("ERROR", 410, "Expired")


async def test_bookmarks_carry_the_current_resource_version(sandbox: SandboxEnv, namespace: str,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(watch_handler, "BOOKMARK_INTERVAL", 0.3)
    path = f"/api/v1/namespaces/{namespace}/configmaps"
    made = await create(sandbox, namespace, configmap("marked"))
    found = await events(sandbox, path, {"resourceVersion": made["metadata"]["resourceVersion"],
                                         "allowWatchBookmarks": "true", "timeoutSeconds": "3"}, 1)
    assert found[0]["type"] == "BOOKMARK"
    bookmark = found[0]["object"]
    assert (bookmark["kind"], bookmark["apiVersion"]) == ("ConfigMap", "v1")
    assert isinstance(bookmark["metadata"]["resourceVersion"], str)
    assert int(bookmark["metadata"]["resourceVersion"]) >= int(made["metadata"]["resourceVersion"])
    plain = await events(sandbox, path, {"resourceVersion": made["metadata"]["resourceVersion"],
                                         "timeoutSeconds": "1"}, 1)
    assert plain == []


async def test_timeout_seconds_ends_the_stream(sandbox: SandboxEnv, namespace: str) -> None:
    started = time.monotonic()
    found = await events(sandbox, f"/api/v1/namespaces/{namespace}/pods", {"timeoutSeconds": "1"}, 100)
    elapsed = time.monotonic() - started
    assert found == []
    assert 0.9 <= elapsed < 5


async def test_send_initial_events(sandbox: SandboxEnv, namespace: str) -> None:
    path = f"/api/v1/namespaces/{namespace}/configmaps"
    await create(sandbox, namespace, configmap("a", tier="x"))
    await create(sandbox, namespace, configmap("b", tier="x"))
    found = await events(sandbox, path, {"sendInitialEvents": "true", "resourceVersionMatch": "NotOlderThan",
                                         "allowWatchBookmarks": "true", "labelSelector": "tier=x"}, 3)
    assert [(e["type"], e["object"]["metadata"].get("name")) for e in found] == [
        ("ADDED", "a"), ("ADDED", "b"), ("BOOKMARK", None)]
    assert found[2]["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}


@pytest.mark.parametrize(("params", "message"), [
    ({"sendInitialEvents": "true"},
     'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: sendInitialEvents requires setting '
     "resourceVersionMatch to NotOlderThan"),
    ({"resourceVersionMatch": "NotOlderThan"},
     'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden '
     "for watch unless sendInitialEvents is provided"),
    ({"sendInitialEvents": "true", "resourceVersionMatch": "Exact"},
     'ListOptions.meta.k8s.io "" is invalid: [resourceVersionMatch: Forbidden: sendInitialEvents requires setting '
     'resourceVersionMatch to NotOlderThan, resourceVersionMatch: Unsupported value: "Exact": supported values: '
     '"NotOlderThan"]'),
])
async def test_watch_option_rules(sandbox: SandboxEnv, params: dict[str, str], message: str) -> None:
    reply = await rawapi.call(sandbox, "GET", "/api/v1/configmaps", params={"watch": "true", **params})
    assert reply.status == 422
    body = reply.json()
    assert (body["reason"], body["message"], body["details"]["kind"]) == ("Invalid", message, "ListOptions")


async def test_watch_moves_objects_in_and_out_of_a_selector(sandbox: SandboxEnv, namespace: str) -> None:
    path = f"/api/v1/namespaces/{namespace}/configmaps"
    made = await create(sandbox, namespace, configmap("mover"))
    rv = made["metadata"]["resourceVersion"]
    for labels in ({"watched": "yes"}, {"watched": "no"}):
        reply = await rawapi.call(sandbox, "PATCH", f"{path}/mover", {"metadata": {"labels": labels}},
                                  content_type="application/merge-patch+json")
        assert reply.status == 200
    found = await events(sandbox, path, {"resourceVersion": rv, "labelSelector": "watched=yes",
                                         "timeoutSeconds": "1"}, 5)
    assert [e["type"] for e in found] == ["ADDED", "DELETED"]

