"""The StatefulSet controller: pods with stable ordinal names and hostnames, created in order (OrderedReady
waits for each to be Running and Ready) or all at once (Parallel), a refused one reported as FailedCreate and
retried with back-off, removed from the highest ordinal down, one PersistentVolumeClaim per volumeClaimTemplate
and ordinal, ControllerRevisions for the template and RollingUpdate from the highest ordinal to the partition.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from kubegenie.sandbox import status as api_status
from kubegenie.sandbox.sim.controller import Controller
from kubegenie.sandbox.sim.controllers.deployment import template_hash
from kubegenie.sandbox.sim.controllers.replicaset import FAILURE_BACKOFF
from kubegenie.sandbox.sim.controllers.workload import controlled_pods, owner_keys, pod_from_template
from kubegenie.sandbox.sim.kube import Key, controlled_by, copy, owner_ref, pod_ready, pod_terminal
from kubegenie.sandbox.store import Change, Obj

if TYPE_CHECKING:
    from kubegenie.sandbox.sim import Simulation

REVISION_LABEL = "controller-revision-hash"
POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"
POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"


def ordinal(set_name: str, pod_name: str) -> int | None:
    match = re.fullmatch(re.escape(set_name) + r"-(\d+)", pod_name)
    return int(match.group(1)) if match else None


class StatefulSetController(Controller):
    name = "statefulset-controller"
    primary = "apps/statefulsets"
    watches = ("apps/statefulsets", "pods")

    def __init__(self, sim: Simulation) -> None:
        super().__init__(sim)
        self._create_failures: dict[Key, int] = {}
        """StatefulSets whose next pod was refused, retried with the workqueue's per-item back-off."""

    def on_change(self, change: Change) -> None:
        if change.key == self.primary:
            super().on_change(change)
            return
        for key in owner_keys(change, "StatefulSet"):
            self.enqueue(key)

    def reconcile(self, key: Key) -> None:
        sts = self.get(key)
        if sts is None or sts["metadata"].get("deletionTimestamp"):
            self._create_failures.pop(key, None)
            return
        spec = sts.get("spec") or {}
        name = sts["metadata"]["name"]
        revision = self._revision(sts)
        pods: dict[int, Obj] = {}
        for pod in controlled_pods(self, sts):
            index = ordinal(name, pod["metadata"]["name"])
            if index is not None:
                pods[index] = pod
        replicas = int(spec.get("replicas", 1))
        parallel = spec.get("podManagementPolicy") == "Parallel"
        start = int((spec.get("ordinals") or {}).get("start") or 0)
        wanted = range(start, start + replicas)
        for index in wanted:
            existing = pods.get(index)
            if existing is not None and pod_terminal(existing) and not existing["metadata"].get("deletionTimestamp"):
                if self.writer.delete("pods", existing):
                    self.event(sts, "Normal", "SuccessfulDelete", f"delete Pod {existing['metadata']['name']} in "
                               f"StatefulSet {name} successful")
                if not parallel:
                    break
                continue
            if existing is None:
                self._create_pod(sts, index, revision)
                if not parallel:
                    break
                continue
            if not parallel and not (pod_ready(existing) and not existing["metadata"].get("deletionTimestamp")):
                break
        else:
            surplus = sorted((i for i in pods if i not in wanted), reverse=True)
            for index in surplus:
                pod = pods[index]
                if pod["metadata"].get("deletionTimestamp"):
                    if not parallel:
                        break
                    continue
                if self.writer.delete("pods", pod):
                    self.event(sts, "Normal", "SuccessfulDelete", f"delete Pod {pod['metadata']['name']} in "
                               f"StatefulSet {name} successful")
                if not parallel:
                    break
            else:
                self._roll(sts, pods, wanted, revision)
        self._update_status(sts, revision)

    # --- revisions -----------------------------------------------------------------------------------------

    def _revision(self, sts: Obj) -> str:
        """The ControllerRevision name of the current template (created on first sight)."""
        template = (sts.get("spec") or {}).get("template") or {}
        revision_name = f"{sts['metadata']['name']}-{template_hash(template)}"
        namespace = sts["metadata"]["namespace"]
        if self.store.get("apps/controllerrevisions", namespace, revision_name) is None:
            numbers = [int(r.get("revision") or 0) for r in self.store.iter("apps/controllerrevisions", namespace)
                       if controlled_by(r, sts)]
            selector_labels = ((sts.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
            data_template = copy(template)
            data_template["$patch"] = "replace"
            self.writer.create("apps/controllerrevisions", namespace, {
                "apiVersion": "apps/v1", "kind": "ControllerRevision",
                "metadata": {"name": revision_name,
                             "labels": {**selector_labels, REVISION_LABEL: revision_name.rsplit("-", 1)[-1]},
                             "ownerReferences": [owner_ref(sts)]},
                "data": {"spec": {"template": data_template}}, "revision": max(numbers, default=0) + 1})
        return revision_name

    def _roll(self, sts: Obj, pods: dict[int, Obj], wanted: range, revision: str) -> None:
        """RollingUpdate: replace the highest-ordinal outdated pod once every other pod is ready."""
        strategy = (sts.get("spec") or {}).get("updateStrategy") or {}
        if strategy.get("type") == "OnDelete":
            return
        partition = int((strategy.get("rollingUpdate") or {}).get("partition") or 0)
        if any(not pod_ready(pods[i]) or pods[i]["metadata"].get("deletionTimestamp") for i in wanted if i in pods):
            return
        for index in sorted(wanted, reverse=True):
            if index < partition:
                break
            pod = pods.get(index)
            if pod is not None and (pod["metadata"].get("labels") or {}).get(REVISION_LABEL) != revision:
                if self.writer.delete("pods", pod):
                    self.event(sts, "Normal", "SuccessfulDelete", f"delete Pod {pod['metadata']['name']} in "
                               f"StatefulSet {sts['metadata']['name']} successful")
                return

    # --- pods and claims -----------------------------------------------------------------------------------

    def _create_pod(self, sts: Obj, index: int, revision: str) -> None:
        spec = sts.get("spec") or {}
        set_name = sts["metadata"]["name"]
        pod_name = f"{set_name}-{index}"
        labels = {REVISION_LABEL: revision, POD_NAME_LABEL: pod_name}
        if self.cluster.version.minor >= 28:
            labels[POD_INDEX_LABEL] = str(index)
        body = pod_from_template(sts, spec.get("template") or {}, name=pod_name, extra_labels=labels)
        pod_spec = body["spec"]
        pod_spec["hostname"] = pod_name
        if spec.get("serviceName"):
            pod_spec["subdomain"] = spec["serviceName"]
        volumes = list(pod_spec.get("volumes") or [])
        for claim_template in spec.get("volumeClaimTemplates") or []:
            claim_name = f"{claim_template['metadata']['name']}-{pod_name}"
            self._ensure_claim(sts, claim_template, claim_name, pod_name)
            volumes = [v for v in volumes if v.get("name") != claim_template["metadata"]["name"]]
            volumes.append({"name": claim_template["metadata"]["name"],
                            "persistentVolumeClaim": {"claimName": claim_name}})
        if volumes:
            pod_spec["volumes"] = volumes
        key = (sts["metadata"]["namespace"], set_name)
        try:
            self.writer.create("pods", sts["metadata"]["namespace"], body)
        except api_status.ApiError as exc:
            self.event(sts, "Warning", "FailedCreate", f"create Pod {pod_name} in StatefulSet {set_name} failed "
                       f"error: {exc.message}")
            self.back_off(self._create_failures, key, FAILURE_BACKOFF)
            return
        self._create_failures.pop(key, None)
        self.event(sts, "Normal", "SuccessfulCreate", f"create Pod {pod_name} in StatefulSet {set_name} successful")

    def _ensure_claim(self, sts: Obj, template: Obj, claim_name: str, pod_name: str) -> None:
        namespace = sts["metadata"]["namespace"]
        if self.store.get("persistentvolumeclaims", namespace, claim_name) is not None:
            return
        selector_labels = ((sts.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        meta = template.get("metadata") or {}
        body: Obj = {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                     "metadata": {"name": claim_name, "labels": {**(meta.get("labels") or {}), **selector_labels}},
                     "spec": copy(template.get("spec") or {})}
        if meta.get("annotations"):
            body["metadata"]["annotations"] = dict(meta["annotations"])
        policy = (sts.get("spec") or {}).get("persistentVolumeClaimRetentionPolicy") or {}
        if policy.get("whenDeleted") == "Delete":
            body["metadata"]["ownerReferences"] = [{**owner_ref(sts), "controller": True,
                                                    "blockOwnerDeletion": True}]
        self.writer.create("persistentvolumeclaims", namespace, body)
        self.event(sts, "Normal", "SuccessfulCreate", f"create Claim {claim_name} Pod {pod_name} in StatefulSet "
                   f"{sts['metadata']['name']} success")

    # --- status --------------------------------------------------------------------------------------------

    def _update_status(self, sts: Obj, revision: str) -> None:
        sts = self.get((sts["metadata"]["namespace"], sts["metadata"]["name"])) or sts
        pods = [pod for pod in controlled_pods(self, sts)
                if ordinal(sts["metadata"]["name"], pod["metadata"]["name"]) is not None]
        live = [pod for pod in pods if not pod_terminal(pod)]
        ready = sum(1 for pod in live if pod_ready(pod))
        updated = sum(1 for pod in live if (pod["metadata"].get("labels") or {}).get(REVISION_LABEL) == revision)
        current = sts.get("status") or {}
        current_revision = current.get("currentRevision") or revision
        if updated == len(live) == int((sts.get("spec") or {}).get("replicas", 1)):
            current_revision = revision
        status: Obj = {"availableReplicas": ready, "collisionCount": int(current.get("collisionCount") or 0),
                       "currentReplicas": sum(1 for pod in live if (pod["metadata"].get("labels") or {}).get(
                           REVISION_LABEL) == current_revision),
                       "currentRevision": current_revision, "observedGeneration": sts["metadata"].get("generation", 1),
                       "readyReplicas": ready, "replicas": len(live), "updateRevision": revision,
                       "updatedReplicas": updated}
        for field in ("readyReplicas", "currentReplicas", "updatedReplicas"):
            if not status[field]:
                del status[field]
        if status != current:
            self.writer.update_status(self.primary, {**sts, "status": status})
