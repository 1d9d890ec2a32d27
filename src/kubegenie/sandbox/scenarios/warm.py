"""Warm start: a scenario's healthy Deployments and DaemonSets are loaded as a cluster that has run them for
days, with ReplicaSets and running pods (placed as the scheduler would, started when their workload was
deployed, leaking containers already OOM-killed and restarted on schedule) whose status is exactly what the
simulated kubelet writes, so the simulation adopts them without a write. What should fail, needs volumes or
would not fit its namespace's quotas is left for the simulation to play out live, with its events.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kubegenie.sandbox import defaults
from kubegenie.sandbox.objects import deep_copy
from kubegenie.sandbox.scenarios.placement import Placement, requests_of
from kubegenie.sandbox.scenarios.quotabudget import QuotaBudget
from kubegenie.sandbox.sim import images, podconfig, predicates
from kubegenie.sandbox.sim.annotations import pod_behaviours
from kubegenie.sandbox.sim.controllers.daemonset import GENERATION_LABEL, REVISION_LABEL, daemon_tolerations
from kubegenie.sandbox.sim.controllers.deployment import (
    DESIRED_REPLICAS,
    HASH_LABEL,
    MAX_REPLICAS,
    REVISION,
    surge_and_unavailable,
    template_hash,
)
from kubegenie.sandbox.sim.controllers.workload import pod_from_template
from kubegenie.sandbox.sim.kube import owner_ref, set_condition, timestamp
from kubegenie.sandbox.sim.nodeagent import host_ip_for
from kubegenie.sandbox.sim.pods import ContainerState, PodRuntime, container_id, container_status, pod_conditions
from kubegenie.sandbox.store import Obj
from kubegenie.sandbox.telemetry.series import spec_for
from kubegenie.sandbox.telemetry.timeline import OOM_EXIT_CODE, leak_starts

if TYPE_CHECKING:
    from kubegenie.sandbox.cluster import Cluster

WARM_MIN_OOM_DELAY = 3600.0
"""A container killed more often than hourly is crash-looping: it is left to the simulation."""
_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


@dataclass
class WarmResult:
    pods: int = 0
    replica_sets: int = 0
    live: list[str] = field(default_factory=list)
    """Workloads left to the simulation, as `namespace/Kind/name`."""


def _exists(cluster: Cluster, key: str, namespace: str, name: str) -> bool:
    return cluster.store.get(key, namespace, name) is not None


def runnable(cluster: Cluster, namespace: str, template: Obj, seed: int) -> bool:
    """Whether pods from `template` would start and keep running with no help: no scheduling gate, declared
    exit, failing probe, unpullable image, early OOM kill, claim or missing config."""
    spec = template.get("spec") or {}
    if spec.get("schedulingGates"):
        return False
    probe = {"metadata": {"namespace": namespace, "name": "probe",
                          "annotations": (template.get("metadata") or {}).get("annotations") or {}}, "spec": spec}
    for behaviour in pod_behaviours(probe).values():
        if behaviour.exit_code is not None or behaviour.run_seconds is not None or not behaviour.ready:
            return False
    for container in (spec.get("initContainers") or []) + (spec.get("containers") or []):
        image = str(container.get("image", ""))
        if not image or images.pull_error(image) is not None or container.get("imagePullPolicy") == "Never":
            return False
        delay = spec_for(probe, container, seed).oom_delay
        if delay is not None and delay < WARM_MIN_OOM_DELAY:
            return False
        if podconfig.env_error(cluster.store, namespace, container) is not None:
            return False
    if any("persistentVolumeClaim" in volume or "ephemeral" in volume for volume in spec.get("volumes") or []):
        return False
    if podconfig.volume_errors(cluster.store, probe):
        return False
    account = spec.get("serviceAccountName") or "default"
    return account == "default" or _exists(cluster, "serviceaccounts", namespace, str(account))


class WarmStarter:
    """Materialises the running state of a scenario's healthy workloads into a cluster's store."""

    def __init__(self, cluster: Cluster, seed: int, now: float, created: Callable[[Obj], float]) -> None:
        self.cluster = cluster
        self.seed = seed
        self.now = now
        self.created = created
        """When an object was created (its scenario age applied)."""
        self.rng = random.Random(f"warm/{seed}")
        nodes = cluster.store.list_sorted("nodes")
        self.placement = Placement(nodes, self.rng)
        self.node_created = {node["metadata"]["name"]: created(node) for node in nodes}
        self.host_ips = {node["metadata"]["name"]: host_ip_for(node, index) for index, node in enumerate(nodes)}
        self.next_ip: dict[str, int] = {}
        self.result = WarmResult()
        self.quotas = QuotaBudget(cluster, now)
        self._oom_delays: dict[tuple[str, str], float | None] = {}
        """(template owner uid, container) -> seconds to an OOM kill; the same for every pod of a template."""

    def run(self) -> WarmResult:
        for ds in self.cluster.store.list_sorted("apps/daemonsets"):
            self._daemonset(ds)
        for deployment in self.cluster.store.list_sorted("apps/deployments"):
            self._deployment(deployment)
        return self.result

    # --- workloads -----------------------------------------------------------------------------------------

    def _live(self, obj: Obj) -> None:
        meta = obj["metadata"]
        self.result.live.append(f"{meta['namespace']}/{obj.get('kind', '')}/{meta['name']}")

    def _daemonset(self, ds: Obj) -> None:
        spec = ds.get("spec") or {}
        template = spec.get("template") or {}
        namespace = ds["metadata"]["namespace"]
        if not runnable(self.cluster, namespace, template, self.seed):
            self._live(ds)
            return
        revision = template_hash(template)
        generation = str(ds["metadata"].get("generation", 1))
        pod_spec = deep_copy(template.get("spec") or {})
        pod_spec["tolerations"] = daemon_tolerations(pod_spec)
        nodes = self.placement.eligible(pod_spec)
        if not self.quotas.admit(namespace, template, len(nodes)):
            self._live(ds)
            return
        for node in nodes:
            body = pod_from_template(ds, template, name=self._name(f"{ds['metadata']['name']}-"),
                                     extra_labels={REVISION_LABEL: revision, GENERATION_LABEL: generation})
            body["spec"]["tolerations"] = daemon_tolerations(body["spec"])
            affinity = dict(body["spec"].get("affinity") or {})
            affinity["nodeAffinity"] = {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]}]}}
            body["spec"]["affinity"] = affinity
            requests, ports = requests_of(body["spec"]), predicates.host_ports(body["spec"])
            if self.placement.choose(requests, ports, [node]) is None:
                continue
            self.placement.bind(node, requests, ports)
            self._run_pod(body, node, self.created(ds))

    def _deployment(self, deployment: Obj) -> None:
        spec = deployment.get("spec") or {}
        replicas = int(spec.get("replicas", 1))
        template = spec.get("template") or {}
        namespace = deployment["metadata"]["namespace"]
        if replicas < 1 or spec.get("paused"):
            return
        if not runnable(self.cluster, namespace, template, self.seed) \
                or not self.quotas.admit(namespace, template, replicas):
            self._live(deployment)
            return
        candidates = self.placement.eligible(template.get("spec") or {})
        if not candidates:
            self._live(deployment)
            return
        created = self.created(deployment)
        rs = self._replica_set(deployment, replicas, created)
        rs_template = rs["spec"]["template"]
        pod_spec = rs_template.get("spec") or {}
        requests, ports = requests_of(pod_spec), predicates.host_ports(pod_spec)
        spread = rs["metadata"]["name"]
        for _ in range(replicas):
            node = self.placement.choose(requests, ports, candidates, spread)
            if node is None:
                self._live(deployment)
                return
            self.placement.bind(node, requests, ports, spread)
            body = pod_from_template(rs, rs_template, name=self._name(f"{spread}-"))
            self._run_pod(body, node, created)
        self._settled_status(deployment, rs, replicas, created)

    def _settled_status(self, deployment: Obj, rs: Obj, replicas: int, created: float) -> None:
        """The status the ReplicaSet and Deployment controllers report once every replica is available,
        written in place before anything is served."""
        rs["status"] = {"replicas": replicas, "fullyLabeledReplicas": replicas, "readyReplicas": replicas,
                        "availableReplicas": replicas, "observedGeneration": rs["metadata"].get("generation", 1)}
        stamp = timestamp(created + 60.0)
        name = rs["metadata"]["name"]
        status: Obj = {"observedGeneration": deployment["metadata"].get("generation", 1), "replicas": replicas,
                       "updatedReplicas": replicas, "readyReplicas": replicas, "availableReplicas": replicas,
                       "conditions": [
                           {"lastTransitionTime": stamp, "lastUpdateTime": stamp,
                            "message": "Deployment has minimum availability.", "reason": "MinimumReplicasAvailable",
                            "status": "True", "type": "Available"}]}
        if (deployment.get("spec") or {}).get("progressDeadlineSeconds") is not None:
            status["conditions"].append({"lastTransitionTime": timestamp(created), "lastUpdateTime": stamp,
                                         "message": f'ReplicaSet "{name}" has successfully progressed.',
                                         "reason": "NewReplicaSetAvailable", "status": "True", "type": "Progressing"})
        stored = self.cluster.store.get("apps/deployments", deployment["metadata"]["namespace"],
                                        deployment["metadata"]["name"])
        if stored is not None:
            stored["status"] = status

    def _replica_set(self, deployment: Obj, replicas: int, created: float) -> Obj:
        spec = deployment["spec"]
        pod_hash = template_hash(spec.get("template") or {}, int((deployment.get("status") or {})
                                                                 .get("collisionCount") or 0))
        template = deep_copy(spec.get("template") or {})
        template.setdefault("metadata", {}).setdefault("labels", {})[HASH_LABEL] = pod_hash
        selector = deep_copy(spec.get("selector") or {})
        selector.setdefault("matchLabels", {})[HASH_LABEL] = pod_hash
        surge, _ = surge_and_unavailable(deployment)
        annotations = {k: v for k, v in (deployment["metadata"].get("annotations") or {}).items()
                       if k != "kubectl.kubernetes.io/last-applied-configuration"}
        annotations.update({DESIRED_REPLICAS: str(replicas), MAX_REPLICAS: str(replicas + surge), REVISION: "1"})
        body = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
                "metadata": {"name": f"{deployment['metadata']['name']}-{pod_hash}",
                             "labels": dict(template["metadata"]["labels"]), "annotations": annotations,
                             "ownerReferences": [owner_ref(deployment)]},
                "spec": {"replicas": replicas, "minReadySeconds": int(spec.get("minReadySeconds") or 0),
                         "selector": selector, "template": template}}
        rs = self._store("apps/replicasets", "ReplicaSet", "apps/v1", deployment["metadata"]["namespace"], body,
                         created)
        self.result.replica_sets += 1
        return rs

    # --- pods ----------------------------------------------------------------------------------------------

    def _name(self, prefix: str) -> str:
        return prefix[:58] + "".join(self.rng.choice(_NAME_ALPHABET) for _ in range(5))

    def _store(self, key: str, kind: str, api_version: str, namespace: str, body: Obj, created: float) -> Obj:
        """Create an object straight in the store, defaulted as the apiserver would (loading skips admission)."""
        rtype = self.cluster.registry.stored_by_kind(api_version, kind)
        assert rtype is not None
        meta = body["metadata"]
        meta["namespace"] = namespace
        meta["uid"] = str(_uid(self.seed, f"{key}/{namespace}/{meta['name']}"))
        meta["creationTimestamp"] = timestamp(created)
        if key != "pods":
            meta["generation"] = 1
        defaults.apply(self.cluster, rtype, body, creating=True)
        return self.cluster.store.create(key, body)

    def _allocate_ip(self, node: str) -> str:
        cidr = (self.placement.nodes[node].get("spec") or {}).get("podCIDR", "10.244.0.0/24")
        base = cidr.split("/", 1)[0].rsplit(".", 1)[0]
        offset = self.next_ip.get(node, 2)
        self.next_ip[node] = offset + 1
        return f"{base}.{offset}"

    def _run_pod(self, body: Obj, node: str, workload_created: float) -> None:
        """Start and store one pod bound to `node`, as if it had been running since its workload was deployed."""
        body["spec"]["nodeName"] = node
        started = float(int(max(workload_created, self.node_created.get(node, workload_created))
                            + self.rng.uniform(4.0, 40.0)))
        namespace = body["metadata"].pop("namespace")
        pod = self._store("pods", "Pod", "v1", namespace, body, started - 3.0)
        pod["status"] = self._status(pod, node, started)
        self.result.pods += 1

    def _status(self, pod: Obj, node: str, started: float) -> Obj:
        spec = pod["spec"]
        meta = pod["metadata"]
        uid = meta["uid"]
        behaviours = pod_behaviours(pod)
        host_network = bool(spec.get("hostNetwork"))
        ip = self.host_ips[node] if host_network else self._allocate_ip(node)
        containers: dict[str, ContainerState] = {}
        latest_start = started
        for init, section in ((True, "initContainers"), (False, "containers")):
            for c in spec.get(section) or []:
                state = ContainerState(c["name"], init, str(c.get("image", "")),
                                       str(c.get("imagePullPolicy") or "IfNotPresent"), behaviours[c["name"]])
                ref = images.parse(state.image)
                state.image_id = ref.image_id
                if init:
                    state.instances = 1
                    state.container_id = container_id(uid, state.name, 1)
                    state.phase, state.ready = "done", True
                    state.terminated = {"containerID": state.container_id, "exitCode": 0,
                                        "finishedAt": timestamp(started - 1.0), "reason": "Completed",
                                        "startedAt": timestamp(started - 2.0)}
                else:
                    current = self._run_start(pod, c, started, state)
                    latest_start = max(latest_start, current)
                    state.container_id = container_id(uid, state.name, state.instances)
                    state.phase, state.running_since, state.ready = "running", current, True
                containers[state.name] = state
        rt = PodRuntime(uid, meta["namespace"], meta["name"], node, str(spec.get("restartPolicy") or "Always"),
                        containers, ip=ip, started_at=started - 2.0 if spec.get("initContainers") else started,
                        sandbox_ready_at=started)
        scheduled = set_condition([], "PodScheduled", "True", None, None, timestamp(started - 3.0),
                                  {"lastProbeTime": None})
        conditions = pod_conditions(rt, scheduled, "Running", timestamp(started), spec.get("readinessGates") or [])
        for condition in conditions:
            if condition["type"] in ("Ready", "ContainersReady"):
                condition["lastTransitionTime"] = timestamp(latest_start)
        minor = self.cluster.version.minor
        specs = {c["name"]: c for c in (spec.get("initContainers") or []) + (spec.get("containers") or [])}
        status: Obj = {"phase": "Running", "conditions": conditions, "hostIP": self.host_ips[node],
                       "hostIPs": [{"ip": self.host_ips[node]}], "podIP": ip, "podIPs": [{"ip": ip}],
                       "qosClass": (pod.get("status") or {}).get("qosClass", "BestEffort"),
                       "startTime": timestamp(rt.started_at)}
        if rt.init_containers:
            status["initContainerStatuses"] = [container_status(c, specs[c.name], minor) for c in rt.init_containers]
        status["containerStatuses"] = [container_status(c, specs[c.name], minor) for c in rt.main_containers]
        return status

    def _oom_delay(self, pod: Obj, container: Obj) -> float | None:
        owner = next((ref.get("uid", "") for ref in pod["metadata"].get("ownerReferences") or []), "")
        key = (str(owner), str(container.get("name", "")))
        if key not in self._oom_delays or not owner:
            self._oom_delays[key] = spec_for(pod, container, self.seed).oom_delay
        return self._oom_delays[key]

    def _run_start(self, pod: Obj, container: Obj, started: float, state: ContainerState) -> float:
        """The start of the current run; a leaking container has been OOM-killed on schedule until now."""
        delay = self._oom_delay(pod, container)
        if delay is None:
            state.instances = 1
            return started
        starts = leak_starts(started, delay, self.now)
        if starts[-1] + delay <= self.now:
            starts.append(float(int(self.now)))  # killed moments ago: the restart is happening now
        state.restart_count = len(starts) - 1
        state.instances = len(starts)
        if len(starts) > 1:
            previous = starts[-2]
            state.last_terminated = {"containerID": container_id(pod["metadata"]["uid"], state.name, len(starts) - 1),
                                     "exitCode": OOM_EXIT_CODE, "finishedAt": timestamp(previous + delay),
                                     "reason": "OOMKilled", "startedAt": timestamp(previous)}
        return starts[-1]


def _uid(seed: int, identity: str) -> str:
    digest = hashlib.sha256(f"uid/{seed}/{identity}".encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-4{digest[13:16]}-a{digest[17:20]}-{digest[20:32]}"

