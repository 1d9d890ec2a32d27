"""PodDisruptionBudget arithmetic as the disruption controller does it: which budgets select a pod, how many
pods are expected, healthy and desired, and how many disruptions that allows, computed from the live
pods (and their controllers' replicas) at the moment of asking. It reads the store and never writes it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from kubegenie.sandbox.selectors import selector_from_match
from kubegenie.sandbox.store import Obj, Store

# Controllers whose replica count sets how many pods a percentage budget expects, by owner kind.
_SCALABLE = {"ReplicaSet": "apps/replicasets", "ReplicationController": "replicationcontrollers",
             "StatefulSet": "apps/statefulsets", "Deployment": "apps/deployments"}


@dataclass(frozen=True)
class Budget:
    expected: int
    current_healthy: int
    desired_healthy: int

    @property
    def disruptions_allowed(self) -> int:
        return max(self.current_healthy - self.desired_healthy, 0)


def selects(pdb: Obj, pod: Obj) -> bool:
    """policy/v1: a missing selector selects nothing, an empty one every pod of the namespace."""
    selector = (pdb.get("spec") or {}).get("selector")
    if not isinstance(selector, dict):
        return False
    labels = (pod.get("metadata") or {}).get("labels") or {}
    return selector_from_match(selector.get("matchLabels"), selector.get("matchExpressions")).matches(labels)


def budgets_for(store: Store, pod: Obj) -> list[Obj]:
    namespace = pod["metadata"].get("namespace", "")
    return [pdb for pdb in store.list_sorted("policy/poddisruptionbudgets", namespace) if selects(pdb, pod)]


def is_ready(pod: Obj) -> bool:
    for condition in (pod.get("status") or {}).get("conditions") or []:
        if isinstance(condition, dict) and condition.get("type") == "Ready":
            return condition.get("status") == "True"
    return False


def is_healthy(pod: Obj) -> bool:
    return is_ready(pod) and not pod["metadata"].get("deletionTimestamp")


def _scaled(value: Any, total: int, round_up: bool) -> int | None:
    """GetScaledValueFromIntOrPercent; None when the value is neither an int nor "N%"."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.endswith("%") and value[:-1].isdigit():
        share = int(value[:-1]) * total / 100
        return math.ceil(share) if round_up else math.floor(share)
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _controller_of(pod: Obj) -> Obj | None:
    for ref in pod["metadata"].get("ownerReferences") or []:
        if isinstance(ref, dict) and ref.get("controller"):
            return ref
    return None


def _expected_from_controllers(store: Store, pods: list[Obj]) -> int:
    """The sum of the replicas of the pods' controllers (a Deployment's, above its ReplicaSet);
    a pod without a scalable controller counts as one."""
    seen: dict[str, int] = {}
    unowned = 0
    for pod in pods:
        namespace = pod["metadata"].get("namespace", "")
        ref = _controller_of(pod)
        owner = _lookup(store, ref, namespace) if ref is not None else None
        if owner is None:
            unowned += 1
            continue
        parent_ref = _controller_of(owner) if ref is not None and ref.get("kind") == "ReplicaSet" else None
        parent = _lookup(store, parent_ref, namespace) if parent_ref is not None else None
        scale_owner = parent if parent is not None else owner
        seen[scale_owner["metadata"]["uid"]] = int((scale_owner.get("spec") or {}).get("replicas", 1) or 0)
    return sum(seen.values()) + unowned


def _lookup(store: Store, ref: Obj | None, namespace: str) -> Obj | None:
    if ref is None:
        return None
    key = _SCALABLE.get(str(ref.get("kind", "")))
    if key is None:
        return None
    found = store.get(key, namespace, str(ref.get("name", "")))
    if found is None or found["metadata"].get("uid") != ref.get("uid"):
        return None
    return found


def budget(store: Store, pdb: Obj) -> Budget:
    """The disruption controller's view of one budget, from the pods it selects now."""
    namespace = pdb["metadata"].get("namespace", "")
    pods = [pod for pod in store.list_sorted("pods", namespace) if selects(pdb, pod)
            and (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed")]
    healthy = sum(1 for pod in pods if is_healthy(pod))
    spec = pdb.get("spec") or {}
    min_available, max_unavailable = spec.get("minAvailable"), spec.get("maxUnavailable")
    if max_unavailable is not None:
        expected = _expected_from_controllers(store, pods)
        allowed = _scaled(max_unavailable, expected, True)
        desired = max(expected - (allowed or 0), 0)
    elif isinstance(min_available, int) and not isinstance(min_available, bool):
        expected, desired = len(pods), min_available
    elif min_available is not None:
        expected = _expected_from_controllers(store, pods)
        desired = _scaled(min_available, expected, True) or 0
    else:
        expected, desired = len(pods), 0
    return Budget(expected, healthy, desired)
