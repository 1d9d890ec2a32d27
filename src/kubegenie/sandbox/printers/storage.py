"""Printers for PersistentVolumeClaims, PersistentVolumes, StorageClasses, CSIDrivers and VolumeAttachments."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kubegenie.sandbox.printers.cells import NONE, UNSET, access_modes, storage_class_of
from kubegenie.sandbox.printers.table import AGE, NAME, Column, Printer, age, register
from kubegenie.sandbox.store import Obj

if TYPE_CHECKING:
    from kubegenie.sandbox.cluster import Cluster

_VOLUME_MODE = "volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain " \
               "in raw block state."


def _phase(obj: Obj) -> str:
    if (obj.get("metadata") or {}).get("deletionTimestamp"):
        return "Terminating"
    return str((obj.get("status") or {}).get("phase") or "")


def _claim(cluster: Cluster, obj: Obj) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    volume = spec.get("volumeName") or ""
    # Capacity and access modes come from the bound volume, so they stay blank while the claim is Pending.
    capacity = str((status.get("capacity") or {}).get("storage", "0")) if volume else ""
    modes = access_modes(status.get("accessModes")) if volume else ""
    return [obj["metadata"]["name"], _phase(obj), volume, capacity, modes, storage_class_of(obj),
            spec.get("volumeAttributesClassName") or UNSET, age(cluster, obj), spec.get("volumeMode") or UNSET]


register("persistentvolumeclaims")(Printer([
    NAME,
    Column("Status", description="phase represents the current phase of PersistentVolumeClaim."),
    Column("Volume", description="volumeName is the binding reference to the PersistentVolume backing this "
                                 "claim."),
    Column("Capacity", description="capacity represents the actual resources of the underlying volume."),
    Column("Access Modes", description="accessModes contains the actual access modes the volume backing the PVC "
                                       "has."),
    Column("StorageClass", description="StorageClass of the pvc"),
    Column("VolumeAttributesClass", description="VolumeAttributesClass of the pvc", since=29),
    AGE,
    Column("VolumeMode", priority=1, description=_VOLUME_MODE),
], _claim))


def _volume(cluster: Cluster, obj: Obj) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    claim = spec.get("claimRef")
    claim_text = f"{claim.get('namespace', '')}/{claim.get('name', '')}" if isinstance(claim, dict) else ""
    return [obj["metadata"]["name"], str((spec.get("capacity") or {}).get("storage", "0")),
            access_modes(spec.get("accessModes")), spec.get("persistentVolumeReclaimPolicy", ""), _phase(obj),
            claim_text, storage_class_of(obj), spec.get("volumeAttributesClassName") or UNSET,
            status.get("reason", ""), age(cluster, obj), spec.get("volumeMode") or UNSET]


register("persistentvolumes")(Printer([
    NAME,
    Column("Capacity", description="capacity is the description of the persistent volume's resources and "
                                   "capacity."),
    Column("Access Modes", description="accessModes contains all ways the volume can be mounted."),
    Column("Reclaim Policy", description="persistentVolumeReclaimPolicy defines what happens to a persistent "
                                         "volume when released from its claim."),
    Column("Status", description="phase indicates if a volume is available, bound to a claim, or released by a "
                                 "claim."),
    Column("Claim", description="claimRef is part of a bi-directional binding between PersistentVolume and "
                                "PersistentVolumeClaim."),
    Column("StorageClass", description="StorageClass of the pv"),
    Column("VolumeAttributesClass", description="VolumeAttributesClass of the pv", since=29),
    Column("Reason", description="reason is a brief CamelCase string that describes any failure and is meant for "
                                 "machine parsing and tidy display in the CLI."),
    AGE,
    Column("VolumeMode", priority=1, description=_VOLUME_MODE),
], _volume))


def is_default_class(obj: Obj) -> bool:
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    return "true" in (annotations.get("storageclass.kubernetes.io/is-default-class"),
                      annotations.get("storageclass.beta.kubernetes.io/is-default-class"))


def _storage_class(cluster: Cluster, obj: Obj) -> list[Any]:
    name = obj["metadata"]["name"] + (" (default)" if is_default_class(obj) else "")
    return [name, obj.get("provisioner", ""), obj.get("reclaimPolicy") or "Delete",
            obj.get("volumeBindingMode") or "Immediate", bool(obj.get("allowVolumeExpansion")), age(cluster, obj)]


register("storage.k8s.io/storageclasses")(Printer([
    NAME,
    Column("Provisioner", description="provisioner indicates the type of the provisioner."),
    Column("ReclaimPolicy", description="reclaimPolicy controls the reclaimPolicy for dynamically provisioned "
                                        "PersistentVolumes of this storage class. Defaults to Delete."),
    Column("VolumeBindingMode", description="volumeBindingMode indicates how PersistentVolumeClaims should be "
                                            "provisioned and bound."),
    Column("AllowVolumeExpansion", description="allowVolumeExpansion shows whether the storage class allow "
                                               "volume expand."),
    AGE,
], _storage_class))


def _flag(spec: Obj, key: str, default: bool) -> bool:
    value = spec.get(key)
    return default if value is None else bool(value)


def _csi_driver(cluster: Cluster, obj: Obj) -> list[Any]:
    spec = obj.get("spec") or {}
    token_requests = spec.get("tokenRequests")
    tokens = UNSET if token_requests is None else ",".join(str(t.get("audience", "")) for t in token_requests)
    modes = ",".join(str(m) for m in spec.get("volumeLifecycleModes") or []) or NONE
    return [obj["metadata"]["name"], _flag(spec, "attachRequired", True), _flag(spec, "podInfoOnMount", False),
            _flag(spec, "storageCapacity", False), tokens, _flag(spec, "requiresRepublish", False), modes,
            age(cluster, obj)]


register("storage.k8s.io/csidrivers")(Printer([
    NAME,
    Column("AttachRequired", type="boolean", description="attachRequired indicates this CSI volume driver requires "
                                                         "an attach operation."),
    Column("PodInfoOnMount", type="boolean", description="podInfoOnMount indicates this CSI volume driver requires "
                                                         "additional pod information during mount operations."),
    Column("StorageCapacity", type="boolean", description="storageCapacity indicates that the CSI volume driver "
                                                          "wants pod scheduling to consider the storage capacity."),
    Column("TokenRequests", description="tokenRequests indicates the CSI driver needs pods' service account "
                                        "tokens it is mounting volume for to do necessary authentication."),
    Column("RequiresRepublish", type="boolean", description="requiresRepublish indicates the CSI driver wants "
                                                            "`NodePublishVolume` being periodically called."),
    Column("Modes", description="volumeLifecycleModes defines what kind of volumes this CSI volume driver "
                                "supports."),
    AGE,
], _csi_driver))


def _volume_attachment(cluster: Cluster, obj: Obj) -> list[Any]:
    spec = obj.get("spec") or {}
    return [obj["metadata"]["name"], spec.get("attacher", ""),
            (spec.get("source") or {}).get("persistentVolumeName") or "", spec.get("nodeName", ""),
            bool((obj.get("status") or {}).get("attached")), age(cluster, obj)]


register("storage.k8s.io/volumeattachments")(Printer([
    NAME,
    Column("Attacher", format="name", description="attacher indicates the name of the volume driver that MUST "
                                                  "handle this request."),
    Column("PV", description="persistentVolumeName represents the name of the persistent volume to attach."),
    Column("Node", description="nodeName represents the node that the volume should be attached to."),
    Column("Attached", type="boolean", description="attached indicates the volume is successfully attached."),
    AGE,
], _volume_attachment))
