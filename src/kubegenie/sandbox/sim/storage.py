"""The persistent-volume controller and a CSI-style provisioner: claims bind to a matching Available volume
or get one provisioned from their StorageClass (at once for Immediate, once the scheduler picked a node for
WaitForFirstConsumer), a claim naming a missing class stays Pending with `ProvisioningFailed`, and a volume
whose claim is deleted is Released (Retain) or deleted (Delete). The pvc/pv-protection finalizers keep
volumes that are in use.
"""

from __future__ import annotations

import hashlib
import uuid
from decimal import Decimal
from typing import TYPE_CHECKING

from kubegenie.domain import quantity
from kubegenie.sandbox.sim.controller import Controller
from kubegenie.sandbox.sim.kube import Key, key_of, pod_terminal
from kubegenie.sandbox.sim.usage import unit
from kubegenie.sandbox.store import Change, Obj

if TYPE_CHECKING:
    from kubegenie.sandbox.sim import Simulation

PV_CONTROLLER = "persistentvolume-controller"
PVC_PROTECTION = "kubernetes.io/pvc-protection"
PV_PROTECTION = "kubernetes.io/pv-protection"
SELECTED_NODE = "volume.kubernetes.io/selected-node"
RESYNC = 15.0
PROVISION_SECONDS = 1.5
CLASSES = "storage.k8s.io/storageclasses"


def _claim_names(pod: Obj) -> list[str]:
    return [v["persistentVolumeClaim"].get("claimName", "") for v in (pod.get("spec") or {}).get("volumes") or []
            if isinstance(v.get("persistentVolumeClaim"), dict)]


def _same_usage(old: Obj, new: Obj) -> bool:
    """Whether a pod change leaves its use of claims as it was (node, deletion and finished state)."""
    return (old.get("spec") or {}).get("nodeName") == (new.get("spec") or {}).get("nodeName") \
        and old["metadata"].get("deletionTimestamp") == new["metadata"].get("deletionTimestamp") \
        and pod_terminal(old) == pod_terminal(new)


def _storage(obj: Obj, *path: str) -> Decimal:
    node: object = obj
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    try:
        return quantity.parse(node) if isinstance(node, str | int | float) else Decimal(0)
    except quantity.QuantityError:
        return Decimal(0)


class ClaimController(Controller):
    """PersistentVolumeClaim binding, provisioning and pvc-protection."""

    name = PV_CONTROLLER
    primary = "persistentvolumeclaims"
    watches = ("persistentvolumeclaims", "persistentvolumes", CLASSES, "pods")

    def __init__(self, sim: Simulation) -> None:
        super().__init__(sim)
        self._provisioning: dict[Key, float] = {}

    def on_change(self, change: Change) -> None:
        obj, old = change.obj, change.old
        if change.key == self.primary:
            # Our own finalizer and status writes need no second look; spec and annotation changes do.
            if change.type == "ADDED" or (change.type == "MODIFIED" and old is not None and (
                    old.get("spec") != obj.get("spec") or old["metadata"].get("annotations")
                    != obj["metadata"].get("annotations") or obj["metadata"].get("deletionTimestamp"))):
                self.enqueue(key_of(obj))
            return
        if change.key == "pods":
            if change.type == "MODIFIED" and old is not None and _same_usage(old, obj):
                return
            for name in _claim_names(obj):
                self.enqueue((obj["metadata"]["namespace"], name))
            return
        if change.key == "persistentvolumes":
            ref = (obj.get("spec") or {}).get("claimRef") or {}
            if ref.get("name"):
                self.enqueue((ref.get("namespace", ""), ref["name"]))
                return
        for claim in self.store.iter(self.primary):
            if not (claim.get("spec") or {}).get("volumeName"):
                self.enqueue(key_of(claim))

    def _users(self, claim: Obj) -> list[Obj]:
        namespace, name = key_of(claim)
        return [pod for pod in self.store.iter("pods", namespace)
                if name in _claim_names(pod) and not pod_terminal(pod)]

    def reconcile(self, key: Key) -> None:
        claim = self.get(key)
        if claim is None:
            self._provisioning.pop(key, None)
            return
        meta = claim["metadata"]
        finalizers = list(meta.get("finalizers") or [])
        if meta.get("deletionTimestamp"):
            if PVC_PROTECTION in finalizers and not self._users(claim):
                finalizers.remove(PVC_PROTECTION)
                self.writer.update(self.primary, {**claim, "metadata": {**meta, "finalizers": finalizers}})
            return
        if PVC_PROTECTION not in finalizers:
            protected = {**meta, "finalizers": [*finalizers, PVC_PROTECTION]}
            claim = self.writer.update(self.primary, {**claim, "metadata": protected})
        spec = claim.get("spec") or {}
        if spec.get("volumeName"):
            volume = self.store.get("persistentvolumes", "", spec["volumeName"])
            if volume is not None:
                self._mark_bound(claim, volume)
            return
        class_name = spec.get("storageClassName") or ""
        volume = self._find_volume(claim, class_name)
        if volume is not None:
            self._bind(claim, volume)
            return
        if not class_name:
            self.event(claim, "Normal", "FailedBinding",
                       "no persistent volumes available for this claim and no storage class is set")
            self.enqueue_after(key, RESYNC)
            return
        storage_class = self.store.get(CLASSES, "", class_name)
        if storage_class is None:
            self.event(claim, "Warning", "ProvisioningFailed", f'storageclass.storage.k8s.io "{class_name}" not found')
            self.enqueue_after(key, RESYNC)
            return
        node = (meta.get("annotations") or {}).get(SELECTED_NODE)
        if storage_class.get("volumeBindingMode") == "WaitForFirstConsumer" and not node:
            users = self._users(claim)
            if users:
                for pod in users:
                    self.event(claim, "Normal", "WaitForPodScheduled",
                               f"waiting for pod {pod['metadata']['name']} to be scheduled")
            else:
                self.event(claim, "Normal", "WaitForFirstConsumer",
                           "waiting for first consumer to be created before binding")
            self.enqueue_after(key, RESYNC)
            return
        self._provision(claim, storage_class, node)

    # --- provisioning --------------------------------------------------------------------------------------

    def _provision(self, claim: Obj, storage_class: Obj, node: str | None) -> None:
        key = key_of(claim)
        provisioner = str(storage_class.get("provisioner") or "")
        if provisioner == "kubernetes.io/no-provisioner":
            self.event(claim, "Normal", "WaitForFirstConsumer" if node is None else "FailedBinding",
                       "waiting for first consumer to be created before binding" if node is None
                       else "no persistent volumes available for this claim and no storage class is set")
            self.enqueue_after(key, RESYNC)
            return
        due = self._provisioning.get(key)
        now = self.now()
        identity = f"{provisioner}_{provisioner.split('.')[0]}-provisioner-{int(unit(provisioner) * 1e10):x}"
        if due is None:
            annotations = dict(claim["metadata"].get("annotations") or {})
            annotations["volume.beta.kubernetes.io/storage-provisioner"] = provisioner
            annotations["volume.kubernetes.io/storage-provisioner"] = provisioner
            claim = self.writer.update(self.primary, {**claim, "metadata": {**claim["metadata"],
                                                                           "annotations": annotations}})
            self.event(claim, "Normal", "ExternalProvisioning", f"Waiting for a volume to be created either by the "
                       f"external provisioner '{provisioner}' or manually by the system administrator. If volume "
                       f"creation is delayed, please verify that the provisioner is running and correctly "
                       f"registered.")
            self.sim.recorder.event(claim, "Normal", "Provisioning", f'External provisioner is provisioning volume '
                                    f'for claim "{key[0]}/{key[1]}"', identity)
            self._provisioning[key] = now + PROVISION_SECONDS
            self.enqueue_at(key, now + PROVISION_SECONDS)
            return
        if now < due:
            self.enqueue_at(key, due)
            return
        del self._provisioning[key]
        volume = self.writer.create("persistentvolumes", "", self._volume_for(claim, storage_class, provisioner, node))
        self.sim.recorder.event(claim, "Normal", "ProvisioningSucceeded",
                                f"Successfully provisioned volume {volume['metadata']['name']}", identity)
        self._bind(claim, volume)

    def _volume_for(self, claim: Obj, storage_class: Obj, provisioner: str, node: str | None) -> Obj:
        meta, spec = claim["metadata"], claim.get("spec") or {}
        name = f"pvc-{meta['uid']}"
        size = ((spec.get("resources") or {}).get("requests") or {}).get("storage", "1Gi")
        pv_spec: Obj = {"accessModes": list(spec.get("accessModes") or ["ReadWriteOnce"]),
                        "capacity": {"storage": size},
                        "claimRef": {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "name": meta["name"],
                                     "namespace": meta["namespace"], "resourceVersion": meta["resourceVersion"],
                                     "uid": meta["uid"]},
                        "persistentVolumeReclaimPolicy": storage_class.get("reclaimPolicy") or "Delete",
                        "storageClassName": storage_class["metadata"]["name"],
                        "volumeMode": spec.get("volumeMode") or "Filesystem"}
        if "local-path" in provisioner or "hostpath" in provisioner.lower():
            pv_spec["hostPath"] = {"path": f"/var/local-path-provisioner/{name}_{meta['namespace']}_{meta['name']}",
                                   "type": "DirectoryOrCreate"}
        else:
            pv_spec["csi"] = {"driver": provisioner, "fsType": "ext4",
                              "volumeHandle": str(uuid.UUID(bytes=hashlib.sha256(name.encode()).digest()[:16]))}
        if node:
            pv_spec["nodeAffinity"] = {"required": {"nodeSelectorTerms": [{"matchExpressions": [
                self._topology(node)]}]}}
        return {"apiVersion": "v1", "kind": "PersistentVolume",
                "metadata": {"name": name, "annotations": {"pv.kubernetes.io/provisioned-by": provisioner},
                             "finalizers": [PV_PROTECTION]},
                "spec": pv_spec}

    def _topology(self, node_name: str) -> Obj:
        node = self.store.get("nodes", "", node_name) or {"metadata": {}}
        zone = (node["metadata"].get("labels") or {}).get("topology.kubernetes.io/zone")
        if zone:
            return {"key": "topology.kubernetes.io/zone", "operator": "In", "values": [zone]}
        return {"key": "kubernetes.io/hostname", "operator": "In", "values": [node_name]}

    # --- binding -------------------------------------------------------------------------------------------

    def _find_volume(self, claim: Obj, class_name: str) -> Obj | None:
        """The smallest Available volume of the class that satisfies the claim's size and access modes."""
        spec = claim.get("spec") or {}
        wanted = _storage(spec, "resources", "requests", "storage")
        modes = set(spec.get("accessModes") or [])
        best: Obj | None = None
        for volume in self.store.iter("persistentvolumes"):
            pv_spec = volume.get("spec") or {}
            ref = pv_spec.get("claimRef") or {}
            if ref.get("uid") == claim["metadata"]["uid"]:
                return volume
            if ref or (volume.get("status") or {}).get("phase") not in (None, "Available", "Pending") \
                    or volume["metadata"].get("deletionTimestamp"):
                continue
            if (pv_spec.get("storageClassName") or "") != class_name or not modes <= set(pv_spec.get("accessModes")
                                                                                         or []):
                continue
            size = _storage(pv_spec, "capacity", "storage")
            if size >= wanted and (best is None or size < _storage(best.get("spec") or {}, "capacity", "storage")):
                best = volume
        return best

    def _bind(self, claim: Obj, volume: Obj) -> None:
        meta = claim["metadata"]
        pv_spec = dict(volume.get("spec") or {})
        if (pv_spec.get("claimRef") or {}).get("uid") != meta["uid"]:
            pv_spec["claimRef"] = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "name": meta["name"],
                                   "namespace": meta["namespace"], "resourceVersion": meta["resourceVersion"],
                                   "uid": meta["uid"]}
            annotations = {**(volume["metadata"].get("annotations") or {}),
                           "pv.kubernetes.io/bound-by-controller": "yes"}
            volume = self.writer.update("persistentvolumes", {**volume, "metadata": {**volume["metadata"],
                                                                                     "annotations": annotations},
                                                              "spec": pv_spec})
        annotations = {**(meta.get("annotations") or {}), "pv.kubernetes.io/bind-completed": "yes",
                       "pv.kubernetes.io/bound-by-controller": "yes"}
        claim = self.writer.update(self.primary, {**claim, "metadata": {**meta, "annotations": annotations},
                                                  "spec": {**(claim.get("spec") or {}),
                                                           "volumeName": volume["metadata"]["name"]}})
        self._mark_bound(claim, volume)

    def _mark_bound(self, claim: Obj, volume: Obj) -> None:
        pv_spec = volume.get("spec") or {}
        status = {**(claim.get("status") or {}), "phase": "Bound",
                  "accessModes": list(pv_spec.get("accessModes") or []),
                  "capacity": dict(pv_spec.get("capacity") or {})}
        if status != claim.get("status"):
            self.writer.update_status(self.primary, {**claim, "status": status})


class VolumeController(Controller):
    """PersistentVolume phases (Available, Bound, Released), reclaim and pv-protection."""

    name = PV_CONTROLLER
    primary = "persistentvolumes"
    watches = ("persistentvolumes", "persistentvolumeclaims")

    def on_change(self, change: Change) -> None:
        if change.key == self.primary:
            if change.type != "DELETED":
                self.enqueue(key_of(change.obj))
            return
        volume = (change.obj.get("spec") or {}).get("volumeName")
        if volume:
            self.enqueue(("", volume))
        elif change.type == "DELETED":
            uid = change.obj["metadata"].get("uid")
            for pv in self.store.iter(self.primary):
                if ((pv.get("spec") or {}).get("claimRef") or {}).get("uid") == uid:
                    self.enqueue(key_of(pv))

    def reconcile(self, key: Key) -> None:
        volume = self.get(key)
        if volume is None:
            return
        meta, spec = volume["metadata"], volume.get("spec") or {}
        ref = spec.get("claimRef") or {}
        claim = self.store.get("persistentvolumeclaims", ref.get("namespace", ""), ref.get("name", "")) if ref else None
        bound = claim is not None and claim["metadata"].get("uid") == ref.get("uid")
        finalizers = list(meta.get("finalizers") or [])
        if meta.get("deletionTimestamp"):
            if PV_PROTECTION in finalizers and not bound:
                finalizers.remove(PV_PROTECTION)
                self.writer.update(self.primary, {**volume, "metadata": {**meta, "finalizers": finalizers}})
            return
        if PV_PROTECTION not in finalizers:
            protected = {**meta, "finalizers": [*finalizers, PV_PROTECTION]}
            volume = self.writer.update(self.primary, {**volume, "metadata": protected})
        if not ref:
            phase = "Available"
        elif bound:
            phase = "Bound"
        elif spec.get("persistentVolumeReclaimPolicy") == "Delete":
            self.writer.delete(self.primary, volume)
            return
        else:
            phase = "Released"
        status = {**(volume.get("status") or {}), "phase": phase}
        if phase != "Bound":
            status.pop("lastPhaseTransitionTime", None)
        if status.get("phase") != (volume.get("status") or {}).get("phase"):
            status["lastPhaseTransitionTime"] = self.stamp()
            self.writer.update_status(self.primary, {**volume, "status": status})
