"""The kinds KubeGenie's agents read, where they live in the API, and how cached copies are trimmed
(managedFields and last-applied annotations dropped, Secret values never kept)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kubegenie.kube.client import ResourcePath

Obj = dict[str, Any]
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def _trim_metadata(obj: Obj) -> Obj:
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        return obj
    annotations = meta.get("annotations")
    if "managedFields" not in meta and not (annotations and LAST_APPLIED in annotations):
        return obj
    meta = {key: value for key, value in meta.items() if key != "managedFields"}
    if annotations and LAST_APPLIED in annotations:
        meta["annotations"] = {k: v for k, v in annotations.items() if k != LAST_APPLIED}
    return {**obj, "metadata": meta}


def _trim_secret(obj: Obj) -> Obj:
    trimmed = _trim_metadata(obj)
    for field in ("data", "stringData"):
        if isinstance(trimmed.get(field), dict):
            trimmed = {**trimmed, field: dict.fromkeys(trimmed[field], "")}
    return trimmed


@dataclass(frozen=True)
class Kind:
    name: str
    """The plural, used as the kind's key everywhere in KubeGenie ("pods", "deployments")."""
    path: ResourcePath
    transform: Callable[[Obj], Obj] = _trim_metadata

    @property
    def namespaced(self) -> bool:
        return self.path.namespaced


def _kind(group: str, version: str, plural: str, namespaced: bool = True,
          transform: Callable[[Obj], Obj] = _trim_metadata) -> Kind:
    return Kind(plural, ResourcePath(group, version, plural, namespaced), transform)


CACHED_KINDS: tuple[Kind, ...] = (
    _kind("", "v1", "pods"),
    _kind("", "v1", "nodes", namespaced=False),
    _kind("", "v1", "namespaces", namespaced=False),
    _kind("", "v1", "services"),
    _kind("", "v1", "endpoints"),
    _kind("", "v1", "events"),
    _kind("", "v1", "persistentvolumeclaims"),
    _kind("", "v1", "persistentvolumes", namespaced=False),
    _kind("", "v1", "configmaps"),
    _kind("", "v1", "secrets", transform=_trim_secret),
    _kind("", "v1", "serviceaccounts"),
    _kind("", "v1", "resourcequotas"),
    _kind("", "v1", "limitranges"),
    _kind("apps", "v1", "deployments"),
    _kind("apps", "v1", "replicasets"),
    _kind("apps", "v1", "statefulsets"),
    _kind("apps", "v1", "daemonsets"),
    _kind("batch", "v1", "jobs"),
    _kind("batch", "v1", "cronjobs"),
    _kind("autoscaling", "v2", "horizontalpodautoscalers"),
    _kind("policy", "v1", "poddisruptionbudgets"),
    _kind("networking.k8s.io", "v1", "networkpolicies"),
    _kind("networking.k8s.io", "v1", "ingresses"),
    _kind("storage.k8s.io", "v1", "storageclasses", namespaced=False),
    _kind("rbac.authorization.k8s.io", "v1", "roles"),
    _kind("rbac.authorization.k8s.io", "v1", "rolebindings"),
    _kind("rbac.authorization.k8s.io", "v1", "clusterroles", namespaced=False),
    _kind("rbac.authorization.k8s.io", "v1", "clusterrolebindings", namespaced=False),
    _kind("apiextensions.k8s.io", "v1", "customresourcedefinitions", namespaced=False),
)
KINDS_BY_NAME: dict[str, Kind] = {kind.name: kind for kind in CACHED_KINDS}
