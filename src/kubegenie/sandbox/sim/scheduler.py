"""kube-scheduler for the sandbox: binds pending pods to nodes after its default filters (unschedulable
nodes, taints, node affinity and selectors, host ports, requests against allocatable minus what bound pods
request, volume binding), scores the feasible nodes (least allocated, spread of siblings) and preempts
lower-priority pods when that is the only way in. A pod that fits nowhere stays Pending with
PodScheduled=False and a FailedScheduling event worded as upstream's, and is retried when nodes, pods or
volumes change, or after five minutes.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from kubegenie.sandbox.handlers.binding import bound
from kubegenie.sandbox.sim import predicates
from kubegenie.sandbox.sim.controller import Controller
from kubegenie.sandbox.sim.kube import Key, controller_ref, key_of, pod_requests, pod_terminal, set_condition
from kubegenie.sandbox.store import Change, Obj

if TYPE_CHECKING:
    from kubegenie.sandbox.sim import Simulation

SCHEDULER_NAME = "default-scheduler"
INSTANCE = "default-scheduler-kubegenie-control-plane"
RETRY_INITIAL = 1.0
RETRY_MAX = 10.0
UNSCHEDULABLE_FLUSH = 300.0
FLUSH_PERIOD = 30.0
NOT_HELPFUL = "Preemption is not helpful for scheduling"
NO_VICTIMS = "No preemption victims found for incoming pod"
UNBOUND_IMMEDIATE = "pod has unbound immediate PersistentVolumeClaims"


@dataclass
class _Failure:
    reasons: list[str]
    resolvable: bool


@dataclass
class _Assigned:
    node: str
    requests: dict[str, Decimal]
    ports: set[tuple[str, int, str]]
    priority: int
    owner: str


def schedulable(pod: Obj) -> bool:
    spec = pod.get("spec") or {}
    return not spec.get("nodeName") and (spec.get("schedulerName") or SCHEDULER_NAME) == SCHEDULER_NAME \
        and not pod["metadata"].get("deletionTimestamp") and not pod_terminal(pod) \
        and not spec.get("schedulingGates")


def _histogram(reasons: list[str], total: int, prefix: str = "") -> str:
    counts = Counter(reasons)
    parts = sorted(f"{count} {reason}" for reason, count in counts.items())
    return f"{prefix}0/{total} nodes are available: {', '.join(parts)}."


class Scheduler(Controller):
    name = SCHEDULER_NAME
    manager = "kube-scheduler"
    primary = "pods"
    watches = ("pods", "nodes", "persistentvolumeclaims", "persistentvolumes")

    def __init__(self, sim: Simulation) -> None:
        super().__init__(sim)
        self._assigned: dict[Key, _Assigned] = {}
        self._usage: dict[str, predicates.NodeUsage] = {}
        self._unschedulable: dict[Key, float] = {}
        self._attempts: Counter[Key] = Counter()
        self._siblings: defaultdict[str, Counter[str]] = defaultdict(Counter)
        """Controller uid -> how many of its pods each node runs (to spread replicas)."""
        self._flush_armed = False

    # --- cache ---------------------------------------------------------------------------------------------

    def start(self) -> None:
        for pod in self.store.iter("pods"):
            self._track(pod)
        super().start()
        self._arm_flush()

    def _track(self, pod: Obj | None, key: Key | None = None) -> None:
        """Keep what bound pods request per node (terminating pods still hold their resources)."""
        if key is None:
            assert pod is not None
            key = key_of(pod)
        old = self._assigned.pop(key, None)
        if old is not None:
            self._node_usage(old.node).add(old.requests, old.ports, -1)
            if old.owner:
                self._siblings[old.owner][old.node] -= 1
        if pod is None:
            return
        spec = pod.get("spec") or {}
        node = spec.get("nodeName")
        if not node or pod_terminal(pod):
            return
        owner = str((controller_ref(pod) or {}).get("uid") or "")
        entry = _Assigned(node, pod_requests(spec), predicates.host_ports(spec), int(spec.get("priority") or 0),
                          owner)
        self._assigned[key] = entry
        self._node_usage(node).add(entry.requests, entry.ports)
        if owner:
            self._siblings[owner][node] += 1

    def _node_usage(self, node: str) -> predicates.NodeUsage:
        usage = self._usage.get(node)
        if usage is None:
            usage = self._usage[node] = predicates.NodeUsage()
        return usage

    # --- events --------------------------------------------------------------------------------------------

    def on_change(self, change: Change) -> None:
        if change.key == "pods":
            self._pod_changed(change)
        elif change.key == "nodes":
            old, new = change.old, change.obj
            if change.type == "ADDED" or (change.type == "MODIFIED" and old is not None and _node_moved(old, new)):
                self._retry_all()
        elif change.type != "DELETED":
            self._retry_all(volumes_only=True)

    def _pod_changed(self, change: Change) -> None:
        pod, old = change.obj, change.old
        key = key_of(pod)
        was_assigned = key in self._assigned
        self._track(None if change.type == "DELETED" else pod, key)
        if was_assigned and key not in self._assigned:
            self._retry_all()  # resources were freed
        if change.type == "DELETED":
            self._unschedulable.pop(key, None)
            return
        if not schedulable(pod):
            self._unschedulable.pop(key, None)
            return
        # Status-only writes (our own PodScheduled condition) are not a reason to try again.
        if old is None or old.get("spec") != pod.get("spec") \
                or old["metadata"].get("labels") != pod["metadata"].get("labels"):
            self.enqueue(key)

    def _retry_all(self, volumes_only: bool = False) -> None:
        for key in list(self._unschedulable):
            if volumes_only:
                pod = self.get(key)
                if pod is None or not any("persistentVolumeClaim" in v for v in
                                          (pod.get("spec") or {}).get("volumes") or []):
                    continue
            self._unschedulable.pop(key, None)
            delay = min(RETRY_MAX, RETRY_INITIAL * 2 ** max(0, self._attempts[key] - 1))
            self.enqueue_after(key, delay)

    def _arm_flush(self) -> None:
        if not self._flush_armed:
            self._flush_armed = True
            self.sim.timers.after(FLUSH_PERIOD, self._flush)

    def _flush(self) -> None:
        """Pods unschedulable for five minutes are tried again even if nothing changed."""
        self._flush_armed = False
        now = self.now()
        for key, since in list(self._unschedulable.items()):
            if now - since >= UNSCHEDULABLE_FLUSH:
                del self._unschedulable[key]
                self.enqueue(key)
        self._arm_flush()

    # --- one scheduling cycle ------------------------------------------------------------------------------

    def reconcile(self, key: Key) -> None:
        pod = self.get(key)
        if pod is None or not schedulable(pod):
            return
        self._attempts[key] += 1
        nodes = self.store.list_sorted("nodes")
        if not nodes:
            self._unschedulable_pod(pod, "no nodes available to schedule pods")
            return
        claims_problem, waiting_claims = self._volume_prefilter(pod)
        if claims_problem:
            self._unschedulable_pod(pod, f"0/{len(nodes)} nodes are available: {claims_problem}. preemption: "
                                         + _histogram([NOT_HELPFUL] * len(nodes), len(nodes)))
            return
        feasible: list[Obj] = []
        failures: dict[str, _Failure] = {}
        spec = pod.get("spec") or {}
        requests = pod_requests(spec)
        for node in nodes:
            failure = self._filter(pod, spec, requests, node)
            if failure is None:
                feasible.append(node)
            else:
                failures[node["metadata"]["name"]] = failure
        if feasible:
            chosen = self._score(pod, requests, feasible)
            if waiting_claims and not self._claims_ready(waiting_claims, chosen):
                self.enqueue_after(key, 1.0)
                return
            self._bind(pod, chosen)
            return
        reasons = [reason for failure in failures.values() for reason in failure.reasons]
        message = _histogram(reasons, len(nodes))
        preemption = self._preempt(pod, spec, requests, nodes, failures)
        if preemption:
            message += " preemption: " + preemption
        self._unschedulable_pod(pod, message)

    def _filter(self, pod: Obj, spec: Obj, requests: dict[str, Decimal], node: Obj) -> _Failure | None:
        tolerations = spec.get("tolerations") or []
        node_spec = node.get("spec") or {}
        if node_spec.get("unschedulable") and not predicates.tolerates(
                tolerations, {"key": predicates.UNSCHEDULABLE_TAINT, "effect": "NoSchedule"}):
            return _Failure([predicates.NODE_UNSCHEDULABLE], False)
        taint = predicates.untolerated_taint(node, tolerations)
        if taint is not None:
            return _Failure([predicates.taint_text(taint)], False)
        if not predicates.matches_node_affinity(spec, node):
            return _Failure([predicates.AFFINITY_MISMATCH], False)
        usage = self._node_usage(node["metadata"]["name"])
        if predicates.host_ports(spec) & usage.ports:
            return _Failure([predicates.PORTS_CONFLICT], True)
        short = predicates.insufficient(node, usage, requests)
        if short:
            return _Failure(short, True)
        if not self._volumes_fit(pod, node):
            return _Failure([predicates.VOLUME_AFFINITY_CONFLICT], False)
        return None

    def _score(self, pod: Obj, requests: dict[str, Decimal], nodes: list[Obj]) -> Obj:
        owner = str((controller_ref(pod) or {}).get("uid") or "")
        siblings = self._siblings.get(owner, Counter()) if owner else Counter()
        best, best_score = nodes[0], -1e18
        for node in nodes:
            name = node["metadata"]["name"]
            capacity = predicates.allocatable(node)
            usage = self._node_usage(name)
            free = []
            for resource in ("cpu", "memory"):
                total = capacity.get(resource, Decimal(0))
                used = usage.requests.get(resource, Decimal(0)) + requests.get(resource, Decimal(0))
                free.append(float((total - used) / total) if total > 0 else 0.0)
            score = sum(free) / 2 * 100 - siblings[name] * 30 + self.sim.rng.random()
            if score > best_score:
                best, best_score = node, score
        return best

    # --- volumes -------------------------------------------------------------------------------------------

    def _claims(self, pod: Obj) -> list[str]:
        return [v["persistentVolumeClaim"].get("claimName", "") for v in (pod.get("spec") or {}).get("volumes") or []
                if isinstance(v.get("persistentVolumeClaim"), dict)]

    def _volume_prefilter(self, pod: Obj) -> tuple[str, list[Obj]]:
        """VolumeBinding's PreFilter: (unresolvable reason or "", unbound WaitForFirstConsumer claims)."""
        waiting: list[Obj] = []
        namespace = pod["metadata"]["namespace"]
        for name in self._claims(pod):
            claim = self.store.get("persistentvolumeclaims", namespace, name)
            if claim is None:
                return f'persistentvolumeclaim "{name}" not found', []
            if claim["metadata"].get("deletionTimestamp"):
                return f'persistentvolumeclaim "{name}" is being deleted', []
            if (claim.get("spec") or {}).get("volumeName"):
                continue
            class_name = (claim.get("spec") or {}).get("storageClassName") or ""
            storage_class = self.store.get("storage.k8s.io/storageclasses", "", class_name) if class_name else None
            if storage_class is None or storage_class.get("volumeBindingMode") != "WaitForFirstConsumer":
                return UNBOUND_IMMEDIATE, []
            waiting.append(claim)
        return "", waiting

    def _volumes_fit(self, pod: Obj, node: Obj) -> bool:
        """Bound volumes with node affinity (local volumes) pin the pod to their node."""
        for claim_name in self._claims(pod):
            claim = self.store.get("persistentvolumeclaims", pod["metadata"]["namespace"], claim_name)
            volume_name = ((claim or {}).get("spec") or {}).get("volumeName")
            volume = self.store.get("persistentvolumes", "", volume_name) if volume_name else None
            affinity = ((volume or {}).get("spec") or {}).get("nodeAffinity") or {}
            required = affinity.get("required")
            if required and not predicates.matches_node_affinity(
                    {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": required}}},
                    node):
                return False
        return True

    def _claims_ready(self, claims: list[Obj], node: Obj) -> bool:
        """Ask for WaitForFirstConsumer claims to be provisioned on `node`; True once they are bound."""
        ready = True
        for claim in claims:
            current = self.store.get("persistentvolumeclaims", claim["metadata"]["namespace"],
                                     claim["metadata"]["name"])
            if current is None:
                return False
            if (current.get("spec") or {}).get("volumeName"):
                continue
            ready = False
            annotations = dict(current["metadata"].get("annotations") or {})
            if annotations.get("volume.kubernetes.io/selected-node") != node["metadata"]["name"]:
                annotations["volume.kubernetes.io/selected-node"] = node["metadata"]["name"]
                self.writer.update("persistentvolumeclaims", {**current, "metadata": {**current["metadata"],
                                                                                       "annotations": annotations}})
        return ready

    # --- outcomes ------------------------------------------------------------------------------------------

    def _bind(self, pod: Obj, node: Obj) -> None:
        """POST pods/binding: the apiserver sets nodeName and PodScheduled=True in one write."""
        name = node["metadata"]["name"]
        assigned = bound(pod, name, {}, self.stamp())
        assigned.get("status", {}).pop("nominatedNodeName", None)
        self.store.replace("pods", assigned)
        key = key_of(pod)
        self._unschedulable.pop(key, None)
        self._attempts.pop(key, None)
        meta = pod["metadata"]
        self.sim.recorder.series_event(pod, "Normal", "Scheduled",
                                       f"Successfully assigned {meta['namespace']}/{meta['name']} to {name}",
                                       "Binding", SCHEDULER_NAME, INSTANCE)

    def _unschedulable_pod(self, pod: Obj, message: str) -> None:
        status = dict(pod.get("status") or {})
        status["conditions"] = set_condition(status.get("conditions") or [], "PodScheduled", "False",
                                             "Unschedulable", message, self.stamp(), {"lastProbeTime": None})
        if status != pod.get("status"):
            self.writer.update_status("pods", {**pod, "status": status})
        self._unschedulable[key_of(pod)] = self.now()
        self.sim.recorder.series_event(pod, "Warning", "FailedScheduling", message, "Scheduling", SCHEDULER_NAME,
                                       INSTANCE)

    def _preempt(self, pod: Obj, spec: Obj, requests: dict[str, Decimal], nodes: list[Obj],
                 failures: dict[str, _Failure]) -> str:
        """DefaultPreemption: evict lower-priority pods from one node if that lets the pod in."""
        if spec.get("preemptionPolicy") == "Never":
            return "not eligible due to preemptionPolicy=Never."
        priority = int(spec.get("priority") or 0)
        verdicts: list[str] = []
        best: tuple[int, str, list[Key]] | None = None
        for node in nodes:
            name = node["metadata"]["name"]
            failure = failures[name]
            if not failure.resolvable:
                verdicts.append(NOT_HELPFUL)
                continue
            victims = self._victims(node, priority, requests)
            if victims is None:
                verdicts.append(NO_VICTIMS)
                continue
            cost = sum(self._assigned[v].priority for v in victims) * 1000 + len(victims)
            if best is None or cost < best[0]:
                best = (cost, name, victims)
        if best is None:
            return _histogram(verdicts, len(nodes))
        _, node_name, victims = best
        for victim_key in victims:
            victim = self.store.get("pods", *victim_key)
            if victim is None:
                continue
            self.sim.recorder.series_event(victim, "Normal", "Preempted", f"Preempted by pod {pod['metadata']['uid']} "
                                           f"on node {node_name}", "Preempting", SCHEDULER_NAME, INSTANCE)
            self.writer.delete("pods", victim)
        current = self.get(key_of(pod))
        if current is not None:
            self.writer.update_status("pods", {**current, "status": {**(current.get("status") or {}),
                                                                     "nominatedNodeName": node_name}})
        return ""

    def _victims(self, node: Obj, priority: int, requests: dict[str, Decimal]) -> list[Key] | None:
        name = node["metadata"]["name"]
        usage = self._node_usage(name)
        lower = sorted(((entry.priority, key) for key, entry in self._assigned.items()
                        if entry.node == name and entry.priority < priority), key=lambda item: item[0])
        trial = predicates.NodeUsage(dict(usage.requests), usage.pods, set(usage.ports))
        chosen: list[Key] = []
        for _, key in lower:
            entry = self._assigned[key]
            trial.add(entry.requests, entry.ports, -1)
            chosen.append(key)
            if not predicates.insufficient(node, trial, requests):
                return chosen
        return None


def _node_moved(old: Obj, new: Obj) -> bool:
    """Node changes the scheduler re-queues pods for: labels, taints, cordon, allocatable, condition states."""
    if old["metadata"].get("labels") != new["metadata"].get("labels") or old.get("spec") != new.get("spec"):
        return True
    old_status, new_status = old.get("status") or {}, new.get("status") or {}
    if old_status.get("allocatable") != new_status.get("allocatable"):
        return True
    states = [{c.get("type"): c.get("status") for c in status.get("conditions") or []}
              for status in (old_status, new_status)]
    return states[0] != states[1]
