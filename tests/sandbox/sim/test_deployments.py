"""Deployments, ReplicaSets, StatefulSets and DaemonSets through kubectl: rolling updates with revisions,
`rollout status|history|undo`, Recreate, ProgressDeadlineExceeded, ordinal StatefulSet pods with their claims,
and one DaemonSet pod per eligible node."""

from __future__ import annotations

import re

import pytest

from tests.sandbox.sim.conftest import Sim, condition, deployment, table


def _available(sim: Sim, namespace: str, name: str, replicas: int) -> bool:
    found = sim.store_get("apps/deployments", namespace, name) or {}
    status = found.get("status") or {}
    return status.get("observedGeneration") == found.get("metadata", {}).get("generation") \
        and status.get("updatedReplicas") == replicas and status.get("availableReplicas") == replicas \
        and status.get("replicas") == replicas


def test_rolling_update_history_and_undo(sim: Sim, ns: str) -> None:
    sim.apply(ns, deployment("web", replicas=4))
    status = sim.ok("-n", ns, "rollout", "status", "deployment/web", "--timeout=60s")
    assert 'deployment "web" successfully rolled out' in status
    first_rs = sim.get_json("-n", ns, "rs")["items"]
    assert len(first_rs) == 1
    first_hash = first_rs[0]["metadata"]["labels"]["pod-template-hash"]
    assert first_rs[0]["metadata"]["name"] == f"web-{first_hash}"
    assert re.fullmatch(r"[bcdfghjklmnpqrstvwxz2456789]{5,10}", first_hash)
    assert first_rs[0]["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"

    sim.ok("-n", ns, "set", "image", "deployment/web", "app=nginx:1.27")
    status = sim.ok("-n", ns, "rollout", "status", "deployment/web", "--timeout=90s")
    assert 'deployment "web" successfully rolled out' in status
    rows = {row["NAME"]: row for row in table(sim.ok("-n", ns, "get", "rs"))}
    assert len(rows) == 2
    new = [name for name, row in rows.items() if row["DESIRED"] == "4"]
    assert len(new) == 1 and rows[f"web-{first_hash}"]["DESIRED"] == "0"
    history = sim.ok("-n", ns, "rollout", "history", "deployment/web")
    assert re.search(r"REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>", history)
    events = [e["message"] for e in sim.get_json("-n", ns, "events", "--field-selector",
                                                 "involvedObject.kind=Deployment")["items"]]
    assert f"Scaled up replica set {new[0]} to 1" in events
    assert f"Scaled down replica set web-{first_hash} to 3" in events

    undone = sim.ok("-n", ns, "rollout", "undo", "deployment/web")
    assert undone.strip() == "deployment.apps/web rolled back"
    sim.wait("the rollback", lambda: _available(sim, ns, "web", 4) and (sim.store_get(
        "apps/replicasets", ns, f"web-{first_hash}") or {}).get("status", {}).get("availableReplicas") == 4, 90)
    image = sim.ok("-n", ns, "get", "deployment", "web", "-o", "jsonpath={.spec.template.spec.containers[0].image}")
    assert image == "nginx:1.25"
    old = sim.get_json("-n", ns, "rs", f"web-{first_hash}")
    assert old["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"
    assert old["metadata"]["annotations"]["deployment.kubernetes.io/revision-history"] == "1"
    history = sim.ok("-n", ns, "rollout", "history", "deployment/web")
    assert re.search(r"REVISION\s+CHANGE-CAUSE\n2\s+<none>\n3\s+<none>", history)
    described = sim.ok("-n", ns, "describe", "deployment", "web")
    assert "Replicas:               4 desired | 4 updated | 4 total | 4 available | 0 unavailable" in described
    assert re.search(r"Available\s+True\s+MinimumReplicasAvailable", described)
    assert re.search(r"Progressing\s+True\s+NewReplicaSetAvailable", described)
    assert re.search(rf"NewReplicaSet:\s+web-{first_hash} \(4/4 replicas created\)", described)


def test_recreate_replaces_all_pods(sim: Sim, ns: str) -> None:
    sim.apply(ns, deployment("batch", replicas=2, strategy={"type": "Recreate"}))
    sim.ok("-n", ns, "rollout", "status", "deployment/batch", "--timeout=60s")
    sim.ok("-n", ns, "set", "image", "deployment/batch", "app=nginx:1.27")
    sim.ok("-n", ns, "rollout", "status", "deployment/batch", "--timeout=90s")
    images = {pod["spec"]["containers"][0]["image"] for pod in sim.pods(ns, "batch-")}
    assert images == {"nginx:1.27"}
    messages = [e["message"] for e in sim.store_list("events", ns) if e["reason"] == "ScalingReplicaSet"]
    down = next(i for i, m in enumerate(messages) if "Scaled down" in m and m.endswith("to 0"))
    up = next(i for i, m in enumerate(messages) if "Scaled up" in m and "nginx" not in m and i > 0)
    assert down < up


def test_progress_deadline_exceeded(sim: Sim, ns: str) -> None:
    sim.apply(ns, deployment("stuck", image="nginx:does-not-exist", progressDeadlineSeconds=60))
    result = sim.kubectl("-n", ns, "rollout", "status", "deployment/stuck", "--timeout=60s")
    assert result.returncode == 1
    assert 'error: deployment "stuck" exceeded its progress deadline' in result.stderr
    found = sim.get_json("-n", ns, "deployment", "stuck")
    progressing = condition(found, "Progressing")
    assert progressing is not None and progressing["status"] == "False"
    assert progressing["reason"] == "ProgressDeadlineExceeded"
    assert re.fullmatch(r'ReplicaSet "stuck-\w+" has timed out progressing\.', progressing["message"])
    available = condition(found, "Available")
    assert available is not None and available["message"] == "Deployment does not have minimum availability."
    assert found["status"]["unavailableReplicas"] == 1 and "availableReplicas" not in found["status"]


def test_statefulset_starts_in_order_with_claims(sim: Sim, ns: str) -> None:
    sim.apply(ns, {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "db"},
                   "spec": {"clusterIP": "None", "selector": {"app": "db"}, "ports": [{"port": 5432}]}})
    sim.apply(ns, {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
                   "spec": {"serviceName": "db", "replicas": 3, "selector": {"matchLabels": {"app": "db"}},
                            "template": {"metadata": {"labels": {"app": "db"}}, "spec": {"containers": [
                                {"name": "postgres", "image": "postgres:16",
                                 "readinessProbe": {"tcpSocket": {"port": 5432}},
                                 "volumeMounts": [{"name": "data", "mountPath": "/var/lib/postgresql"}]}]}},
                            "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
                                "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]}})
    sim.ok("-n", ns, "rollout", "status", "statefulset/db", "--timeout=90s")
    pods = {pod["metadata"]["name"]: pod for pod in sim.pods(ns, "db-")}
    assert sorted(pods) == ["db-0", "db-1", "db-2"]
    for index in (1, 2):
        previous_ready = condition(pods[f"db-{index - 1}"], "Ready")
        assert previous_ready is not None
        assert pods[f"db-{index}"]["metadata"]["creationTimestamp"] >= previous_ready["lastTransitionTime"]
        assert pods[f"db-{index}"]["spec"]["hostname"] == f"db-{index}"
    claims = table(sim.ok("-n", ns, "get", "pvc"))
    assert [(row["NAME"], row["STATUS"], row["CAPACITY"], row["STORAGECLASS"]) for row in claims] == [
        (f"data-db-{i}", "Bound", "1Gi", "standard") for i in range(3)]
    events = [e["message"] for e in sim.store_list("events", ns) if e["involvedObject"]["kind"] == "StatefulSet"]
    assert "create Claim data-db-0 Pod db-0 in StatefulSet db success" in events
    assert "create Pod db-2 in StatefulSet db successful" in events
    sim.ok("-n", ns, "scale", "statefulset/db", "--replicas=1")
    sim.wait("scale down to db-0", lambda: sorted(p["metadata"]["name"] for p in sim.pods(ns, "db-")) == ["db-0"],
             60)
    assert len(sim.store_list("persistentvolumeclaims", ns)) == 3  # claims are retained


def test_daemonset_runs_one_pod_per_eligible_node(sim: Sim, ns: str) -> None:
    sim.apply(ns, {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
                   "spec": {"selector": {"matchLabels": {"app": "agent"}}, "template": {
                       "metadata": {"labels": {"app": "agent"}},
                       "spec": {"nodeSelector": {"topology.kubernetes.io/zone": "zone-a"},
                                "containers": [{"name": "agent", "image": "fluent/fluent-bit:3.0"}]}}}})
    sim.ok("-n", ns, "rollout", "status", "daemonset/agent", "--timeout=60s")
    rows = table(sim.ok("-n", ns, "get", "ds"))
    assert rows[0]["DESIRED"] == "1" and rows[0]["READY"] == "1" and rows[0]["AVAILABLE"] == "1"
    sim.ok("-n", ns, "patch", "ds", "agent", "--type=json", "-p",
           '[{"op": "remove", "path": "/spec/template/spec/nodeSelector"}]')
    sim.ok("-n", ns, "rollout", "status", "daemonset/agent", "--timeout=60s")
    nodes = sorted(pod["spec"]["nodeName"] for pod in sim.pods(ns, "agent-") if not pod["metadata"].get(
        "deletionTimestamp"))
    assert nodes == ["worker-0", "worker-1", "worker-2"]
    tolerations = {(t["key"], t["effect"]) for t in sim.pods(ns, "agent-")[0]["spec"]["tolerations"]}
    assert ("node.kubernetes.io/unschedulable", "NoSchedule") in tolerations


@pytest.mark.parametrize("replicas", [0, 2])
def test_scale_subresource_moves_replicas(sim: Sim, ns: str, replicas: int) -> None:
    sim.apply(ns, deployment("scaled", replicas=1))
    sim.ok("-n", ns, "rollout", "status", "deployment/scaled", "--timeout=60s")
    sim.ok("-n", ns, "scale", "deployment/scaled", f"--replicas={replicas}")
    sim.wait(f"{replicas} pods", lambda: len([p for p in sim.pods(ns, "scaled-")
                                              if not p["metadata"].get("deletionTimestamp")]) == replicas, 60)
    rows = table(sim.ok("-n", ns, "get", "deployment"))
    sim.wait("the deployment status", lambda: table(sim.ok("-n", ns, "get", "deployment"))[0]["READY"]
             == f"{replicas}/{replicas}", 60)
    assert rows[0]["NAME"] == "scaled"
