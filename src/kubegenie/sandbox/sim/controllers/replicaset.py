"""The ReplicaSet controller: keeps `spec.replicas` active pods from the template (creating with
generateName, deleting the least valuable first), adopts matching orphans, and reports replicas, ready and
available (after minReadySeconds) pods in status, with a ReplicaFailure condition when creation fails.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kubegenie.sandbox import status as api_status
from kubegenie.sandbox.sim.controller import Controller
from kubegenie.sandbox.sim.controllers.workload import (
    controlled_pods,
    counts,
    deletion_rank,
    next_available_at,
    orphan_owners,
    owned_pods,
    owner_keys,
    pod_from_template,
)
from kubegenie.sandbox.sim.kube import Key, key_of, pod_active, set_condition
from kubegenie.sandbox.store import Change, Obj

if TYPE_CHECKING:
    from kubegenie.sandbox.sim import Simulation

BURST = 500
FAILURE_BACKOFF = (0.005, 1000.0)
"""A ReplicaSet whose pods cannot be created is retried with the workqueue's per-item back-off (5 ms doubling
to 1000 s), each attempt recording another FailedCreate event."""


class ReplicaSetController(Controller):
    name = "replicaset-controller"
    primary = "apps/replicasets"
    watches = ("apps/replicasets", "pods")

    def __init__(self, sim: Simulation) -> None:
        super().__init__(sim)
        self._adopting: set[Key] = set()
        """ReplicaSets that may have orphans to adopt (new ones, or an orphan pod appeared)."""
        self._create_failures: dict[Key, int] = {}

    def on_change(self, change: Change) -> None:
        if change.key == self.primary:
            if change.type == "ADDED" or (change.old is not None and change.old.get("spec") != change.obj.get(
                    "spec")):
                self._adopting.add(key_of(change.obj))
            super().on_change(change)
            return
        for key in owner_keys(change, "ReplicaSet"):
            self.enqueue(key)
        for key in orphan_owners(self, change, self.primary):
            self._adopting.add(key)
            self.enqueue(key)

    def start(self) -> None:
        self._adopting.update(key_of(rs) for rs in self.store.iter(self.primary))
        super().start()

    def reconcile(self, key: Key) -> None:
        rs = self.get(key)
        adopt = key in self._adopting
        self._adopting.discard(key)
        if rs is None:
            self._create_failures.pop(key, None)
            return
        spec = rs.get("spec") or {}
        pods = owned_pods(self, rs, adopt=adopt)
        active = [pod for pod in pods if pod_active(pod)]
        if not rs["metadata"].get("deletionTimestamp"):
            failure = self._manage(rs, spec, active)
        else:
            failure = None
        self._update_status(rs, spec, controlled_pods(self, rs), failure)

    def _manage(self, rs: Obj, spec: Obj, active: list[Obj]) -> str | None:
        replicas = spec.get("replicas")
        wanted = int(replicas) if replicas is not None else 1
        diff = len(active) - wanted
        if diff < 0:
            template = spec.get("template") or {}
            key = key_of(rs)
            for _ in range(min(-diff, BURST)):
                try:
                    pod = self.writer.create("pods", rs["metadata"]["namespace"], pod_from_template(rs, template))
                except api_status.ApiError as exc:
                    self.event(rs, "Warning", "FailedCreate", f"Error creating: {exc.message}")
                    self.back_off(self._create_failures, key, FAILURE_BACKOFF)
                    return exc.message
                self._create_failures.pop(key, None)
                self.event(rs, "Normal", "SuccessfulCreate", f"Created pod: {pod['metadata']['name']}")
        elif diff > 0:
            for pod in sorted(active, key=deletion_rank)[:diff]:
                if self.writer.delete("pods", pod):
                    self.event(rs, "Normal", "SuccessfulDelete", f"Deleted pod: {pod['metadata']['name']}")
        return None

    def _update_status(self, rs: Obj, spec: Obj, pods: list[Obj], failure: str | None) -> None:
        now = self.now()
        min_ready = int(spec.get("minReadySeconds") or 0)
        active, ready, available = counts(pods, min_ready, now)
        labels = (spec.get("template") or {}).get("metadata", {}).get("labels") or {}
        fully_labeled = sum(1 for pod in pods if pod_active(pod) and all(
            (pod["metadata"].get("labels") or {}).get(k) == v for k, v in labels.items()))
        current = rs.get("status") or {}
        status: Obj = {"replicas": active}
        if fully_labeled:
            status["fullyLabeledReplicas"] = fully_labeled
        if ready:
            status["readyReplicas"] = ready
        if available:
            status["availableReplicas"] = available
        status["observedGeneration"] = rs["metadata"].get("generation", 1)
        conditions = [c for c in current.get("conditions") or [] if c.get("type") != "ReplicaFailure"]
        if failure:
            # Upstream sets the condition on the first failure and leaves it as it is while failures go on.
            conditions = current.get("conditions") or []
            if not any(c.get("type") == "ReplicaFailure" for c in conditions):
                conditions = set_condition(conditions, "ReplicaFailure", "True", "FailedCreate", failure,
                                           self.stamp())
        if conditions:
            status["conditions"] = conditions
        if status != current:
            self.writer.update_status(self.primary, {**rs, "status": status})
        due = next_available_at(pods, min_ready, now)
        if due is not None:
            self.enqueue_at((rs["metadata"]["namespace"], rs["metadata"]["name"]), due)

