"""The pod subresources schedulers and drains POST: pods/eviction against PodDisruptionBudgets computed from
the live pods, and pods/binding (and the `bindings` resource) that assign a pod to a node."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import kubelet, rawapi
from tests.support.sandbox import SandboxEnv

BLOCKED = "Cannot evict pod as it would violate the pod's disruption budget."


def eviction(name: str, namespace: str, **delete_options: Any) -> dict[str, Any]:
    return {"kind": "Eviction", "apiVersion": "policy/v1", "metadata": {"name": name, "namespace": namespace},
            "deleteOptions": delete_options}


def pdb(sandbox: SandboxEnv, namespace: str, name: str, labels: dict[str, str], **spec: Any) -> None:
    kubelet.create(sandbox, "policy/v1", "poddisruptionbudgets", namespace,
                   {"metadata": {"name": name}, "spec": {"selector": {"matchLabels": labels}, **spec}})


async def evict(sandbox: SandboxEnv, namespace: str, name: str, **options: Any) -> rawapi.Reply:
    return await rawapi.call(sandbox, "POST", f"/api/v1/namespaces/{namespace}/pods/{name}/eviction",
                             eviction(name, namespace, **options))


def replicaset(sandbox: SandboxEnv, namespace: str, name: str, replicas: int, labels: dict[str, str]) -> Any:
    return kubelet.create(sandbox, "apps/v1", "replicasets", namespace, {
        "metadata": {"name": name, "labels": labels},
        "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                 "template": {"metadata": {"labels": labels},
                              "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}}}})


async def test_eviction_without_a_budget_deletes_the_pod(sandbox: SandboxEnv, namespace: str) -> None:
    kubelet.run_pod(sandbox, namespace, "free")
    reply = await evict(sandbox, namespace, "free")
    assert reply.status == 201
    assert reply.json() == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}
    gone = await rawapi.call(sandbox, "GET", f"/api/v1/namespaces/{namespace}/pods/free")
    assert gone.status == 404


async def test_min_available_blocks_then_allows(sandbox: SandboxEnv, namespace: str) -> None:
    labels = {"app": "db"}
    for index in (1, 2, 3):
        kubelet.run_pod(sandbox, namespace, f"db-{index}", labels=labels)
    pdb(sandbox, namespace, "db-pdb", labels, minAvailable=2)
    first = await evict(sandbox, namespace, "db-1")
    assert first.status == 201
    blocked = await evict(sandbox, namespace, "db-2")
    assert blocked.status == 429
    body = blocked.json()
    assert body == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": BLOCKED,
                    "reason": "TooManyRequests",
                    "details": {"causes": [{"reason": "DisruptionBudget",
                                            "message": "The disruption budget db-pdb needs 2 healthy pods and has 2 "
                                                       "currently"}]},
                    "code": 429}
    still_there = await rawapi.call(sandbox, "GET", f"/api/v1/namespaces/{namespace}/pods/db-2")
    assert still_there.status == 200


async def test_percentages_count_the_controllers_replicas(sandbox: SandboxEnv, namespace: str) -> None:
    labels = {"app": "api"}
    owner = replicaset(sandbox, namespace, "api-rs", 4, labels)
    # Four replicas wanted, three running and Ready: 50% maxUnavailable allows one more disruption only.
    for index in (1, 2, 3):
        kubelet.run_pod(sandbox, namespace, f"api-{index}", labels=labels, owner=owner)
    pdb(sandbox, namespace, "api-pdb", labels, maxUnavailable="50%")
    assert (await evict(sandbox, namespace, "api-1")).status == 201
    blocked = await evict(sandbox, namespace, "api-2")
    assert blocked.status == 429
    assert blocked.json()["details"]["causes"][0]["message"] == ("The disruption budget api-pdb needs 2 healthy "
                                                                 "pods and has 2 currently")


async def test_unready_pods_and_pending_pods(sandbox: SandboxEnv, namespace: str) -> None:
    labels = {"app": "cache"}
    kubelet.run_pod(sandbox, namespace, "cache-1", labels=labels)
    kubelet.run_pod(sandbox, namespace, "cache-2", labels=labels, ready=False)
    kubelet.run_pod(sandbox, namespace, "cache-3", labels=labels, phase="Pending")
    pdb(sandbox, namespace, "cache-pdb", labels, minAvailable=1)
    # The budget is met by the Ready pod, so the unready one may go without spending it.
    assert (await evict(sandbox, namespace, "cache-2")).status == 201
    # A pending pod never counted toward the budget.
    assert (await evict(sandbox, namespace, "cache-3")).status == 201
    assert (await evict(sandbox, namespace, "cache-1")).status == 429


async def test_unhealthy_pod_eviction_policy_always_allow(sandbox: SandboxEnv, namespace: str) -> None:
    labels = {"app": "q"}
    kubelet.run_pod(sandbox, namespace, "q-1", labels=labels, ready=False)
    pdb(sandbox, namespace, "q-pdb", labels, minAvailable=1)
    assert (await evict(sandbox, namespace, "q-1")).status == 429
    pdb(sandbox, namespace, "q-pdb-2", {"app": "q2"}, minAvailable=1, unhealthyPodEvictionPolicy="AlwaysAllow")
    kubelet.run_pod(sandbox, namespace, "q2-1", labels={"app": "q2"}, ready=False)
    assert (await evict(sandbox, namespace, "q2-1")).status == 201


async def test_two_budgets_are_refused(sandbox: SandboxEnv, namespace: str) -> None:
    labels = {"app": "dup"}
    kubelet.run_pod(sandbox, namespace, "dup-1", labels=labels)
    pdb(sandbox, namespace, "one", labels, maxUnavailable=1)
    pdb(sandbox, namespace, "two", labels, maxUnavailable=1)
    reply = await evict(sandbox, namespace, "dup-1")
    assert (reply.status, reply.json()["message"]) == (429, "This pod has more than one PodDisruptionBudget, "
                                                            "which the eviction subresource does not support.")


async def test_dry_run_and_preconditions(sandbox: SandboxEnv, namespace: str) -> None:
    kubelet.run_pod(sandbox, namespace, "keep")
    dry = await evict(sandbox, namespace, "keep", dryRun=["All"])
    assert dry.status == 201
    assert (await rawapi.call(sandbox, "GET", f"/api/v1/namespaces/{namespace}/pods/keep")).status == 200
    stale = await evict(sandbox, namespace, "keep", preconditions={"uid": "not-the-uid"})
    assert stale.status == 409
    assert stale.json()["reason"] == "Conflict"


@pytest.mark.parametrize(("body", "code", "message"), [
    ({"kind": "Eviction", "apiVersion": "policy/v1", "metadata": {"name": "other"}}, 400,
     "name in URL does not match name in Eviction object"),
    ({"kind": "Deployment", "apiVersion": "policy/v1", "metadata": {"name": "target"}}, 400,
     "the kind in the data (Deployment) does not match the expected kind (Eviction)"),
    ({"kind": "Eviction", "apiVersion": "apps/v1", "metadata": {"name": "target"}}, 400,
     "the API version in the data (apps/v1) does not match the expected API version (policy/v1)"),
])
async def test_malformed_evictions(sandbox: SandboxEnv, namespace: str, body: dict[str, Any], code: int,
                                   message: str) -> None:
    kubelet.run_pod(sandbox, namespace, "target")
    reply = await rawapi.call(sandbox, "POST", f"/api/v1/namespaces/{namespace}/pods/target/eviction", body)
    assert (reply.status, reply.json()["message"]) == (code, message)


async def test_evicting_a_missing_pod(sandbox: SandboxEnv, namespace: str) -> None:
    reply = await evict(sandbox, namespace, "ghost")
    assert (reply.status, reply.json()["message"]) == (404, 'pods "ghost" not found')


# --- binding ----------------------------------------------------------------------------------------------


def binding(name: str, node: str, **extra: Any) -> dict[str, Any]:
    return {"kind": "Binding", "apiVersion": "v1", "metadata": {"name": name, **extra},
            "target": {"kind": "Node", "name": node}}


async def test_binding_assigns_the_node_and_marks_the_pod_scheduled(sandbox: SandboxEnv, namespace: str) -> None:
    kubelet.run_pod(sandbox, namespace, "unbound", node=None)
    reply = await rawapi.call(sandbox, "POST", f"/api/v1/namespaces/{namespace}/pods/unbound/binding",
                              binding("unbound", "node-7", annotations={"scheduler.example/score": "9"}))
    assert reply.status == 201
    assert reply.json() == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}
    pod = (await rawapi.call(sandbox, "GET", f"/api/v1/namespaces/{namespace}/pods/unbound")).json()
    assert pod["spec"]["nodeName"] == "node-7"
    assert pod["metadata"]["annotations"]["scheduler.example/score"] == "9"
    scheduled = [c for c in pod["status"]["conditions"] if c["type"] == "PodScheduled"]
    assert [(c["status"], bool(c["lastTransitionTime"])) for c in scheduled] == [("True", True)]
    again = await rawapi.call(sandbox, "POST", f"/api/v1/namespaces/{namespace}/pods/unbound/binding",
                              binding("unbound", "node-8"))
    assert again.status == 409
    assert again.json()["message"] == ('Operation cannot be fulfilled on pods/binding "unbound": pod unbound is '
                                       'already assigned to node "node-7"')


async def test_bindings_resource_and_its_errors(sandbox: SandboxEnv, namespace: str) -> None:
    kubelet.run_pod(sandbox, namespace, "viaresource", node=None)
    created = await rawapi.call(sandbox, "POST", f"/api/v1/namespaces/{namespace}/bindings",
                                binding("viaresource", "node-3"))
    assert created.status == 201
    pod = (await rawapi.call(sandbox, "GET", f"/api/v1/namespaces/{namespace}/pods/viaresource")).json()
    assert pod["spec"]["nodeName"] == "node-3"
    no_target = await rawapi.call(sandbox, "POST", f"/api/v1/namespaces/{namespace}/pods/viaresource/binding",
                                  {"kind": "Binding", "apiVersion": "v1", "metadata": {"name": "viaresource"},
                                   "target": {"kind": "Pod"}})
    assert no_target.status == 422
    assert no_target.json()["message"] == ('Binding "viaresource" is invalid: [target.kind: Unsupported value: '
                                           '"Pod": supported values: "Node", "<empty>", target.name: Required '
                                           "value]")
    missing = await rawapi.call(sandbox, "POST", f"/api/v1/namespaces/{namespace}/bindings",
                                binding("nobody", "node-3"))
    assert (missing.status, missing.json()["message"]) == (404, 'pods "nobody" not found')
    mismatch = await rawapi.call(sandbox, "POST", f"/api/v1/namespaces/{namespace}/pods/viaresource/binding",
                                 binding("someone-else", "node-3"))
    assert (mismatch.status, mismatch.json()["message"]) == (400, "name in URL does not match name in Binding "
                                                                  "object")
