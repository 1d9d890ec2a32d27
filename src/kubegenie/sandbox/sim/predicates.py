"""Node predicates shared by the scheduler and the DaemonSet controller: taints and tolerations, node
selectors and required node affinity, and the resources a node has left. Each returns the scheduler
plugin's failure text, so FailedScheduling messages read exactly as kube-scheduler's.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from kubegenie.domain import quantity
from kubegenie.sandbox.store import Obj

UNSCHEDULABLE_TAINT = "node.kubernetes.io/unschedulable"
NODE_UNSCHEDULABLE = "node(s) were unschedulable"
AFFINITY_MISMATCH = "node(s) didn't match Pod's node affinity/selector"
PORTS_CONFLICT = "node(s) didn't have free ports for the requested pod ports"
TOO_MANY_PODS = "Too many pods"
VOLUME_AFFINITY_CONFLICT = "node(s) had volume node affinity conflict"


def tolerates(tolerations: Iterable[Obj], taint: Obj) -> bool:
    for toleration in tolerations:
        effect = toleration.get("effect") or ""
        if effect and effect != taint.get("effect"):
            continue
        operator = toleration.get("operator") or "Equal"
        key = toleration.get("key") or ""
        if operator == "Exists":
            if not key or key == taint.get("key"):
                return True
            continue
        if key == taint.get("key") and (toleration.get("value") or "") == (taint.get("value") or ""):
            return True
    return False


def untolerated_taint(node: Obj, tolerations: list[Obj], effects: tuple[str, ...] = ("NoSchedule", "NoExecute"),
                      ) -> Obj | None:
    for taint in (node.get("spec") or {}).get("taints") or []:
        if taint.get("effect") in effects and not tolerates(tolerations, taint):
            return dict(taint)
    return None


def taint_text(taint: Obj) -> str:
    return f"node(s) had untolerated taint {{{taint.get('key', '')}: {taint.get('value', '')}}}"


def _expression_matches(expr: Obj, labels: dict[str, str]) -> bool:
    key, operator, values = expr.get("key", ""), expr.get("operator", ""), expr.get("values") or []
    present = key in labels
    if operator == "In":
        return present and labels[key] in values
    if operator == "NotIn":
        return not present or labels[key] not in values
    if operator == "Exists":
        return present
    if operator == "DoesNotExist":
        return not present
    if operator in ("Gt", "Lt") and present and values:
        try:
            actual, wanted = int(labels[key]), int(values[0])
        except ValueError:
            return False
        return actual > wanted if operator == "Gt" else actual < wanted
    return False


def _term_matches(term: Obj, node: Obj) -> bool:
    labels = node["metadata"].get("labels") or {}
    expressions = term.get("matchExpressions") or []
    fields = term.get("matchFields") or []
    if not expressions and not fields:
        return False
    if not all(_expression_matches(expr, labels) for expr in expressions):
        return False
    name = {"metadata.name": node["metadata"]["name"]}
    return all(_expression_matches(expr, name) for expr in fields)


def matches_node_affinity(pod_spec: Obj, node: Obj) -> bool:
    """nodeSelector and requiredDuringSchedulingIgnoredDuringExecution node affinity."""
    labels = node["metadata"].get("labels") or {}
    for key, value in (pod_spec.get("nodeSelector") or {}).items():
        if labels.get(key) != value:
            return False
    required = (((pod_spec.get("affinity") or {}).get("nodeAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution") or {})
    terms = required.get("nodeSelectorTerms")
    if terms is None:
        return True
    return any(_term_matches(term, node) for term in terms)


def host_ports(pod_spec: Obj) -> set[tuple[str, int, str]]:
    ports = set()
    for container in (pod_spec.get("containers") or []) + (pod_spec.get("initContainers") or []):
        for port in container.get("ports") or []:
            if port.get("hostPort"):
                ports.add((str(port.get("hostIP") or "0.0.0.0"), int(port["hostPort"]),
                           str(port.get("protocol") or "TCP")))
    return ports


@dataclass
class NodeUsage:
    """What pods bound to a node already request."""

    requests: dict[str, Decimal] = field(default_factory=dict)
    pods: int = 0
    ports: set[tuple[str, int, str]] = field(default_factory=set)

    def add(self, requests: dict[str, Decimal], ports: set[tuple[str, int, str]], sign: int = 1) -> None:
        for name, value in requests.items():
            self.requests[name] = self.requests.get(name, Decimal(0)) + sign * value
        self.pods += sign
        if sign > 0:
            self.ports |= ports
        else:
            self.ports -= ports


def allocatable(node: Obj) -> dict[str, Decimal]:
    """What pods may request on `node` (shared between calls: do not change it)."""
    values = (node.get("status") or {}).get("allocatable") or (node.get("status") or {}).get("capacity") or {}
    return _parsed(tuple(values.items()))


@functools.lru_cache(maxsize=4096)
def _parsed(values: tuple[tuple[str, str], ...]) -> dict[str, Decimal]:
    # Nodes of one pool share their allocatable, and the scheduler reads it for every node in every cycle.
    result = {}
    for name, value in values:
        try:
            result[name] = quantity.parse(value)
        except quantity.QuantityError:
            continue
    return result


def insufficient(node: Obj, usage: NodeUsage, requests: dict[str, Decimal]) -> list[str]:
    """NodeResourcesFit's reasons, in its order: pods, cpu, memory, ephemeral-storage, then others."""
    capacity = allocatable(node)
    reasons = []
    if usage.pods + 1 > int(capacity.get("pods", Decimal(110))):
        reasons.append(TOO_MANY_PODS)
    ordered: list[str] = [name for name in ("cpu", "memory", "ephemeral-storage") if name in requests]
    ordered += sorted(name for name in requests if name not in ("cpu", "memory", "ephemeral-storage"))
    for name in ordered:
        wanted = requests[name]
        if wanted <= 0:
            continue
        if usage.requests.get(name, Decimal(0)) + wanted > capacity.get(name, Decimal(0)):
            reasons.append(f"Insufficient {name}")
    return reasons
