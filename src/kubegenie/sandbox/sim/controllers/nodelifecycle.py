"""The node lifecycle of kube-controller-manager: pod CIDRs for new nodes, conditions turned Unknown when a
kubelet's Lease goes stale, taints from conditions and cordons (NoSchedule, and NoExecute for not-ready and
unreachable nodes), pods marked not ready when their node is, taint-based eviction once a pod's toleration
runs out (300 s by default), and garbage collection of pods whose node is gone (after a 40 s quarantine).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kubegenie.sandbox.sim.controller import Controller
from kubegenie.sandbox.sim.kube import Key, key_of, pod_terminal, seconds, set_condition
from kubegenie.sandbox.sim.nodeagent import LEASE_NAMESPACE
from kubegenie.sandbox.sim.predicates import tolerates
from kubegenie.sandbox.store import Change, Obj

if TYPE_CHECKING:
    from kubegenie.sandbox.sim import Simulation

NOT_READY = "node.kubernetes.io/not-ready"
UNREACHABLE = "node.kubernetes.io/unreachable"
CONDITION_TAINTS = {("Ready", "False"): NOT_READY, ("Ready", "Unknown"): UNREACHABLE,
                    ("MemoryPressure", "True"): "node.kubernetes.io/memory-pressure",
                    ("DiskPressure", "True"): "node.kubernetes.io/disk-pressure",
                    ("PIDPressure", "True"): "node.kubernetes.io/pid-pressure",
                    ("NetworkUnavailable", "True"): "node.kubernetes.io/network-unavailable"}
MANAGED_TAINTS = {*CONDITION_TAINTS.values(), "node.kubernetes.io/unschedulable"}
GRACE = 40.0
ORPHAN_QUARANTINE = 40.0
MONITOR_PERIOD = 5.0
CIDR_BASE = "10.244"


class NodeLifecycleController(Controller):
    name = "node-controller"
    primary = "nodes"
    watches = ("nodes", "pods")

    def __init__(self, sim: Simulation) -> None:
        super().__init__(sim)
        self._ready: dict[str, str] = {}
        self._registered: set[str] = set()
        self._monitor_armed = False

    def start(self) -> None:
        super().start()
        self._arm_monitor()

    def _grace(self) -> float:
        return max(GRACE, 4 * self.sim.kubelet.nodes.lease_interval())

    def _arm_monitor(self) -> None:
        if not self._monitor_armed:
            self._monitor_armed = True
            self.sim.timers.after(max(MONITOR_PERIOD, self.clock.speed * 1.0), self._monitor)

    def _monitor(self) -> None:
        """Look for kubelets whose Lease went quiet (node-monitor-period)."""
        self._monitor_armed = False
        now = self.now()
        for node in self.store.iter("nodes"):
            name = node["metadata"]["name"]
            if self._ready.get(name) != "Unknown" and self._stale(node, now):
                self.enqueue(("", name))
        self._arm_monitor()

    def _stale(self, node: Obj, now: float) -> bool:
        name = node["metadata"]["name"]
        lease = self.store.get("coordination.k8s.io/leases", LEASE_NAMESPACE, name)
        renewed = seconds(((lease or {}).get("spec") or {}).get("renewTime")) if lease else None
        since = renewed if renewed is not None else seconds(node["metadata"].get("creationTimestamp")) or now
        return now - since > self._grace()

    # --- feeding -------------------------------------------------------------------------------------------

    def on_change(self, change: Change) -> None:
        obj = change.obj
        if change.key == "nodes":
            old = change.old
            if change.type == "DELETED":
                self.enqueue_after(key_of(obj), ORPHAN_QUARANTINE)
            elif change.type != "MODIFIED" or old is None or old.get("spec") != obj.get("spec") or \
                    _states(old) != _states(obj):
                self.enqueue(key_of(obj))
            return
        node = (obj.get("spec") or {}).get("nodeName")
        if not node or change.type == "DELETED":
            return
        if self.store.get("nodes", "", node) is None:
            self.enqueue_after(("", node), ORPHAN_QUARANTINE)  # pod garbage collection of orphans
        elif self._ready.get(node, "True") != "True":
            self.enqueue(("", node))

    # --- reconcile -----------------------------------------------------------------------------------------

    def reconcile(self, key: Key) -> None:
        name = key[1]
        node = self.get(key)
        if node is None:
            # PodGC: pods bound to a node that no longer exists are deleted at once.
            self._ready.pop(name, None)
            for pod in self.sim.pods.on_node(name):
                self.writer.delete("pods", pod, grace=0)
            return
        node = self._assign_cidr(node)
        now = self.now()
        if self._stale(node, now):
            node = self._mark_unknown(node)
        ready = _states(node).get("Ready")
        if ready is None:
            return  # the kubelet has not registered yet
        if name not in self._registered:
            self._registered.add(name)
            self.event(node, "Normal", "RegisteredNode", f"Node {name} event: Registered Node {name} in Controller")
        node = self._taint(node, now)
        previous = self._ready.get(name)
        self._ready[name] = ready
        if ready != "True" and previous in (None, "True"):
            self.event(node, "Normal", "NodeNotReady", f"Node {name} status is now: NodeNotReady")
            self._mark_pods_not_ready(node)
        self._evict(node, now)

    def _assign_cidr(self, node: Obj) -> Obj:
        spec = node.get("spec") or {}
        if spec.get("podCIDR"):
            return node
        used = {str((n.get("spec") or {}).get("podCIDR")) for n in self.store.iter("nodes")}
        index = next(i for i in range(256) if f"{CIDR_BASE}.{i}.0/24" not in used)
        cidr = f"{CIDR_BASE}.{index}.0/24"
        return self.writer.update("nodes", {**node, "spec": {**spec, "podCIDR": cidr, "podCIDRs": [cidr]}})

    def _mark_unknown(self, node: Obj) -> Obj:
        status = dict(node.get("status") or {})
        conditions = list(status.get("conditions") or [])
        stamp = self.stamp()
        present = {c.get("type") for c in conditions}
        for kind in ("MemoryPressure", "DiskPressure", "PIDPressure", "Ready"):
            message = "Kubelet stopped posting node status." if kind in present else "Kubelet never posted node status."
            old: Obj = next((c for c in conditions if c.get("type") == kind), {})
            conditions = set_condition(conditions, kind, "Unknown", "NodeStatusUnknown", message, stamp,
                                       {"lastHeartbeatTime": old.get("lastHeartbeatTime", stamp)})
        status["conditions"] = conditions
        if status == node.get("status"):
            return node
        return self.writer.update_status("nodes", {**node, "status": status})

    def _taint(self, node: Obj, now: float) -> Obj:
        spec = node.get("spec") or {}
        states = _states(node)
        wanted: list[tuple[str, str]] = []
        for (kind, value), key in CONDITION_TAINTS.items():
            if states.get(kind) == value:
                wanted.append((key, "NoSchedule"))
                if kind == "Ready":
                    wanted.append((key, "NoExecute"))
        if spec.get("unschedulable"):
            wanted.append(("node.kubernetes.io/unschedulable", "NoSchedule"))
        current = [dict(t) for t in spec.get("taints") or []]
        kept = [t for t in current if t.get("key") not in MANAGED_TAINTS
                or (t.get("key"), t.get("effect")) in wanted]
        present = {(t.get("key"), t.get("effect")) for t in kept}
        for key, effect in wanted:
            if (key, effect) not in present:
                taint = {"effect": effect, "key": key}
                if effect == "NoExecute":
                    taint["timeAdded"] = self.stamp(now)
                kept.append(taint)
        if kept == current:
            return node
        new_spec = {**spec, "taints": kept} if kept else {k: v for k, v in spec.items() if k != "taints"}
        return self.writer.update("nodes", {**node, "spec": new_spec})

    def _pods_on(self, node: Obj) -> list[Obj]:
        name = node["metadata"]["name"]
        return [pod for pod in self.sim.pods.on_node(name) if not pod_terminal(pod)]

    def _mark_pods_not_ready(self, node: Obj) -> None:
        stamp = self.stamp()
        for pod in self._pods_on(node):
            status = dict(pod.get("status") or {})
            conditions = status.get("conditions") or []
            if any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions):
                status["conditions"] = set_condition(conditions, "Ready", "False", None, None, stamp,
                                                     {"lastProbeTime": None})
                self.writer.update_status("pods", {**pod, "status": status})
            self.event(pod, "Warning", "NodeNotReady", "Node is not ready")

    def _evict(self, node: Obj, now: float) -> None:
        taints = [t for t in (node.get("spec") or {}).get("taints") or [] if t.get("effect") == "NoExecute"]
        if not taints:
            return
        component = "taint-eviction-controller" if self.cluster.version.minor >= 29 else "taint-controller"
        earliest: float | None = None
        for pod in self._pods_on(node):
            if pod["metadata"].get("deletionTimestamp"):
                continue
            due = _eviction_time((pod.get("spec") or {}).get("tolerations") or [], taints, now)
            if due is None:
                continue
            if due <= now:
                meta = pod["metadata"]
                self.sim.recorder.event(pod, "Normal", "TaintManagerEviction",
                                        f"Marking for deletion Pod {meta['namespace']}/{meta['name']}", component)
                self.writer.delete("pods", pod)
            else:
                earliest = due if earliest is None else min(earliest, due)
        if earliest is not None:
            self.enqueue_at(key_of(node), earliest)


def _eviction_time(tolerations: list[Obj], taints: list[Obj], now: float) -> float | None:
    """When a pod must leave a node with these NoExecute taints; None when it tolerates them forever."""
    due: float | None = None
    for taint in taints:
        matching = [t for t in tolerations if tolerates([t], taint)]
        if not matching:
            return now
        if any(t.get("tolerationSeconds") is None for t in matching):
            continue
        added = seconds(taint.get("timeAdded")) or now
        taint_due = added + max(0, min(int(t["tolerationSeconds"]) for t in matching))
        due = taint_due if due is None else min(due, taint_due)
    return due


def _states(node: Obj) -> dict[str, str]:
    return {str(c.get("type")): str(c.get("status")) for c in (node.get("status") or {}).get("conditions") or []}
