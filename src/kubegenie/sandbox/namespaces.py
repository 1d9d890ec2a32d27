"""Namespace lifecycle: creation is refused in missing or terminating namespaces; a new namespace gets
its `default` ServiceAccount and `kube-root-ca.crt` ConfigMap; deletion marks it Terminating, deletes
everything in it, and removes it once empty (the namespace controller's job on a real cluster).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from kubegenie.domain.durations import rfc3339
from kubegenie.sandbox import status
from kubegenie.sandbox.resources import ResourceType
from kubegenie.sandbox.store import Change, Obj

if TYPE_CHECKING:
    from kubegenie.sandbox.cluster import Cluster

ROOT_CA_CONFIGMAP = "kube-root-ca.crt"


class NamespaceLifecycle:
    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self._terminating: set[str] = set()
        self._scheduled = False
        cluster.store.add_listener(self._on_change)

    def check_open(self, rtype: ResourceType, namespace: str, name: str) -> None:
        """Refuse creation in a namespace that does not exist or is being deleted."""
        ns = self.cluster.store.get("namespaces", "", namespace)
        if ns is None:
            raise status.ApiError(404, "NotFound", f'namespaces "{namespace}" not found',
                                  {"name": namespace, "kind": "namespaces"})
        if ns["metadata"].get("deletionTimestamp") and rtype.storage_key not in ("events",):
            raise status.forbidden(f'{rtype.qualified} "{name}" is forbidden: unable to create new content in '
                                   f"namespace {namespace} because it is being terminated", rtype, name)

    def _on_change(self, change: Change) -> None:
        created_namespace = change.key == "namespaces" and change.type == "ADDED"
        emptied = change.type == "DELETED" and change.obj["metadata"].get("namespace") in self._terminating
        if created_namespace or emptied:
            self._later()

    def _later(self) -> None:
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._reconcile)

    @property
    def idle(self) -> bool:
        return not self._scheduled

    def start_deletion(self, namespace: Obj) -> Obj:
        """DELETE on a namespace: mark it Terminating and start emptying it."""
        meta = namespace["metadata"]
        if meta.get("deletionTimestamp"):
            return namespace
        new = {**namespace, "metadata": {**meta, "deletionTimestamp": rfc3339(self.cluster.clock.now()),
                                         "deletionGracePeriodSeconds": 0},
               "status": {**(namespace.get("status") or {}), "phase": "Terminating"}}
        stored = self.cluster.store.replace("namespaces", new)
        self._terminating.add(meta["name"])
        self._later()
        return stored

    def _reconcile(self) -> None:
        self._scheduled = False
        store = self.cluster.store
        for ns in store.list_sorted("namespaces"):
            name = ns["metadata"]["name"]
            if ns["metadata"].get("deletionTimestamp"):
                self._terminating.add(name)
                continue
            self._ensure_defaults(name)
        for name in list(self._terminating):
            self._empty(name)

    def _ensure_defaults(self, namespace: str) -> None:
        from kubegenie.sandbox.objects import WriteOptions

        store = self.cluster.store
        options = WriteOptions(field_manager="kube-controller-manager", field_validation="Ignore")
        if store.get("serviceaccounts", namespace, "default") is None:
            rtype = self.cluster.registry.lookup("", "v1", "serviceaccounts")
            assert rtype is not None
            self.cluster.objects.create(rtype, namespace, {"metadata": {"name": "default"}}, options)
        if store.get("configmaps", namespace, ROOT_CA_CONFIGMAP) is None:
            rtype = self.cluster.registry.lookup("", "v1", "configmaps")
            assert rtype is not None
            body = {"metadata": {"name": ROOT_CA_CONFIGMAP,
                                 "annotations": {"kubernetes.io/description": "Contains a CA bundle that can be "
                                                 "used to verify the kube-apiserver when using internal "
                                                 "endpoints such as the internal service IP or "
                                                 "kubernetes.default.svc. No other usage is guaranteed across "
                                                 "distributions of Kubernetes clusters."}},
                    "data": {"ca.crt": self.cluster.ca_bundle()}}
            self.cluster.objects.create(rtype, namespace, body, options)

    def _empty(self, namespace: str) -> None:
        from kubegenie.sandbox.objects import DeleteOptions

        store = self.cluster.store
        ns = store.get("namespaces", "", namespace)
        if ns is None:
            self._terminating.discard(namespace)
            return
        remaining = 0
        for key in store.storage_keys():
            if key == "namespaces":
                continue
            rtype = next(iter(self.cluster.registry.versions_of(key)), None)
            if rtype is None or not rtype.namespaced:
                continue
            for obj in list(store.iter(key, namespace)):
                remaining += 1
                if obj["metadata"].get("deletionTimestamp"):
                    continue
                try:
                    self.cluster.objects.delete(rtype, namespace, obj["metadata"]["name"],
                                                DeleteOptions(propagation="Background"))
                except status.ApiError:
                    continue
        left: dict[str, int] = {}
        held: dict[str, int] = {}
        for key in store.storage_keys():
            if key == "namespaces":
                continue
            for obj in store.iter(key, namespace):
                resource = _resource_label(key)
                left[resource] = left.get(resource, 0) + 1
                for finalizer in obj["metadata"].get("finalizers") or []:
                    held[finalizer] = held.get(finalizer, 0) + 1
        if not left and not ns["metadata"].get("finalizers"):
            store.remove("namespaces", "", namespace)
            self._terminating.discard(namespace)
        elif left and remaining:
            self._update_conditions(ns, left, held)

    def _update_conditions(self, ns: Obj, left: dict[str, int], held: dict[str, int]) -> None:
        """The namespace controller's five deletion conditions; only changed ones get a new transition time."""
        now = rfc3339(self.cluster.clock.now())
        wanted = dict(_SUCCEEDED)
        wanted["NamespaceContentRemaining"] = (
            "True", "SomeResourcesRemain", "Some resources are remaining: " + ", ".join(
                sorted(f"{resource} has {count} resource instances" for resource, count in left.items())))
        if held:
            wanted["NamespaceFinalizersRemaining"] = (
                "True", "SomeFinalizersRemain", "Some content in the namespace has finalizers remaining: " + ", ".join(
                    sorted(f"{finalizer} in {count} resource instances" for finalizer, count in held.items())))
        current = {c.get("type"): c for c in (ns.get("status") or {}).get("conditions") or []}
        conditions = []
        for kind, (state, reason, message) in wanted.items():
            old = current.get(kind) or {}
            since = old.get("lastTransitionTime") if old.get("status") == state else now
            conditions.append({"type": kind, "status": state, "lastTransitionTime": since or now, "reason": reason,
                               "message": message})
        if conditions == list(current.values()):
            return
        new = {**ns, "status": {**(ns.get("status") or {}), "conditions": conditions}}
        self.cluster.store.replace("namespaces", new)


# The "nothing wrong" variant of each condition, in the order the namespace controller writes them.
_SUCCEEDED: dict[str, tuple[str, str, str]] = {
    "NamespaceDeletionDiscoveryFailure": ("False", "ResourcesDiscovered", "All resources successfully discovered"),
    "NamespaceDeletionGroupVersionParsingFailure": ("False", "ParsedGroupVersions",
                                                    "All legacy kube types successfully parsed"),
    "NamespaceDeletionContentFailure": ("False", "ContentDeleted",
                                        "All content successfully deleted, may be waiting on finalization"),
    "NamespaceContentRemaining": ("False", "ContentRemoved", "All content successfully removed"),
    "NamespaceFinalizersRemaining": ("False", "ContentHasNoFinalizers", "All content-preserving finalizers finished"),
}


def _resource_label(storage_key: str) -> str:
    """`resource.group` as the namespace controller names a GroupVersionResource ("configmaps." for core)."""
    group, _, plural = storage_key.rpartition("/")
    return f"{plural}.{group}"
