"""The resource quota controller: fills in a quota's `status.hard` from its spec and `status.used` from what
the namespace's objects use when the quota is created or changed, when something it counts is deleted or a
pod finishes (replenishment, so freed quota can be used again), and in full every five minutes, as
kube-controller-manager's does. Admission charges new usage the moment it admits it; this only recounts.
"""

from __future__ import annotations

from kubegenie.sandbox.admission.usage import quota_status
from kubegenie.sandbox.sim.controller import Controller
from kubegenie.sandbox.sim.kube import Key, key_of, pod_terminal
from kubegenie.sandbox.store import Change

FULL_RESYNC = 300.0
COUNTED = ("pods", "services", "persistentvolumeclaims", "configmaps", "secrets", "replicationcontrollers",
           "apps/deployments", "apps/replicasets", "apps/statefulsets", "apps/daemonsets", "batch/jobs",
           "batch/cronjobs")
"""Types whose deletions replenish quota at once; others are recounted by the periodic full sync."""


class ResourceQuotaController(Controller):
    name = "resource-quota-controller"
    primary = "resourcequotas"
    watches = ("resourcequotas", *COUNTED)

    def on_change(self, change: Change) -> None:
        if change.key == self.primary:
            if change.type != "DELETED" and (change.old is None or change.old.get("spec") != change.obj.get("spec")):
                self.enqueue(key_of(change.obj))
            return
        namespace = change.obj["metadata"].get("namespace") or ""
        if not self.store.count(self.primary, namespace):
            return
        freed = change.type == "DELETED" or (change.key == "pods" and change.old is not None
                                              and pod_terminal(change.obj) and not pod_terminal(change.old))
        if freed:
            for quota in self.store.iter(self.primary, namespace):
                self.enqueue(key_of(quota))

    def reconcile(self, key: Key) -> None:
        quota = self.get(key)
        if quota is None or quota["metadata"].get("deletionTimestamp"):
            return
        status = quota_status(self.cluster, quota, self.now())
        if status != (quota.get("status") or {}):
            self.writer.update_status(self.primary, {**quota, "status": status})
        self.enqueue_after(key, FULL_RESYNC)
