"""What a scenario declares, as plain values: the cluster's settings, its node pools, ordinary manifests and
the problems it was built to contain. Parsing lives in loader.py; building a cluster from it in build.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kubegenie.sandbox.store import Obj

CAPACITY_TYPES = ("on-demand", "spot")
PROVISIONERS = ("eks", "karpenter")
PROBLEM_CATEGORIES = ("failure", "security", "cost", "usage")


@dataclass(frozen=True)
class NodePool:
    """`count` nodes of one instance type, spread over `zones`."""

    name: str
    count: int
    instance_type: str
    zones: tuple[str, ...]
    capacity_type: str = "on-demand"
    provisioner: str = "eks"
    """Who made the nodes, which decides their labels: `eks` (managed node group) or `karpenter`."""
    capacity: dict[str, str] = field(default_factory=dict)
    """Overrides of the instance type's capacity (cpu, memory, pods, nvidia.com/gpu, ...)."""
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    taints: tuple[Obj, ...] = ()
    unschedulable: bool = False
    names: tuple[str, ...] = ()
    """Explicit node names; generated EKS-style names otherwise."""


@dataclass(frozen=True)
class Problem:
    """One thing the scenario breaks on purpose, for ground truth and benchmarks."""

    category: str
    """failure | security | cost | usage"""
    kind: str
    name: str
    what: str
    namespace: str = ""
    check: str = ""
    """The analyzer or check that should flag it (k8sgpt analyzer, Polaris check id, ...)."""

    def to_json(self) -> dict[str, str]:
        found = {"category": self.category, "kind": self.kind, "namespace": self.namespace, "name": self.name,
                 "what": self.what}
        if self.check:
            found["check"] = self.check
        return found


@dataclass(frozen=True)
class Scenario:
    """A cluster to build: settings, nodes, manifests (applied as `kubectl apply` would) and declared problems."""

    name: str
    description: str = ""
    kubernetes_version: str = "1.31.4"
    provider: str = "aws"
    region: str = "us-east-1"
    node_pools: tuple[NodePool, ...] = ()
    manifests: tuple[Obj, ...] = ()
    problems: tuple[Problem, ...] = ()

    @property
    def node_count(self) -> int:
        return sum(pool.count for pool in self.node_pools)
