"""What the workload controllers share: turning a pod template into a pod owned by a controller, finding a
controller's pods (and adopting or releasing them by selector), the order in which pods are chosen for
deletion, and replica counts by readiness.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from kubegenie.sandbox.sim.kube import (
    Key,
    controller_ref,
    copy,
    key_of,
    owner_ref,
    pod_active,
    pod_available,
    pod_ready,
    seconds,
    spec_selector,
)
from kubegenie.sandbox.store import Change, Obj

if TYPE_CHECKING:
    from kubegenie.sandbox.sim.controller import Controller


def pod_from_template(owner: Obj, template: Obj, name: str | None = None, generate_name: str | None = None,
                      extra_labels: dict[str, str] | None = None) -> Obj:
    """A Pod body from `template`, controlled by `owner`."""
    template = copy(template)
    meta = template.get("metadata") or {}
    pod_meta: Obj = {"namespace": owner["metadata"]["namespace"]}
    if name:
        pod_meta["name"] = name
    else:
        pod_meta["generateName"] = generate_name or f"{owner['metadata']['name']}-"
    labels = {**(meta.get("labels") or {}), **(extra_labels or {})}
    if labels:
        pod_meta["labels"] = labels
    if meta.get("annotations"):
        pod_meta["annotations"] = dict(meta["annotations"])
    if meta.get("finalizers"):
        pod_meta["finalizers"] = list(meta["finalizers"])
    pod_meta["ownerReferences"] = [owner_ref(owner)]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": pod_meta, "spec": template.get("spec") or {}}


def controlled_pods(controller: Controller, owner: Obj) -> list[Obj]:
    """Pods whose controller reference is `owner` (from the garbage collector's index of dependents)."""
    uid = owner["metadata"]["uid"]
    pods = [obj for obj in controller.cluster.gc.dependents(uid) if obj.get("kind") == "Pod"
            and (controller_ref(obj) or {}).get("uid") == uid]
    return sorted(pods, key=lambda pod: str(pod["metadata"]["name"]))


def owned_pods(controller: Controller, owner: Obj, adopt: bool = True) -> list[Obj]:
    """Pods controlled by `owner`; with `adopt`, orphans matching its selector are adopted, and strays whose
    labels no longer match are released, as the controller-ref manager does."""
    selector = spec_selector(owner.get("spec") or {})
    uid = owner["metadata"]["uid"]
    namespace = owner["metadata"]["namespace"]
    candidates = controlled_pods(controller, owner)
    if adopt:
        # Orphans to adopt match the selector; the owner's own pods that stopped matching are released below.
        known = {pod["metadata"]["name"] for pod in candidates}
        candidates += [pod for pod in controller.sim.pods.selected(namespace, selector)
                       if pod["metadata"]["name"] not in known]
    result = []
    for pod in candidates:
        ref = controller_ref(pod)
        labels = pod["metadata"].get("labels")
        matches = selector is not None and not selector.empty and selector.matches(labels)
        if ref is not None and ref.get("uid") == uid:
            if matches or owner["metadata"].get("deletionTimestamp"):
                result.append(pod)
            else:
                refs = [r for r in pod["metadata"].get("ownerReferences") or [] if r.get("uid") != uid]
                controller.writer.update("pods", {**pod, "metadata": {**pod["metadata"], "ownerReferences": refs}})
        elif ref is None and matches and adopt and not owner["metadata"].get("deletionTimestamp") \
                and not pod["metadata"].get("deletionTimestamp"):
            refs = [*(pod["metadata"].get("ownerReferences") or []), owner_ref(owner)]
            result.append(controller.writer.update("pods", {**pod, "metadata": {**pod["metadata"],
                                                                                 "ownerReferences": refs}}))
    return result


def owner_keys(change: Change, kind: str) -> Iterable[Key]:
    """Keys of the `kind` objects controlling the pod in `change` (before and after)."""
    for obj in (change.obj, change.old):
        if obj is None:
            continue
        ref = controller_ref(obj)
        if ref is not None and ref.get("kind") == kind:
            yield obj["metadata"].get("namespace", ""), str(ref.get("name"))


def orphan_owners(controller: Controller, change: Change, storage_key: str) -> Iterable[Key]:
    """Controllers of `storage_key` whose selector matches an orphan pod (they may adopt it)."""
    pod = change.obj
    if change.type == "DELETED" or controller_ref(pod) is not None:
        return
    labels = pod["metadata"].get("labels")
    for owner in controller.store.iter(storage_key, pod["metadata"]["namespace"]):
        selector = spec_selector(owner.get("spec") or {})
        if selector is not None and not selector.empty and selector.matches(labels):
            yield key_of(owner)


def deletion_rank(pod: Obj) -> tuple[int, int, int, float, int, float]:
    """Pods to delete first sort first: unscheduled, pending, not ready, ready briefly, restarted, newest."""
    status = pod.get("status") or {}
    phase_rank = {"Pending": 0, "Unknown": 1, "Running": 2}.get(str(status.get("phase")), 0)
    ready = pod_ready(pod)
    ready_since = 0.0
    if ready:
        for cond in status.get("conditions") or []:
            if cond.get("type") == "Ready":
                ready_since = seconds(cond.get("lastTransitionTime")) or 0.0
    restarts = sum(int(c.get("restartCount") or 0) for c in status.get("containerStatuses") or [])
    created = seconds(pod["metadata"].get("creationTimestamp")) or 0.0
    return (1 if (pod.get("spec") or {}).get("nodeName") else 0, phase_rank, 1 if ready else 0, -ready_since,
            -restarts, -created)


def counts(pods: Iterable[Obj], min_ready_seconds: int, now: float) -> tuple[int, int, int]:
    """(active, ready, available) among `pods`."""
    active = ready = available = 0
    for pod in pods:
        if not pod_active(pod):
            continue
        active += 1
        if pod_ready(pod):
            ready += 1
            if pod_available(pod, min_ready_seconds, now):
                available += 1
    return active, ready, available


def next_available_at(pods: Iterable[Obj], min_ready_seconds: int, now: float) -> float | None:
    """When the next ready-but-not-yet-available pod becomes available (minReadySeconds)."""
    moments = []
    for pod in pods:
        if pod_active(pod) and pod_ready(pod) and not pod_available(pod, min_ready_seconds, now):
            for cond in (pod.get("status") or {}).get("conditions") or []:
                if cond.get("type") == "Ready":
                    since = seconds(cond.get("lastTransitionTime"))
                    if since is not None:
                        moments.append(since + min_ready_seconds)
    return min(moments) if moments else None
