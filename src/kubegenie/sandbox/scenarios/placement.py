"""Where pods of a warm-started cluster landed: the scheduler's filters (ready and schedulable node, node
selector and required affinity, taints, host ports, requests against allocatable) with a least-allocated
score over a sample of nodes, so the state loaded at start-up is one kube-scheduler could have produced.
"""

from __future__ import annotations

import json
import random

from kubegenie.sandbox.sim import predicates
from kubegenie.sandbox.sim.annotations import node_conditions
from kubegenie.sandbox.sim.kube import pod_requests
from kubegenie.sandbox.store import Obj

SAMPLE = 32
"""Nodes scored per pod, as kube-scheduler scores a share of a large cluster rather than every node."""

Requests = dict[str, float]


def node_ready(node: Obj) -> bool:
    """A node whose kubelet will post Ready=True (declared conditions come from annotations)."""
    return node_conditions(node).get("Ready", "True") == "True"


def requests_of(spec: Obj) -> Requests:
    """A pod's effective requests as floats, with the pod itself counted against the node's pod limit."""
    found = {name: float(value) for name, value in pod_requests(spec).items() if value > 0}
    found["pods"] = 1.0
    return found


class Placement:
    """Running totals of what each node has been given, and the choice of a node for the next pod."""

    def __init__(self, nodes: list[Obj], rng: random.Random) -> None:
        self.nodes = {node["metadata"]["name"]: node for node in nodes}
        self.rng = rng
        self.free: dict[str, Requests] = {}
        for name, node in self.nodes.items():
            capacity = {key: float(value) for key, value in predicates.allocatable(node).items()}
            capacity.setdefault("pods", 110.0)
            self.free[name] = capacity
        self.ports: dict[str, set[tuple[str, int, str]]] = {name: set() for name in self.nodes}
        self._spread: dict[tuple[str, str], int] = {}
        self._capacity = {name: dict(free) for name, free in self.free.items()}
        self._open = [name for name, node in self.nodes.items()
                      if node_ready(node) and not (node.get("spec") or {}).get("unschedulable")]
        self._eligible: dict[str, list[str]] = {}

    def eligible(self, spec: Obj) -> list[str]:
        """Nodes that pass the filters that do not depend on what runs there (readiness, affinity, taints)."""
        tolerations = list(spec.get("tolerations") or [])
        signature = json.dumps([spec.get("nodeSelector"), spec.get("affinity"), tolerations], sort_keys=True)
        found = self._eligible.get(signature)
        if found is None:
            found = self._eligible[signature] = [
                name for name in self._open if predicates.matches_node_affinity(spec, self.nodes[name])
                and predicates.untolerated_taint(self.nodes[name], tolerations) is None]
        return found

    def _fits(self, name: str, requests: Requests, ports: set[tuple[str, int, str]]) -> bool:
        if ports and ports & self.ports[name]:
            return False
        free = self.free[name]
        return all(free.get(resource, 0.0) >= amount for resource, amount in requests.items())

    def _score(self, name: str, requests: Requests, spread_key: str) -> float:
        """NodeResourcesLeastAllocated (mean free share of cpu and memory after placing), minus a spread penalty."""
        shares = []
        for resource in ("cpu", "memory"):
            total = self._capacity[name].get(resource, 0.0)
            if total > 0:
                shares.append((self.free[name].get(resource, 0.0) - requests.get(resource, 0.0)) / total)
        score = sum(shares) / len(shares) if shares else 0.0
        return score - 0.1 * self._spread.get((spread_key, name), 0)

    def choose(self, requests: Requests, ports: set[tuple[str, int, str]], candidates: list[str],
               spread_key: str = "") -> str | None:
        """The best of (a sample of) `candidates` with room for `requests`, or None when none has room."""
        sample = candidates if len(candidates) <= SAMPLE else self.rng.sample(candidates, SAMPLE)
        for pool in (sample, candidates):
            fitting = [name for name in pool if self._fits(name, requests, ports)]
            if fitting:
                return max(fitting, key=lambda name: self._score(name, requests, spread_key))
            if len(pool) == len(candidates):
                break
        return None

    def bind(self, node_name: str, requests: Requests, ports: set[tuple[str, int, str]], spread_key: str = "") -> None:
        free = self.free[node_name]
        for resource, amount in requests.items():
            free[resource] = free.get(resource, 0.0) - amount
        self.ports[node_name] |= ports
        key = (spread_key, node_name)
        self._spread[key] = self._spread.get(key, 0) + 1
