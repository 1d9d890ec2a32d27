"""The disruption controller: for each PodDisruptionBudget, the pods it selects, how many are expected (from
their controllers' scale for maxUnavailable and percentages), how many must stay healthy and how many
disruptions are allowed now, with the DisruptionAllowed condition; evictions recorded in
status.disruptedPods count as already gone until the pod is deleted or two minutes pass.
"""

from __future__ import annotations

import math

from kubegenie.sandbox.selectors import selector_from_match
from kubegenie.sandbox.sim.controller import Controller
from kubegenie.sandbox.sim.kube import Key, controller_ref, key_of, pod_ready, pod_terminal, seconds, set_condition
from kubegenie.sandbox.store import Change, Obj

DISRUPTION_TIMEOUT = 120.0
SCALED = {"ReplicaSet": "apps/replicasets", "StatefulSet": "apps/statefulsets", "Deployment": "apps/deployments",
          "ReplicationController": "replicationcontrollers"}


def _percent_or_int(value: object, total: int, round_up: bool) -> int:
    if isinstance(value, str) and value.endswith("%"):
        scaled = total * int(value[:-1] or 0) / 100
        return math.ceil(scaled) if round_up else math.floor(scaled)
    return int(str(value))


class DisruptionController(Controller):
    name = "controllermanager"
    primary = "policy/poddisruptionbudgets"
    watches = ("policy/poddisruptionbudgets", "pods")

    def on_change(self, change: Change) -> None:
        if change.key == self.primary:
            old = change.old
            if old is None or old.get("spec") != change.obj.get("spec") or \
                    (old.get("status") or {}).get("disruptedPods") != (change.obj.get("status") or {}).get(
                        "disruptedPods"):
                super().on_change(change)
            return
        pod = change.obj
        for pdb in self.store.iter(self.primary, pod["metadata"]["namespace"]):
            selector = (pdb.get("spec") or {}).get("selector")
            if selector is not None and selector_from_match(selector.get("matchLabels"), selector.get(
                    "matchExpressions")).matches(pod["metadata"].get("labels")):
                self.enqueue(key_of(pdb))

    def reconcile(self, key: Key) -> None:
        pdb = self.get(key)
        if pdb is None or pdb["metadata"].get("deletionTimestamp"):
            return
        spec = pdb.get("spec") or {}
        selector = spec.get("selector")
        pods: list[Obj] = []
        if selector is not None:
            match = selector_from_match(selector.get("matchLabels"), selector.get("matchExpressions"))
            # policy/v1: an empty selector selects every pod of the namespace.
            candidates = self.store.iter("pods", key[0]) if match.empty else self.sim.pods.selected(key[0], match)
            pods = [pod for pod in candidates if match.matches(pod["metadata"].get("labels")) and not pod_terminal(pod)]
        if not pods:
            self.event(pdb, "Normal", "NoPods", "No matching pods found")
        current = pdb.get("status") or {}
        now = self.now()
        disrupted = {}
        for name, when in (current.get("disruptedPods") or {}).items():
            pod = next((p for p in pods if p["metadata"]["name"] == name), None)
            since = seconds(when) or now
            if pod is not None and not pod["metadata"].get("deletionTimestamp") and now - since < DISRUPTION_TIMEOUT:
                disrupted[name] = when
                self.enqueue_at(key, since + DISRUPTION_TIMEOUT)
        healthy = sum(1 for pod in pods if pod_ready(pod) and not pod["metadata"].get("deletionTimestamp")
                      and pod["metadata"]["name"] not in disrupted)
        expected, desired = self._expected(spec, pods)
        allowed = max(healthy - desired, 0) if expected > 0 else 0
        stamp = self.stamp()
        status: Obj = {"currentHealthy": healthy, "desiredHealthy": desired, "disruptionsAllowed": allowed,
                       "expectedPods": expected, "observedGeneration": pdb["metadata"].get("generation", 1)}
        if disrupted:
            status["disruptedPods"] = disrupted
        generation = {"observedGeneration": pdb["metadata"].get("generation", 1)}
        if allowed > 0:
            conditions = set_condition(current.get("conditions") or [], "DisruptionAllowed", "True", "SufficientPods",
                                       None, stamp, generation)
        else:
            conditions = set_condition(current.get("conditions") or [], "DisruptionAllowed", "False",
                                       "InsufficientPods", None, stamp, generation)
        for cond in conditions:
            cond.setdefault("message", "")
        status["conditions"] = conditions
        if status != current:
            self.writer.update_status(self.primary, {**pdb, "status": status})

    def _expected(self, spec: Obj, pods: list[Obj]) -> tuple[int, int]:
        """(expectedPods, desiredHealthy) as getExpectedPodCount computes them."""
        min_available = spec.get("minAvailable")
        max_unavailable = spec.get("maxUnavailable")
        if max_unavailable is None and not (isinstance(min_available, str) and min_available.endswith("%")):
            return len(pods), int(min_available) if min_available is not None else len(pods)
        expected = self._scale_of_controllers(pods)
        if max_unavailable is not None:
            return expected, max(0, expected - _percent_or_int(max_unavailable, expected, True))
        return expected, _percent_or_int(min_available, expected, True)

    def _scale_of_controllers(self, pods: list[Obj]) -> int:
        seen: dict[str, int] = {}
        for pod in pods:
            ref = controller_ref(pod)
            if ref is None or ref.get("kind") not in SCALED:
                seen[pod["metadata"]["uid"]] = 1
                continue
            owner = self.store.get(SCALED[str(ref["kind"])], pod["metadata"]["namespace"], str(ref["name"]))
            if owner is None:
                continue
            parent = controller_ref(owner)
            if ref.get("kind") == "ReplicaSet" and parent is not None and parent.get("kind") == "Deployment":
                deployment = self.store.get("apps/deployments", pod["metadata"]["namespace"], str(parent["name"]))
                if deployment is not None:
                    owner = deployment
            seen[owner["metadata"]["uid"]] = int((owner.get("spec") or {}).get("replicas", 1))
        return sum(seen.values())
