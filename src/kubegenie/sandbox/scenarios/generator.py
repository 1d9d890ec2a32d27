"""Scenarios generated at any size (`--nodes N --pods M`): node pools of two or three instance types (one on
spot), the EKS system components, team namespaces full of Deployments with several replicas and Services,
a few StatefulSets and a DaemonSet, usage patterns in realistic proportions, and about 2% of the pods
failing in the usual ways. Everything is drawn from a seeded generator, so a seed reproduces a cluster.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator

from kubegenie.sandbox.scenarios import instancetypes
from kubegenie.sandbox.scenarios.loader import fragment
from kubegenie.sandbox.scenarios.model import NodePool, Problem, Scenario
from kubegenie.sandbox.store import Obj

FAILING_SHARE = 0.02
TEAMS = ("checkout", "catalog", "payments", "search", "identity", "orders", "shipping", "analytics", "notifications",
         "pricing", "reviews", "inventory", "recommendations", "billing", "support", "media", "growth", "platform")
SERVICES = ("api", "web", "worker", "gateway", "frontend", "backend", "consumer", "scheduler", "indexer", "sync",
            "auth", "cache-warmer", "importer", "exporter", "notifier", "renderer", "webhook", "reporter")
IMAGES = ("ghcr.io/acme/{name}:1.{minor}.{patch}",
          "123456789012.dkr.ecr.us-east-1.amazonaws.com/{name}:v2.{minor}.{patch}",
          "docker.io/library/nginx:1.27.{patch}", "docker.io/library/python:3.12-slim",
          "eclipse-temurin:21-jre", "node:20-alpine")
AREAS = ("", "-api", "-jobs", "-edge", "-data", "-web", "-internal", "-batch", "-core", "-events")
PODS_PER_NAMESPACE = 60
"""Teams split their work over namespaces of a few dozen pods, as large clusters are organised."""
PATTERNS = (("steady", 0.60), ("diurnal", 0.25), ("spiky", 0.10), ("leak", 0.05))
SYSTEM_DAEMONSETS = 3
SYSTEM_PODS = 5
ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")


def _pattern(rng: random.Random) -> str:
    roll, total = rng.random(), 0.0
    for name, share in PATTERNS:
        total += share
        if roll < total:
            return name
    return "steady"


def _namespaces(count: int) -> list[str]:
    """`count` namespace names: team names, then team names with an area suffix, then numbered."""
    names = [f"{team}{area}" for area in AREAS for team in TEAMS]
    names += [f"{name}-{number}" for number in range(2, 2 + count // len(names) + 1) for name in names[:]]
    return names[:count]


def _pools(nodes: int) -> tuple[NodePool, ...]:
    spot = max(1, round(nodes * 0.3)) if nodes >= 3 else 0
    memory = max(0, round(nodes * 0.1)) if nodes >= 6 else 0
    general = nodes - spot - memory
    pools = [NodePool("general", general, "m5.xlarge", ZONES)]
    if spot:
        pools.append(NodePool("compute-spot", spot, "c5.2xlarge", ZONES, capacity_type="spot", provisioner="karpenter"))
    if memory:
        pools.append(NodePool("memory", memory, "r5.xlarge", ZONES))
    return tuple(pools)


def _capacity(pools: tuple[NodePool, ...]) -> tuple[float, float]:
    """Total allocatable (millicores, MiB) of the pools, roughly."""
    cpu = memory = 0.0
    for pool in pools:
        known = instancetypes.lookup(pool.instance_type)
        if known:
            cpu += pool.count * (known.cpu * 1000 - 100)
            memory += pool.count * known.memory_gib * 1024 * 0.88
    return cpu, memory


def _replica_counts(rng: random.Random, total: int) -> Iterator[int]:
    """Replica counts (mostly 2-6) that add up to `total`."""
    left = total
    while left > 0:
        count = min(left, rng.choice((1, 2, 2, 3, 3, 3, 4, 5, 6)))
        left -= count
        yield count


class Generator:
    """Builds one generated scenario."""

    def __init__(self, nodes: int, pods: int, seed: int, name: str = "generated") -> None:
        if nodes < 1:
            raise ValueError("--nodes must be at least 1")
        if pods < 0:
            raise ValueError("--pods must not be negative")
        self.nodes, self.pods, self.seed, self.name = nodes, pods, seed, name
        self.rng = random.Random(f"generator/{seed}/{nodes}/{pods}")
        self.pools = _pools(nodes)
        self.manifests: list[Obj] = []
        self.problems: list[Problem] = []
        self.used: set[tuple[str, str]] = set()

    def scenario(self) -> Scenario:
        system = SYSTEM_DAEMONSETS * self.nodes + SYSTEM_PODS
        app_pods = max(0, self.pods - system)
        daemonset = app_pods >= 10 * self.nodes and self.nodes > 1
        if daemonset:
            app_pods -= self.nodes
        cpu, memory = _capacity(self.pools)
        # Requests fill about 55% of what the nodes offer, as in a cluster sized with some headroom.
        self.cpu_per_pod = max(20.0, 0.55 * cpu / max(app_pods, 1))
        self.memory_per_pod = max(32.0, 0.55 * memory / max(app_pods, 1))
        teams = _namespaces(max(2, math.ceil(app_pods / PODS_PER_NAMESPACE)))
        for team in teams:
            self.manifests.append({"apiVersion": "v1", "kind": "Namespace",
                                   "metadata": {"name": team, "labels": {"team": team}}})
        failing_budget = round(app_pods * FAILING_SHARE)
        stateful_budget = min(app_pods // 20, 4 * 3)
        if daemonset:
            self._daemonset()
        for count in _replica_counts(self.rng, stateful_budget):
            self._statefulset(self.rng.choice(teams), count)
        for count in _replica_counts(self.rng, app_pods - stateful_budget):
            failing = failing_budget > 0 and self.rng.random() < 4 * FAILING_SHARE
            if failing:
                count = min(count, failing_budget)
                failing_budget -= count
            self._deployment(self.rng.choice(teams), count, failing)
        system_manifests = fragment("kube-system")
        return Scenario(name=self.name, description=f"generated: {self.nodes} nodes, about {self.pods} pods",
                        node_pools=self.pools, manifests=tuple(system_manifests) + tuple(self.manifests),
                        problems=tuple(self.problems))

    # --- pieces --------------------------------------------------------------------------------------------

    def _name(self, team: str) -> str:
        for _ in range(100):
            name = f"{team}-{self.rng.choice(SERVICES)}"
            if (team, name) not in self.used:
                self.used.add((team, name))
                return name
            name = f"{name}-{self.rng.randrange(2, 99)}"
            if (team, name) not in self.used:
                self.used.add((team, name))
                return name
        raise RuntimeError("ran out of names")

    def _container(self, name: str, image: str) -> tuple[Obj, dict[str, str]]:
        cpu = max(10, int(self.cpu_per_pod * self.rng.uniform(0.3, 1.7)))
        memory = max(32, int(self.memory_per_pod * self.rng.uniform(0.3, 1.7)))
        pattern = _pattern(self.rng)
        used_share = self.rng.uniform(0.15, 0.8)
        annotations = {"sim.kubegenie.io/cpu": f"{max(1, int(cpu * used_share))}m",
                       "sim.kubegenie.io/memory": f"{max(8, int(memory * self.rng.uniform(0.3, 0.7)))}Mi",
                       "sim.kubegenie.io/usage-pattern": pattern}
        limits = {"memory": f"{memory * 2}Mi"}
        container = {"name": name, "image": image, "ports": [{"containerPort": 8080, "name": "http"}],
                     "resources": {"requests": {"cpu": f"{cpu}m", "memory": f"{memory}Mi"}, "limits": limits},
                     "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 10}}
        return container, annotations

    def _image(self, name: str) -> str:
        template = self.rng.choice(IMAGES)
        return template.format(name=name, minor=self.rng.randrange(0, 30), patch=self.rng.randrange(0, 9))

    def _deployment(self, team: str, replicas: int, failing: bool) -> None:
        name = self._name(team)
        image = self._image(name)
        container, annotations = self._container(name.removeprefix(f"{team}-"), image)
        if failing:
            how = self.rng.choice(("crash", "image", "oom", "unready"))
            if how == "crash":
                annotations["sim.kubegenie.io/exit-code"] = "1"
                what = "every container start exits with code 1 (CrashLoopBackOff)"
            elif how == "image":
                container["image"] = image.rsplit(":", 1)[0] + ":does-not-exist"
                what = "the image tag does not exist (ImagePullBackOff)"
            elif how == "oom":
                limit = int(container["resources"]["limits"]["memory"].removesuffix("Mi"))
                annotations["sim.kubegenie.io/memory"] = f"{limit * 3 // 2}Mi"
                what = "uses more memory than its limit (OOMKilled)"
            else:
                annotations["sim.kubegenie.io/ready"] = "false"
                what = "readiness probe fails, so the Service has no ready endpoints"
            self.problems.append(Problem("failure", "Deployment", name, what, team))
        labels = {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": team}
        self.manifests.append({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": team, "labels": labels},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
                     "template": {"metadata": {"labels": labels, "annotations": annotations},
                                  "spec": {"containers": [container]}}}})
        self.manifests.append({
            "apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": team, "labels": labels},
            "spec": {"selector": {"app.kubernetes.io/name": name},
                     "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}})

    def _statefulset(self, team: str, replicas: int) -> None:
        name = self._name(team).replace(f"{team}-", f"{team}-db-", 1)
        image = self.rng.choice(("postgres:16.4", "redis:7.4.1", "mysql:8.4.2"))
        container, annotations = self._container(image.split(":", 1)[0], image)
        container.pop("readinessProbe", None)
        container["volumeMounts"] = [{"name": "data", "mountPath": "/data"}]
        labels = {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": team}
        self.manifests.append({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": team, "labels": labels},
            "spec": {"clusterIP": "None", "selector": {"app.kubernetes.io/name": name},
                     "ports": [{"name": "db", "port": 5432}]}})
        self.manifests.append({
            "apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": name, "namespace": team, "labels": labels},
            "spec": {"serviceName": name, "replicas": replicas,
                     "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
                     "template": {"metadata": {"labels": labels, "annotations": annotations},
                                  "spec": {"containers": [container]}},
                     "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
                         "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "20Gi"}}}}]}})

    def _daemonset(self) -> None:
        self.manifests.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "monitoring"}})
        labels = {"app.kubernetes.io/name": "node-exporter"}
        self.manifests.append({
            "apiVersion": "apps/v1", "kind": "DaemonSet",
            "metadata": {"name": "node-exporter", "namespace": "monitoring", "labels": labels},
            "spec": {"selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels,
                                               "annotations": {"sim.kubegenie.io/cpu": "4m",
                                                               "sim.kubegenie.io/memory": "18Mi"}},
                                  "spec": {"hostNetwork": True, "hostPID": True,
                                           "containers": [{"name": "node-exporter",
                                                           "image": "quay.io/prometheus/node-exporter:v1.8.2",
                                                           "resources": {"requests": {"cpu": "10m",
                                                                                      "memory": "24Mi"},
                                                                         "limits": {"memory": "64Mi"}}}]}}}})


def generate(nodes: int, pods: int, seed: int = 0, name: str = "generated") -> Scenario:
    """A realistic scenario of `nodes` nodes and about `pods` pods (system pods included)."""
    return Generator(nodes, pods, seed, name).scenario()
