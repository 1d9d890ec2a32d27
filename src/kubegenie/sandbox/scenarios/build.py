"""Building a cluster from a scenario: nodes from its pools, its manifests applied in dependency order as
`kubectl apply` would (strict field validation, last-applied annotation; a manifest's `status` is kept, so a
Released volume stays Released), creation times set back to each object's age, and the healthy workloads
warm-started. The simulation is started afterwards by the caller.
"""

from __future__ import annotations

import ipaddress
import json
import random
from dataclasses import dataclass

from kubegenie.sandbox import bootstrap, status
from kubegenie.sandbox.clock import Clock
from kubegenie.sandbox.cluster import Cluster
from kubegenie.sandbox.objects import WriteOptions
from kubegenie.sandbox.resources import ResourceType
from kubegenie.sandbox.scenarios.loader import ScenarioError
from kubegenie.sandbox.scenarios.model import Scenario
from kubegenie.sandbox.scenarios.nodes import plan_nodes
from kubegenie.sandbox.scenarios.quotabudget import settle_quota_status
from kubegenie.sandbox.scenarios.warm import WarmResult, WarmStarter
from kubegenie.sandbox.sim.kube import seconds, timestamp
from kubegenie.sandbox.store import Obj
from kubegenie.sandbox.telemetry.timespan import parse_span

DAY = 86400.0
AGE_ANNOTATION = "sim.kubegenie.io/age"
"""How long ago a scenario object was created (`12d`, `3h`); workloads' pods started then too."""
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
_APPLY = WriteOptions(field_manager="kubectl-client-side-apply", field_validation="Strict")
_BULK = WriteOptions(field_manager=None, field_validation="Ignore")
BULK_MANIFESTS = 1000
"""Past this many manifests (generated clusters), objects are loaded without managedFields or strict field
validation: both cost more than the rest of loading put together."""
FIRST_SERVICE_IP = ipaddress.IPv4Address("10.100.0.10")
_KUBELET = WriteOptions(field_manager="kubelet", field_validation="Ignore")
_ORDER = ("Namespace", "CustomResourceDefinition", "PriorityClass", "StorageClass", "IngressClass",
          "PersistentVolume", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding",
          "ConfigMap", "Secret", "ResourceQuota", "LimitRange", "Service", "Endpoints", "PersistentVolumeClaim",
          "DaemonSet", "Deployment", "StatefulSet", "ReplicaSet", "Job", "CronJob", "Pod",
          "HorizontalPodAutoscaler", "PodDisruptionBudget", "Ingress", "NetworkPolicy")
_NOT_AGED = ("Job", "CronJob", "Pod", "Event")
"""Objects whose controllers act on their age (missed schedules, deadlines) are created when the cluster starts."""


@dataclass
class BuiltCluster:
    """A cluster loaded from a scenario and ready for its simulation."""

    cluster: Cluster
    scenario: Scenario
    seed: int
    loaded_at: float
    """Simulated time when the scenario was loaded: history ends here, the simulation takes over."""
    history: float
    """Seconds of usage history before `loaded_at`."""
    warm: WarmResult


class Ages:
    """When each scenario object was created: its `sim.kubegenie.io/age`, else a seeded age older than the
    history window for workloads and older still for the cluster itself."""

    def __init__(self, seed: int, now: float, history: float) -> None:
        self.now = now
        self.history = history
        self.rng = random.Random(f"ages/{seed}")
        self.cluster_age = history + 45 * DAY

    def node(self, capacity_type: str) -> float:
        if capacity_type == "spot":
            return self.now - self.rng.uniform(0.5, 3.0) * DAY
        return self.now - self.cluster_age + self.rng.uniform(0.0, 10.0) * DAY

    def manifest(self, obj: Obj) -> float:
        declared = ((obj.get("metadata") or {}).get("annotations") or {}).get(AGE_ANNOTATION)
        if declared:
            try:
                return self.now - parse_span(str(declared))
            except ValueError as exc:
                name = obj["metadata"].get("name")
                raise ScenarioError(f"{obj.get('kind')} {name}: {AGE_ANNOTATION}: {exc}") from exc
        if obj.get("kind") == "Namespace":
            return self.now - self.cluster_age + self.rng.uniform(1.0, 5.0) * DAY
        return self.now - self.history - self.rng.uniform(1.0, 30.0) * DAY


def _rtype(cluster: Cluster, obj: Obj) -> ResourceType:
    rtype = cluster.registry.stored_by_kind(str(obj["apiVersion"]), str(obj["kind"]))
    if rtype is None:
        group, _, version = str(obj["apiVersion"]).rpartition("/")
        rtype = cluster.registry.by_kind(group, version, str(obj["kind"]))
    if rtype is None:
        raise ScenarioError(f"{obj['kind']} {obj['metadata'].get('name')}: the sandbox does not serve "
                            f"{obj['apiVersion']} {obj['kind']}")
    return rtype


def _order(obj: Obj) -> int:
    kind = str(obj.get("kind", ""))
    return _ORDER.index(kind) if kind in _ORDER else len(_ORDER)


class Builder:
    """Applies one scenario to one fresh cluster."""

    def __init__(self, cluster: Cluster, scenario: Scenario, seed: int, history: float) -> None:
        self.cluster = cluster
        self.scenario = scenario
        self.seed = seed
        self.now = cluster.clock.time()
        self.ages = Ages(seed, self.now, history)
        self.created: dict[tuple[str, str, str], float] = {}
        """(storage key, namespace, name) -> creation time, for the objects this builder made."""
        self.options = _BULK if len(scenario.manifests) > BULK_MANIFESTS else _APPLY
        self._service_ips = {str((svc.get("spec") or {}).get("clusterIP")) for svc in scenario.manifests
                             if svc.get("kind") == "Service"} | {
            str((svc.get("spec") or {}).get("clusterIP")) for svc in cluster.store.iter("services")}
        self._next_service_ip = FIRST_SERVICE_IP

    def _service_ip(self) -> str:
        """The next free ClusterIP, handed out in order so a scenario always gets the same addresses."""
        while str(self._next_service_ip) in self._service_ips:
            self._next_service_ip += 1
        address = str(self._next_service_ip)
        self._service_ips.add(address)
        return address

    def nodes(self) -> None:
        rtype = self.cluster.registry.lookup("", "v1", "nodes")
        assert rtype is not None
        for planned in plan_nodes(self.scenario.node_pools, self.scenario.region, self.seed):
            body = planned.body
            node = self.cluster.objects.create(rtype, "", {k: v for k, v in body.items() if k != "status"},
                                               _KUBELET)
            self.cluster.objects.update(rtype, "", node["metadata"]["name"], {**node, "status": body["status"]},
                                        _KUBELET, subresource="status")
            self.created[("nodes", "", node["metadata"]["name"])] = self.ages.node(planned.pool.capacity_type)

    def namespaces(self) -> None:
        for obj in self.scenario.manifests:
            if obj.get("kind") == "Namespace":
                self._apply(obj)

    def manifests(self) -> None:
        """Everything but the namespaces, which must exist (with their default ServiceAccount) first."""
        for obj in sorted(self.scenario.manifests, key=_order):
            if obj.get("kind") != "Namespace":
                self._apply(obj)

    def _apply(self, obj: Obj) -> None:
        rtype = _rtype(self.cluster, obj)
        meta = obj["metadata"]
        namespace = str(meta.get("namespace") or "default") if rtype.namespaced else ""
        body = {k: v for k, v in obj.items() if k != "status"}
        applied = json.dumps(body, separators=(",", ":"), sort_keys=True)
        body = {**body, "metadata": {**meta, "annotations": {**(meta.get("annotations") or {}),
                                                             LAST_APPLIED: applied + "\n"}}}
        spec = body.get("spec")
        if obj["kind"] == "Service" and isinstance(spec, dict) and not spec.get("clusterIP") \
                and spec.get("type") != "ExternalName":
            body["spec"] = {**spec, "clusterIP": self._service_ip()}
        where = f"{obj['kind']} {namespace + '/' if namespace else ''}{meta['name']}"
        try:
            created = self.cluster.objects.create(rtype, namespace, body, self.options)
            if obj.get("status") and rtype.subresource("status") is not None:
                self.cluster.objects.update(rtype, namespace, meta["name"], {**created, "status": obj["status"]},
                                            _KUBELET, subresource="status")
        except status.ApiError as exc:
            raise ScenarioError(f"{where}: {exc.message}") from exc
        if obj["kind"] not in _NOT_AGED:
            self.created[(rtype.storage_key, namespace, meta["name"])] = self.ages.manifest(obj)

    def backdate(self) -> None:
        """Set creation times to the planned ages; done before anything is served, so no cached encoding
        of these objects exists yet."""
        for (key, namespace, name), when in self.created.items():
            stored = self.cluster.store.get(key, namespace, name)
            if stored is not None:
                stored["metadata"]["creationTimestamp"] = timestamp(when)


async def build_cluster(scenario: Scenario, name: str | None = None, seed: int = 0, history: float = 7 * DAY,
                        clock: Clock | None = None) -> BuiltCluster:
    """A cluster with `scenario` loaded and its healthy workloads warm-started (no simulation running yet)."""
    cluster = Cluster(name or scenario.name, scenario.kubernetes_version, clock)
    await bootstrap.bootstrap(cluster)
    builder = Builder(cluster, scenario, seed, history)
    builder.nodes()
    builder.namespaces()
    await cluster.settle()  # the namespace controller's default ServiceAccounts, which pods need to be admitted
    builder.manifests()
    builder.backdate()
    warm = WarmStarter(cluster, seed, builder.now,
                       lambda obj: seconds(obj["metadata"].get("creationTimestamp")) or builder.now).run()
    settle_quota_status(cluster, builder.now)
    await cluster.settle()
    return BuiltCluster(cluster, scenario, seed, builder.now, history, warm)
