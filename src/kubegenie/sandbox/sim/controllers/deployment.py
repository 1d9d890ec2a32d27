"""The Deployment controller: a ReplicaSet per pod template (named by pod-template-hash, numbered by the
revision annotation), RollingUpdate within maxSurge/maxUnavailable or Recreate, revision history and rollback
(an old template coming back makes its ReplicaSet the newest revision), and the status `kubectl rollout
status` reads: observedGeneration, updated/ready/available replicas and the Available and Progressing
conditions, including ProgressDeadlineExceeded, with its ReplicaSets' ReplicaFailure moved up.
"""

from __future__ import annotations

import math

import orjson

from kubegenie.sandbox.sim.controller import Controller
from kubegenie.sandbox.sim.kube import Key, controller_ref, copy, key_of, owner_ref, seconds, spec_selector
from kubegenie.sandbox.store import Change, Obj

REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
HASH_LABEL = "pod-template-hash"
_NOT_COPIED = {"kubectl.kubernetes.io/last-applied-configuration", REVISION, REVISION_HISTORY, DESIRED_REPLICAS,
               MAX_REPLICAS, "deprecated.deployment.rollback.to"}
_SAFE = "bcdfghjklmnpqrstvwxz2456789"


def template_hash(template: Obj, collisions: int = 0) -> str:
    """pod-template-hash: FNV-32a of the template, spelled with the apimachinery's safe alphabet."""
    value = 0x811C9DC5
    data = orjson.dumps(_without_hash(template), option=orjson.OPT_SORT_KEYS)
    if collisions:
        data += str(collisions).encode()
    for byte in data:
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return "".join(_SAFE[ord(char) % len(_SAFE)] for char in str(value))


def _without_hash(template: Obj) -> Obj:
    """The template as compared between a Deployment and its ReplicaSets: no hash label, no empty metadata
    (clients send `creationTimestamp: null` back, as typed Go clients serialise the zero time)."""
    template = copy(template)
    meta = template.get("metadata")
    if isinstance(meta, dict):
        labels = meta.get("labels")
        if isinstance(labels, dict):
            labels.pop(HASH_LABEL, None)
        template["metadata"] = {key: value for key, value in meta.items() if value not in (None, {}, [])}
    return template


def resolve(value: object, total: int, round_up: bool) -> int:
    """An int-or-percent field against `total` (surge rounds up, unavailable rounds down)."""
    if isinstance(value, str) and value.endswith("%"):
        try:
            percent = int(value[:-1])
        except ValueError:
            return 0
        scaled = total * percent / 100
        return math.ceil(scaled) if round_up else math.floor(scaled)
    try:
        return int(str(value))
    except ValueError:
        return 0


def surge_and_unavailable(deployment: Obj) -> tuple[int, int]:
    spec = deployment.get("spec") or {}
    strategy = spec.get("strategy") or {}
    replicas = int(spec.get("replicas", 1))
    if strategy.get("type") == "Recreate":
        return 0, 0
    rolling = strategy.get("rollingUpdate") or {}
    surge = resolve(rolling.get("maxSurge", "25%"), replicas, True)
    unavailable = resolve(rolling.get("maxUnavailable", "25%"), replicas, False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, min(unavailable, replicas)


def _revision(rs: Obj) -> int:
    try:
        return int((rs["metadata"].get("annotations") or {}).get(REVISION, "0"))
    except ValueError:
        return 0


def _replicas(rs: Obj | None) -> int:
    return int(((rs or {}).get("spec") or {}).get("replicas") or 0)


def _status(rs: Obj | None, field: str) -> int:
    return int(((rs or {}).get("status") or {}).get(field) or 0)


class DeploymentController(Controller):
    name = "deployment-controller"
    primary = "apps/deployments"
    watches = ("apps/deployments", "apps/replicasets", "pods")

    def on_change(self, change: Change) -> None:
        if change.key == self.primary:
            super().on_change(change)
        elif change.key == "apps/replicasets":
            for obj in (change.obj, change.old):
                ref = controller_ref(obj) if obj is not None else None
                if ref is not None and ref.get("kind") == "Deployment":
                    self.enqueue((obj["metadata"]["namespace"], str(ref["name"])))  # type: ignore[index]
        elif change.type == "DELETED":
            ref = controller_ref(change.obj)
            if ref is not None and ref.get("kind") == "ReplicaSet":
                rs = self.store.get("apps/replicasets", change.obj["metadata"]["namespace"], str(ref["name"]))
                owner = controller_ref(rs) if rs is not None else None
                if owner is not None and owner.get("kind") == "Deployment":
                    self.enqueue((change.obj["metadata"]["namespace"], str(owner["name"])))

    # --- reconcile -----------------------------------------------------------------------------------------

    def reconcile(self, key: Key) -> None:
        d = self.get(key)
        if d is None or d["metadata"].get("deletionTimestamp"):
            return
        rss = self._replica_sets(d)
        spec = d.get("spec") or {}
        if spec.get("paused"):
            new_rs = self._find_new(d, rss)
            self._sync_status(d, new_rs, rss, paused=True)
            return
        recreate = (spec.get("strategy") or {}).get("type") == "Recreate"
        new_rs = self._find_new(d, rss)
        old = [rs for rs in rss if rs is not new_rs]
        if recreate:
            new_rs, rss = self._recreate(d, new_rs, old, rss)
        else:
            if new_rs is None:
                new_rs = self._create_new(d, rss)
                rss = [*rss, new_rs]
            else:
                new_rs = self._sync_revision(d, new_rs, old)
                rss = [new_rs, *old]
            self._rolling(d, new_rs, old, rss)
        rss = self._replica_sets(d, adopt=False)
        new_rs = next((rs for rs in rss if new_rs is not None and rs["metadata"]["uid"] == new_rs["metadata"]["uid"]),
                      None)
        self._cleanup(d, new_rs, rss)
        self._sync_status(d, new_rs, self._replica_sets(d, adopt=False), paused=False)

    def _replica_sets(self, d: Obj, adopt: bool = True) -> list[Obj]:
        selector = spec_selector(d.get("spec") or {})
        uid = d["metadata"]["uid"]
        result = []
        for rs in list(self.store.iter("apps/replicasets", d["metadata"]["namespace"])):
            ref = controller_ref(rs)
            if ref is not None and ref.get("uid") == uid:
                result.append(rs)
            elif ref is None and adopt and selector is not None and not selector.empty \
                    and selector.matches(rs["metadata"].get("labels")) and not rs["metadata"].get("deletionTimestamp"):
                refs = [*(rs["metadata"].get("ownerReferences") or []), owner_ref(d)]
                result.append(self.writer.update("apps/replicasets", {**rs, "metadata": {**rs["metadata"],
                                                                                         "ownerReferences": refs}}))
        result.sort(key=lambda rs: (rs["metadata"].get("creationTimestamp", ""), rs["metadata"]["name"]))
        return result

    def _find_new(self, d: Obj, rss: list[Obj]) -> Obj | None:
        wanted = _without_hash((d.get("spec") or {}).get("template") or {})
        matching = [rs for rs in rss if _without_hash((rs.get("spec") or {}).get("template") or {}) == wanted]
        return matching[0] if matching else None

    # --- the new ReplicaSet --------------------------------------------------------------------------------

    def _annotations(self, d: Obj, rs_annotations: dict[str, str], revision: int) -> dict[str, str]:
        surge, _ = surge_and_unavailable(d)
        replicas = int((d.get("spec") or {}).get("replicas", 1))
        annotations = dict(rs_annotations)
        for name, value in (d["metadata"].get("annotations") or {}).items():
            if name not in _NOT_COPIED:
                annotations[name] = value
        annotations[DESIRED_REPLICAS] = str(replicas)
        annotations[MAX_REPLICAS] = str(replicas + surge)
        annotations[REVISION] = str(revision)
        return annotations

    def _create_new(self, d: Obj, rss: list[Obj]) -> Obj:
        spec = d.get("spec") or {}
        collisions = int((d.get("status") or {}).get("collisionCount") or 0)
        pod_hash = template_hash(spec.get("template") or {}, collisions)
        template = copy(spec.get("template") or {})
        template.setdefault("metadata", {}).setdefault("labels", {})[HASH_LABEL] = pod_hash
        selector = copy(spec.get("selector") or {})
        selector.setdefault("matchLabels", {})[HASH_LABEL] = pod_hash
        revision = max((_revision(rs) for rs in rss), default=0) + 1
        name = f"{d['metadata']['name']}-{pod_hash}"
        replicas = self._new_replicas(d, None, rss)
        body = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
                "metadata": {"name": name, "labels": dict(template["metadata"]["labels"]),
                             "annotations": self._annotations(d, {}, revision), "ownerReferences": [owner_ref(d)]},
                "spec": {"replicas": replicas, "minReadySeconds": int(spec.get("minReadySeconds") or 0),
                         "selector": selector, "template": template}}
        created = self.writer.create("apps/replicasets", d["metadata"]["namespace"], body)
        if replicas > 0:
            self._scaled_event(d, created, 0, replicas)
        self._set_progressing(d, "True", "NewReplicaSetCreated", f'Created new replica set "{name}"')
        return created

    def _sync_revision(self, d: Obj, new_rs: Obj, old: list[Obj]) -> Obj:
        """Keep the new ReplicaSet's revision the highest (a rollback brings an old one back on top)."""
        max_old = max((_revision(rs) for rs in old), default=0)
        current = _revision(new_rs)
        revision = current if current > max_old else max_old + 1
        annotations = dict(new_rs["metadata"].get("annotations") or {})
        if revision != current and current > 0:
            history = [h for h in annotations.get(REVISION_HISTORY, "").split(",") if h]
            annotations[REVISION_HISTORY] = ",".join([*history, str(current)])
        wanted = self._annotations(d, annotations, revision)
        if wanted != (new_rs["metadata"].get("annotations") or {}):
            new_rs = self.writer.update("apps/replicasets", {**new_rs, "metadata": {**new_rs["metadata"],
                                                                                    "annotations": wanted}})
        return new_rs

    def _new_replicas(self, d: Obj, new_rs: Obj | None, rss: list[Obj]) -> int:
        replicas = int((d.get("spec") or {}).get("replicas", 1))
        if (d.get("spec") or {}).get("strategy", {}).get("type") == "Recreate":
            return replicas
        surge, _ = surge_and_unavailable(d)
        current = sum(_replicas(rs) for rs in rss)
        if current >= replicas + surge:
            return _replicas(new_rs)
        growth = min(replicas + surge - current, replicas - _replicas(new_rs))
        return max(_replicas(new_rs) + growth, 0)

    def _scale(self, d: Obj, rs: Obj, replicas: int) -> Obj:
        current = _replicas(rs)
        annotations = self._annotations(d, dict(rs["metadata"].get("annotations") or {}), _revision(rs))
        if current == replicas and annotations == (rs["metadata"].get("annotations") or {}):
            return rs
        updated = self.writer.update("apps/replicasets", {**rs, "metadata": {**rs["metadata"],
                                                                             "annotations": annotations},
                                                          "spec": {**(rs.get("spec") or {}), "replicas": replicas}})
        if current != replicas:
            self._scaled_event(d, rs, current, replicas)
        return updated

    def _scaled_event(self, d: Obj, rs: Obj, old: int, new: int) -> None:
        direction = "up" if new > old else "down"
        name = rs["metadata"]["name"]
        if self.cluster.version.minor >= 32:
            message = f"Scaled {direction} replica set {name} from {old} to {new}"
        else:
            message = f"Scaled {direction} replica set {name} to {new}"
        self.event(d, "Normal", "ScalingReplicaSet", message)

    # --- strategies ----------------------------------------------------------------------------------------

    def _rolling(self, d: Obj, new_rs: Obj, old: list[Obj], rss: list[Obj]) -> None:
        replicas = int((d.get("spec") or {}).get("replicas", 1))
        if not any(_replicas(rs) for rs in old):
            self._scale(d, new_rs, replicas)
            return
        wanted = _replicas(new_rs)
        if wanted > replicas:
            wanted = replicas
        else:
            wanted = self._new_replicas(d, new_rs, rss)
        new_rs = self._scale(d, new_rs, wanted)
        _, max_unavailable = surge_and_unavailable(d)
        min_available = replicas - max_unavailable
        all_pods = _replicas(new_rs) + sum(_replicas(rs) for rs in old)
        new_unavailable = _replicas(new_rs) - _status(new_rs, "availableReplicas")
        budget = all_pods - min_available - new_unavailable
        if budget <= 0:
            return
        old_sorted = sorted(old, key=lambda rs: (_revision(rs), rs["metadata"].get("creationTimestamp", "")))
        for rs in old_sorted:
            if budget <= 0:
                break
            unhealthy = _replicas(rs) - _status(rs, "availableReplicas")
            if unhealthy <= 0:
                continue
            cut = min(unhealthy, budget)
            self._scale(d, rs, _replicas(rs) - cut)
            budget -= cut
        old = [self.store.get("apps/replicasets", *key_of(rs)) or rs for rs in old_sorted]
        available = _status(new_rs, "availableReplicas") + sum(_status(rs, "availableReplicas") for rs in old)
        total_cut = min(available - min_available, budget)
        for rs in old:
            if total_cut <= 0:
                break
            if _replicas(rs) == 0:
                continue
            cut = min(_replicas(rs), total_cut)
            self._scale(d, rs, _replicas(rs) - cut)
            total_cut -= cut

    def _recreate(self, d: Obj, new_rs: Obj | None, old: list[Obj], rss: list[Obj]) -> tuple[Obj | None, list[Obj]]:
        for rs in old:
            if _replicas(rs):
                self._scale(d, rs, 0)
        namespace = d["metadata"]["namespace"]
        old_uids = {rs["metadata"]["uid"] for rs in old}
        for pod in self.store.iter("pods", namespace):
            ref = controller_ref(pod)
            phase = (pod.get("status") or {}).get("phase")
            if ref is not None and ref.get("uid") in old_uids and phase not in ("Succeeded", "Failed"):
                return new_rs, rss  # old pods still running: wait for them to go
        if new_rs is None:
            new_rs = self._create_new(d, rss)
            return new_rs, [*rss, new_rs]
        new_rs = self._sync_revision(d, new_rs, old)
        self._scale(d, new_rs, int((d.get("spec") or {}).get("replicas", 1)))
        return new_rs, rss

    def _cleanup(self, d: Obj, new_rs: Obj | None, rss: list[Obj]) -> None:
        limit = (d.get("spec") or {}).get("revisionHistoryLimit")
        if limit is None:
            return
        old = [rs for rs in rss if rs is not new_rs and (new_rs is None or rs["metadata"]["uid"]
                                                          != new_rs["metadata"]["uid"])]
        idle = sorted((rs for rs in old if _replicas(rs) == 0 and _status(rs, "replicas") == 0
                       and not rs["metadata"].get("deletionTimestamp")), key=_revision)
        for rs in idle[:max(0, len(idle) - int(limit))]:
            self.writer.delete("apps/replicasets", rs)

    # --- status --------------------------------------------------------------------------------------------

    def _set_progressing(self, d: Obj, state: str, reason: str, message: str) -> None:
        current = self.get(key_of(d)) or d
        status = dict(current.get("status") or {})
        status["conditions"] = _set_deployment_condition(status.get("conditions") or [], "Progressing", state, reason,
                                                         message, self.stamp())
        self.writer.update_status(self.primary, {**current, "status": status})

    def _sync_status(self, d: Obj, new_rs: Obj | None, rss: list[Obj], paused: bool) -> None:
        d = self.get(key_of(d)) or d
        spec = d.get("spec") or {}
        replicas = int(spec.get("replicas", 1))
        old_status = d.get("status") or {}
        total = sum(_replicas(rs) for rs in rss)
        available = sum(_status(rs, "availableReplicas") for rs in rss)
        status: Obj = {"observedGeneration": d["metadata"].get("generation", 1)}
        for field, value in (("replicas", sum(_status(rs, "replicas") for rs in rss)),
                             ("updatedReplicas", _status(new_rs, "replicas")),
                             ("readyReplicas", sum(_status(rs, "readyReplicas") for rs in rss)),
                             ("availableReplicas", available),
                             ("unavailableReplicas", max(total - available, 0))):
            if value:
                status[field] = value
        if old_status.get("collisionCount"):
            status["collisionCount"] = old_status["collisionCount"]
        now = self.stamp()
        conditions = list(old_status.get("conditions") or [])
        _, max_unavailable = surge_and_unavailable(d)
        if available >= replicas - max_unavailable:
            conditions = _set_deployment_condition(conditions, "Available", "True", "MinimumReplicasAvailable",
                                                   "Deployment has minimum availability.", now)
        else:
            conditions = _set_deployment_condition(conditions, "Available", "False", "MinimumReplicasUnavailable",
                                                   "Deployment does not have minimum availability.", now)
        conditions = self._progress(d, new_rs, old_status, status, conditions, paused, now)
        if not paused:
            conditions = _replica_failure(conditions, new_rs, rss)
        status["conditions"] = conditions
        if status != old_status:
            self.writer.update_status(self.primary, {**d, "status": status})

    def _progress(self, d: Obj, new_rs: Obj | None, old: Obj, new: Obj, conditions: list[Obj], paused: bool,
                  now: str) -> list[Obj]:
        spec = d.get("spec") or {}
        deadline = spec.get("progressDeadlineSeconds")
        current = next((c for c in conditions if c.get("type") == "Progressing"), None)
        name = new_rs["metadata"]["name"] if new_rs is not None else None
        if paused:
            if current is None or current.get("reason") != "DeploymentPaused":
                return _set_deployment_condition(conditions, "Progressing", "Unknown", "DeploymentPaused",
                                                 "Deployment is paused", now)
            return conditions
        if current is not None and current.get("reason") == "DeploymentPaused":
            conditions = _set_deployment_condition(conditions, "Progressing", "Unknown", "DeploymentResumed",
                                                   "Deployment is resumed", now)
            current = next((c for c in conditions if c.get("type") == "Progressing"), None)
        if deadline is None:
            return conditions
        replicas = int(spec.get("replicas", 1))
        complete = new.get("updatedReplicas", 0) == replicas and new.get("replicas", 0) == replicas \
            and new.get("availableReplicas", 0) == replicas
        old_replicas = old.get("replicas", 0) - old.get("updatedReplicas", 0)
        new_old_replicas = new.get("replicas", 0) - new.get("updatedReplicas", 0)
        progressing = new.get("updatedReplicas", 0) > old.get("updatedReplicas", 0) \
            or new_old_replicas < old_replicas or new.get("readyReplicas", 0) > old.get("readyReplicas", 0) \
            or new.get("availableReplicas", 0) > old.get("availableReplicas", 0)
        if complete:
            message = f'ReplicaSet "{name}" has successfully progressed.' if name else \
                f'Deployment "{d["metadata"]["name"]}" has successfully progressed.'
            return _set_deployment_condition(conditions, "Progressing", "True", "NewReplicaSetAvailable", message, now)
        if progressing:
            message = f'ReplicaSet "{name}" is progressing.' if name else \
                f'Deployment "{d["metadata"]["name"]}" is progressing.'
            kept = [c for c in conditions if c.get("type") != "Progressing"]
            condition = {"lastTransitionTime": current["lastTransitionTime"] if current is not None
                         and current.get("status") == "True" else now, "lastUpdateTime": now, "message": message,
                         "reason": "ReplicaSetUpdated", "status": "True", "type": "Progressing"}
            self.enqueue_at(key_of(d), self.now() + float(deadline) + 0.5)
            return [*kept, condition]
        if current is not None and current.get("reason") not in ("NewReplicaSetAvailable", "ProgressDeadlineExceeded"):
            since = seconds(current.get("lastUpdateTime")) or self.now()
            if since + float(deadline) < self.now():
                message = f'ReplicaSet "{name}" has timed out progressing.' if name else \
                    f'Deployment "{d["metadata"]["name"]}" has timed out progressing.'
                return _set_deployment_condition(conditions, "Progressing", "False", "ProgressDeadlineExceeded",
                                                 message, now)
            self.enqueue_at(key_of(d), since + float(deadline) + 0.5)
        return conditions


def _replica_failure(conditions: list[Obj], new_rs: Obj | None, rss: list[Obj]) -> list[Obj]:
    """syncRolloutStatus moves a ReplicaSet's ReplicaFailure condition (the new one's first) to the Deployment."""
    ordered = ([new_rs] if new_rs is not None else []) + [rs for rs in rss if rs is not new_rs]
    failure = next((c for rs in ordered for c in (rs.get("status") or {}).get("conditions") or []
                    if c.get("type") == "ReplicaFailure"), None)
    kept = [c for c in conditions if c.get("type") != "ReplicaFailure"]
    if failure is None:
        return kept
    current = next((c for c in conditions if c.get("type") == "ReplicaFailure"), None)
    since = failure.get("lastTransitionTime")
    condition = {"lastTransitionTime": since, "lastUpdateTime": since, "message": failure.get("message", ""),
                 "reason": failure.get("reason", ""), "status": failure.get("status", "True"),
                 "type": "ReplicaFailure"}
    if current is not None and current.get("status") == condition["status"] \
            and current.get("reason") == condition["reason"]:
        return conditions  # SetDeploymentCondition keeps an unchanged condition where it is
    return [*kept, condition]


def _set_deployment_condition(conditions: list[Obj], kind: str, state: str, reason: str, message: str,
                              now: str) -> list[Obj]:
    """SetDeploymentCondition: no-op for the same status and reason; a changed condition moves to the end."""
    current = next((c for c in conditions if c.get("type") == kind), None)
    if current is not None and current.get("status") == state and current.get("reason") == reason:
        return conditions
    transition = current["lastTransitionTime"] if current is not None and current.get("status") == state else now
    condition = {"lastTransitionTime": transition, "lastUpdateTime": now, "message": message, "reason": reason,
                 "status": state, "type": kind}
    return [*(c for c in conditions if c.get("type") != kind), condition]
