"""The DaemonSet controller: one pod per eligible node (node selector, required node affinity, tolerated
taints, with the tolerations DaemonSet pods get automatically), pinned to its node by node affinity and
placed by the scheduler, replaced when it fails or its template changes (RollingUpdate, maxUnavailable),
removed from nodes that are no longer eligible; status counts scheduled, ready and available pods.
"""

from __future__ import annotations

from kubegenie.sandbox.sim import predicates
from kubegenie.sandbox.sim.controller import Controller
from kubegenie.sandbox.sim.controllers.deployment import template_hash
from kubegenie.sandbox.sim.controllers.workload import controlled_pods, owner_keys, pod_from_template
from kubegenie.sandbox.sim.kube import Key, key_of, pod_available, pod_ready, pod_terminal
from kubegenie.sandbox.store import Change, Obj

REVISION_LABEL = "controller-revision-hash"
GENERATION_LABEL = "pod-template-generation"
DAEMON_TOLERATIONS = (
    ("node.kubernetes.io/not-ready", "NoExecute"), ("node.kubernetes.io/unreachable", "NoExecute"),
    ("node.kubernetes.io/disk-pressure", "NoSchedule"), ("node.kubernetes.io/memory-pressure", "NoSchedule"),
    ("node.kubernetes.io/pid-pressure", "NoSchedule"), ("node.kubernetes.io/unschedulable", "NoSchedule"),
)


def daemon_tolerations(spec: Obj) -> list[Obj]:
    tolerations = [dict(t) for t in spec.get("tolerations") or []]
    extra = list(DAEMON_TOLERATIONS)
    if spec.get("hostNetwork"):
        extra.append(("node.kubernetes.io/network-unavailable", "NoSchedule"))
    for key, effect in extra:
        if not any(t.get("key") == key and t.get("effect") == effect for t in tolerations):
            tolerations.append({"key": key, "operator": "Exists", "effect": effect})
    return tolerations


def eligible(pod_spec: Obj, node: Obj) -> bool:
    if not predicates.matches_node_affinity(pod_spec, node):
        return False
    return predicates.untolerated_taint(node, daemon_tolerations(pod_spec)) is None


class DaemonSetController(Controller):
    name = "daemonset-controller"
    primary = "apps/daemonsets"
    watches = ("apps/daemonsets", "pods", "nodes")

    def on_change(self, change: Change) -> None:
        if change.key == self.primary:
            super().on_change(change)
        elif change.key == "pods":
            for key in owner_keys(change, "DaemonSet"):
                self.enqueue(key)
        elif change.type != "MODIFIED" or change.old is None or _node_shape_changed(change.old, change.obj):
            for ds in self.store.iter(self.primary):
                self.enqueue(key_of(ds))

    def reconcile(self, key: Key) -> None:
        ds = self.get(key)
        if ds is None or ds["metadata"].get("deletionTimestamp"):
            return
        spec = ds.get("spec") or {}
        template = spec.get("template") or {}
        pod_spec = template.get("spec") or {}
        revision = template_hash(template)
        generation = str(ds["metadata"].get("generation", 1))
        nodes = {node["metadata"]["name"]: node for node in self.store.iter("nodes")}
        by_node: dict[str, list[Obj]] = {}
        for pod in controlled_pods(self, ds):
            if not pod["metadata"].get("deletionTimestamp"):
                by_node.setdefault(_target_node(pod), []).append(pod)
        for node_name, node in sorted(nodes.items()):
            pods = by_node.get(node_name, [])
            if not eligible(pod_spec, node):
                for pod in pods:
                    self._delete(ds, pod)
                continue
            failed = [pod for pod in pods if pod_terminal(pod)]
            for pod in failed:
                self._delete(ds, pod)
            live = [pod for pod in pods if not pod_terminal(pod)]
            if not live:
                self._create(ds, template, node_name, revision, generation)
            for extra in live[1:]:
                self._delete(ds, extra)
        for node_name, pods in by_node.items():
            if node_name not in nodes:
                for pod in pods:
                    self._delete(ds, pod)
        self._roll(ds, by_node, nodes, revision)
        self._update_status(ds, revision)

    def _create(self, ds: Obj, template: Obj, node: str, revision: str, generation: str) -> None:
        body = pod_from_template(ds, template, extra_labels={REVISION_LABEL: revision, GENERATION_LABEL: generation})
        spec = body["spec"]
        spec["tolerations"] = daemon_tolerations(spec)
        affinity = dict(spec.get("affinity") or {})
        affinity["nodeAffinity"] = {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]}]}}
        spec["affinity"] = affinity
        pod = self.writer.create("pods", ds["metadata"]["namespace"], body)
        self.event(ds, "Normal", "SuccessfulCreate", f"Created pod: {pod['metadata']['name']}")

    def _delete(self, ds: Obj, pod: Obj) -> None:
        if self.writer.delete("pods", pod):
            self.event(ds, "Normal", "SuccessfulDelete", f"Deleted pod: {pod['metadata']['name']}")

    def _roll(self, ds: Obj, by_node: dict[str, list[Obj]], nodes: dict[str, Obj], revision: str) -> None:
        strategy = (ds.get("spec") or {}).get("updateStrategy") or {}
        if strategy.get("type") == "OnDelete":
            return
        budget = int(((strategy.get("rollingUpdate") or {}).get("maxUnavailable")) or 1) \
            if not str((strategy.get("rollingUpdate") or {}).get("maxUnavailable", "1")).endswith("%") else 1
        pods = [pod for name, found in by_node.items() if name in nodes for pod in found if not pod_terminal(pod)]
        unavailable = sum(1 for pod in pods if not pod_ready(pod))
        for pod in sorted(pods, key=lambda p: p["metadata"]["name"]):
            if unavailable >= budget:
                return
            if (pod["metadata"].get("labels") or {}).get(REVISION_LABEL) != revision:
                self._delete(ds, pod)
                unavailable += 1

    def _update_status(self, ds: Obj, revision: str) -> None:
        ds = self.get(key_of(ds)) or ds
        pod_spec = ((ds.get("spec") or {}).get("template") or {}).get("spec") or {}
        min_ready = int((ds.get("spec") or {}).get("minReadySeconds") or 0)
        nodes = {node["metadata"]["name"]: node for node in self.store.iter("nodes")}
        desired = sum(1 for node in nodes.values() if eligible(pod_spec, node))
        scheduled = misscheduled = ready = available = updated = 0
        now = self.now()
        for pod in controlled_pods(self, ds):
            if pod["metadata"].get("deletionTimestamp") or pod_terminal(pod):
                continue
            node = (pod.get("spec") or {}).get("nodeName")
            if not node:
                continue
            if node in nodes and eligible(pod_spec, nodes[node]):
                scheduled += 1
            else:
                misscheduled += 1
            if pod_ready(pod):
                ready += 1
            if pod_available(pod, min_ready, now):
                available += 1
            if (pod["metadata"].get("labels") or {}).get(REVISION_LABEL) == revision:
                updated += 1
        current = ds.get("status") or {}
        status: Obj = {"currentNumberScheduled": scheduled, "desiredNumberScheduled": desired,
                       "numberMisscheduled": misscheduled, "numberReady": ready,
                       "observedGeneration": ds["metadata"].get("generation", 1)}
        if available:
            status["numberAvailable"] = available
        if desired - available > 0:
            status["numberUnavailable"] = desired - available
        if updated:
            status["updatedNumberScheduled"] = updated
        if status != current:
            self.writer.update_status(self.primary, {**ds, "status": status})


def _target_node(pod: Obj) -> str:
    spec = pod.get("spec") or {}
    if spec.get("nodeName"):
        return str(spec["nodeName"])
    terms = ((((spec.get("affinity") or {}).get("nodeAffinity") or {})
              .get("requiredDuringSchedulingIgnoredDuringExecution") or {}).get("nodeSelectorTerms") or [])
    for term in terms:
        for field in term.get("matchFields") or []:
            if field.get("key") == "metadata.name" and field.get("values"):
                return str(field["values"][0])
    return ""


def _node_shape_changed(old: Obj, new: Obj) -> bool:
    return old["metadata"].get("labels") != new["metadata"].get("labels") or \
        (old.get("spec") or {}).get("taints") != (new.get("spec") or {}).get("taints")
