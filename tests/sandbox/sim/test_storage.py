"""PersistentVolumeClaims and volumes through kubectl: Immediate and WaitForFirstConsumer binding, a claim
naming a missing StorageClass (ProvisioningFailed), and a Retain volume Released when its claim goes."""

from __future__ import annotations

import re

from tests.sandbox.sim.conftest import Sim, table


def _claim(name: str, storage_class: str | None, size: str = "1Gi") -> dict[str, object]:
    spec: dict[str, object] = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}}
    if storage_class is not None:
        spec["storageClassName"] = storage_class
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name}, "spec": spec}


def _phase(sim: Sim, ns: str, name: str) -> str | None:
    return ((sim.store_get("persistentvolumeclaims", ns, name) or {}).get("status") or {}).get("phase")


def test_claim_for_a_missing_class_stays_pending(sim: Sim, ns: str) -> None:
    sim.apply(ns, _claim("orphan", "standard-v2"))
    sim.wait("ProvisioningFailed", lambda: any(e["reason"] == "ProvisioningFailed"
                                               for e in sim.store_list("events", ns)), 30)
    rows = table(sim.ok("-n", ns, "get", "pvc"))
    assert rows[0]["STATUS"] == "Pending" and rows[0]["STORAGECLASS"] == "standard-v2"
    text = sim.ok("-n", ns, "describe", "pvc", "orphan")
    assert re.search(r"Status:\s+Pending", text)
    assert re.search(r"Finalizers:\s+\[kubernetes.io/pvc-protection\]", text)
    assert re.search(r"Warning\s+ProvisioningFailed\s+\S+\s+persistentvolume-controller\s+"
                     r"storageclass.storage.k8s.io \"standard-v2\" not found", text)
    sim.apply(ns, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "user"}, "spec": {
        "containers": [{"name": "app", "image": "redis:7"}],
        "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "orphan"}}]}})
    message = sim.wait("FailedScheduling", lambda: next((e["message"] for e in sim.store_list("events", ns)
                                                         if e["reason"] == "FailedScheduling"), None), 30)
    assert message == ("0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/3 "
                       "nodes are available: 3 Preemption is not helpful for scheduling.")


def test_wait_for_first_consumer_binds_when_the_pod_is_scheduled(sim: Sim, ns: str) -> None:
    sim.apply(ns, _claim("data", None))
    sim.wait("WaitForFirstConsumer", lambda: any(e["reason"] == "WaitForFirstConsumer"
                                                 for e in sim.store_list("events", ns)), 30)
    assert _phase(sim, ns, "data") == "Pending"
    sim.apply(ns, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "db"}, "spec": {
        "containers": [{"name": "db", "image": "postgres:16"}],
        "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}]}})
    sim.wait("Bound", lambda: _phase(sim, ns, "data") == "Bound", 60)
    sim.wait("Running", lambda: (sim.store_get("pods", ns, "db") or {}).get("status", {}).get("phase")
             == "Running", 60)
    claim = sim.get_json("-n", ns, "pvc", "data")
    node = sim.store_get("pods", ns, "db")["spec"]["nodeName"]  # type: ignore[index]
    assert claim["metadata"]["annotations"]["volume.kubernetes.io/selected-node"] == node
    volume = sim.get_json("pv", claim["spec"]["volumeName"])
    assert volume["spec"]["claimRef"]["name"] == "data" and volume["status"]["phase"] == "Bound"
    assert volume["metadata"]["annotations"]["pv.kubernetes.io/provisioned-by"] == "rancher.io/local-path"
    text = sim.ok("-n", ns, "describe", "pvc", "data")
    assert re.search(r"Used By:\s+db", text)
    assert re.search(r"Normal\s+ProvisioningSucceeded\s+.*Successfully provisioned volume pvc-", text)


def test_retained_volume_is_released(sim: Sim, ns: str) -> None:
    sim.on_loop(lambda: sim.env.cluster.objects.create(
        next(iter(sim.env.cluster.registry.versions_of("storage.k8s.io/storageclasses"))), "",
        {"metadata": {"name": f"keep-{ns}"}, "provisioner": "ebs.csi.aws.com", "reclaimPolicy": "Retain"},
        __import__("kubegenie.sandbox.objects", fromlist=["WriteOptions"]).WriteOptions()))
    sim.apply(ns, _claim("archive", f"keep-{ns}"))
    sim.wait("Bound", lambda: _phase(sim, ns, "archive") == "Bound", 30)
    volume_name = sim.get_json("-n", ns, "pvc", "archive")["spec"]["volumeName"]
    assert sim.get_json("pv", volume_name)["spec"]["csi"]["driver"] == "ebs.csi.aws.com"
    deleted = sim.ok("-n", ns, "delete", "pvc", "archive")
    assert deleted.strip() == 'persistentvolumeclaim "archive" deleted'
    sim.wait("Released", lambda: ((sim.store_get("persistentvolumes", "", volume_name) or {}).get("status") or {})
             .get("phase") == "Released", 30)
    rows = {row["NAME"]: row for row in table(sim.ok("get", "pv"))}
    assert rows[volume_name]["STATUS"] == "Released" and rows[volume_name]["RECLAIM POLICY"] == "Retain"
    assert rows[volume_name]["CLAIM"] == f"{ns}/archive"
