"""Admission as controllers meet it on a real cluster: ResourceQuota refusals (403 with upstream's texts), the
quota controller's status, replenishment when pods go; pods naming a ServiceAccount that does not exist; the
ReplicaSet's FailedCreate events and ReplicaFailure condition (moved to its Deployment), a StatefulSet's
FailedCreate; and pods held by scheduling gates until the gates are removed."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.sandbox.sim.conftest import Sim, condition, deployment, table


def _quota(name: str, hard: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": name}, "spec": {"hard": hard}}


def _replica_set(sim: Sim, namespace: str, prefix: str) -> dict[str, Any] | None:
    found = [rs for rs in sim.store_list("apps/replicasets", namespace) if rs["metadata"]["name"].startswith(prefix)]
    return found[0] if found else None


def _failure(sim: Sim, namespace: str, prefix: str) -> dict[str, Any] | None:
    return condition(_replica_set(sim, namespace, prefix) or {}, "ReplicaFailure")


def _messages(sim: Sim, namespace: str, reason: str) -> list[str]:
    return [e["message"] for e in sim.store_list("events", namespace) if e["reason"] == reason]


def _used(sim: Sim, namespace: str, name: str) -> dict[str, str]:
    return dict(((sim.store_get("resourcequotas", namespace, name) or {}).get("status") or {}).get("used") or {})


def test_quota_refuses_over_the_limit_and_frees_what_pods_release(sim: Sim, ns: str) -> None:
    sim.apply(ns, _quota("compute", {"pods": "2", "requests.cpu": "1", "requests.memory": "1Gi"}))
    assert sim.wait("the quota controller's status", lambda: _used(sim, ns, "compute") or None, 30) == {
        "pods": "0", "requests.cpu": "0", "requests.memory": "0"}
    web = deployment("web", replicas=3, container={"resources": {"requests": {"cpu": "300m", "memory": "256Mi"}}})
    sim.apply(ns, web)
    failure = sim.wait("ReplicaFailure on the ReplicaSet", lambda: _failure(sim, ns, "web-"), 60)
    assert failure["status"] == "True" and failure["reason"] == "FailedCreate"
    assert re.fullmatch(r'pods "web-\w+-\w{5}" is forbidden: exceeded quota: compute, requested: pods=1, used: '
                        r"pods=2, limited: pods=2", failure["message"]), failure["message"]
    assert any(re.fullmatch(r'Error creating: pods "web-\w+-\w{5}" is forbidden: exceeded quota: compute, requested: '
                            r"pods=1, used: pods=2, limited: pods=2", message)
               for message in _messages(sim, ns, "FailedCreate"))
    assert _used(sim, ns, "compute") == {"pods": "2", "requests.cpu": "600m", "requests.memory": "512Mi"}
    rs = _replica_set(sim, ns, "web-")
    assert rs is not None and rs["status"]["replicas"] == 2
    moved = sim.wait("ReplicaFailure on the Deployment", lambda: condition(
        sim.store_get("apps/deployments", ns, "web") or {}, "ReplicaFailure"), 30)
    assert (moved["reason"], moved["message"]) == ("FailedCreate", failure["message"])
    described = sim.ok("-n", ns, "describe", "quota", "compute")
    assert re.search(r"^requests\.cpu\s+600m\s+1\s*$", described, re.MULTILINE), described

    bare = sim.kubectl("-n", ns, "run", "bare", "--image=busybox:1.36", "--restart=Never")
    assert bare.returncode == 1
    assert 'Error from server (Forbidden): pods "bare" is forbidden: failed quota: compute: must specify ' \
           "requests.cpu for: bare; requests.memory for: bare" in bare.stderr

    sim.ok("-n", ns, "scale", "deployment", "web", "--replicas=1")
    assert sim.wait("the freed quota", lambda: _used(sim, ns, "compute").get("pods") == "1" or None, 60)
    assert sim.wait("ReplicaFailure to clear", lambda: _failure(sim, ns, "web-") is None or None, 60)
    sim.ok("-n", ns, "scale", "deployment", "web", "--replicas=2")
    assert sim.wait("a second pod admitted", lambda: len(sim.pods(ns, "web-")) == 2 or None, 60)
    assert sim.wait("the quota charged", lambda: _used(sim, ns, "compute").get("requests.cpu") == "600m" or None, 60)


def test_pods_must_name_a_service_account_that_exists(sim: Sim, ns: str) -> None:
    overrides = json.dumps({"spec": {"serviceAccountName": "robot"}})
    refused = sim.kubectl("-n", ns, "run", "probe", "--image=busybox:1.36", f"--overrides={overrides}")
    assert refused.returncode == 1
    assert f'Error from server (Forbidden): pods "probe" is forbidden: error looking up service account {ns}/robot: ' \
           'serviceaccount "robot" not found' in refused.stderr
    robot = deployment("robot-app", replicas=1)
    robot["spec"]["template"]["spec"]["serviceAccountName"] = "robot"
    sim.apply(ns, robot)
    failure = sim.wait("ReplicaFailure", lambda: _failure(sim, ns, "robot-app-"), 60)
    assert re.fullmatch(rf'pods "robot-app-\w+-" is forbidden: error looking up service account {ns}/robot: '
                        r'serviceaccount "robot" not found', failure["message"]), failure["message"]
    rows = table(sim.ok("-n", ns, "get", "rs"))
    assert [(row["DESIRED"], row["CURRENT"], row["READY"]) for row in rows] == [("1", "0", "0")]
    sim.apply(ns, {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "robot"}})
    pods = sim.wait("the pod once its ServiceAccount exists", lambda: sim.pods(ns, "robot-app-") or None, 600)
    assert pods[0]["spec"]["serviceAccountName"] == "robot"


def test_a_stateful_set_reports_a_refused_pod(sim: Sim, ns: str) -> None:
    sts = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"}, "spec": {
        "serviceName": "db", "replicas": 1, "selector": {"matchLabels": {"app": "db"}},
        "template": {"metadata": {"labels": {"app": "db"}}, "spec": {
            "serviceAccountName": "db-operator", "containers": [{"name": "db", "image": "postgres:16.4"}]}}}}
    sim.apply(ns, sts)

    def refused() -> list[str] | None:
        return _messages(sim, ns, "FailedCreate") or None

    messages = sim.wait("FailedCreate on the StatefulSet", refused, 60)
    assert messages[0] == f'create Pod db-0 in StatefulSet db failed error: pods "db-0" is forbidden: error looking ' \
                          f'up service account {ns}/db-operator: serviceaccount "db-operator" not found'
    assert sim.store_get("pods", ns, "db-0") is None
    sim.apply(ns, {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "db-operator"}})
    assert sim.wait("db-0 once its ServiceAccount exists", lambda: sim.store_get("pods", ns, "db-0"), 600)


def test_scheduling_gates_hold_a_pod_until_removed(sim: Sim, ns: str) -> None:
    sim.apply(ns, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "gated"}, "spec": {
        "schedulingGates": [{"name": "example.com/approval"}], "containers": [{"name": "app", "image": "nginx:1.25"}]}})
    pod = sim.store_get("pods", ns, "gated")
    assert pod is not None
    scheduled = condition(pod, "PodScheduled")
    assert scheduled is not None and (scheduled["status"], scheduled["reason"], scheduled["message"]) == (
        "False", "SchedulingGated", "Scheduling is blocked due to non-empty scheduling gates")
    rows = {row["NAME"]: row for row in table(sim.ok("-n", ns, "get", "pods"))}
    assert (rows["gated"]["READY"], rows["gated"]["STATUS"]) == ("0/1", "SchedulingGated")
    assert not _messages(sim, ns, "FailedScheduling")
    sim.ok("-n", ns, "patch", "pod", "gated", "--type=json", "-p",
           '[{"op": "remove", "path": "/spec/schedulingGates"}]')

    def running() -> dict[str, Any] | None:
        found = sim.store_get("pods", ns, "gated") or {}
        return found if (found.get("status") or {}).get("phase") == "Running" else None

    started = sim.wait("the pod to run once its gates are gone", running, 60)
    assert (condition(started, "PodScheduled") or {}).get("status") == "True"
    assert started["spec"].get("nodeName")
