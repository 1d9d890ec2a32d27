"""Where a simulation finds pods without scanning them all: an index by node and one by namespace and label,
rebuilt when the simulation starts and kept from the store's change stream, so the kubelets, the endpoints
controllers and the workload controllers look up the pods they care about.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, ClassVar, TypeVar

from kubegenie.sandbox.selectors import LabelSelector
from kubegenie.sandbox.sim.controller import Component
from kubegenie.sandbox.sim.kube import Key, key_of
from kubegenie.sandbox.store import Change, Obj

if TYPE_CHECKING:
    from kubegenie.sandbox.sim import Simulation

LabelKey = tuple[str, str, str]
"""(namespace, label key, label value)"""
S = TypeVar("S", str, LabelKey)


class PodIndex(Component):
    """Pods by node and by (namespace, label); subscribed before every other component, so it is current
    whenever one of them reacts to a pod change."""

    watches: ClassVar[tuple[str, ...]] = ("pods",)

    def __init__(self, sim: Simulation) -> None:
        super().__init__(sim)
        self._by_node: defaultdict[str, set[Key]] = defaultdict(set)
        self._by_label: defaultdict[LabelKey, set[Key]] = defaultdict(set)
        self._node_of: dict[Key, str] = {}
        self._labels_of: dict[Key, dict[str, str]] = {}

    def start(self) -> None:
        """Rebuild from the store: changes made while the simulation was stopped were not seen."""
        self._by_node.clear()
        self._by_label.clear()
        self._node_of.clear()
        self._labels_of.clear()
        for pod in self.store.iter("pods"):
            self._add(key_of(pod), pod)

    def on_change(self, change: Change) -> None:
        key = key_of(change.obj)
        if change.type == "DELETED":
            self._remove(key)
            return
        old = change.old
        if old is not None and old["metadata"].get("labels") == change.obj["metadata"].get("labels") \
                and (old.get("spec") or {}).get("nodeName") == (change.obj.get("spec") or {}).get("nodeName"):
            return
        self._remove(key)
        self._add(key, change.obj)

    def _add(self, key: Key, pod: Obj) -> None:
        node = (pod.get("spec") or {}).get("nodeName")
        if node:
            self._node_of[key] = node
            self._by_node[node].add(key)
        labels = pod["metadata"].get("labels") or {}
        if labels:
            self._labels_of[key] = labels
            for name, value in labels.items():
                self._by_label[(key[0], name, value)].add(key)

    def _remove(self, key: Key) -> None:
        node = self._node_of.pop(key, None)
        if node is not None:
            _discard(self._by_node, node, key)
        for name, value in self._labels_of.pop(key, {}).items():
            _discard(self._by_label, (key[0], name, value), key)

    # --- lookups -------------------------------------------------------------------------------------------

    def on_node(self, node: str) -> list[Obj]:
        """Pods bound to `node`."""
        return self._objects(self._by_node.get(node, ()))

    def selected(self, namespace: str, selector: LabelSelector | None) -> list[Obj]:
        """Pods of `namespace` whose labels match `selector` (none for a missing or empty selector)."""
        if selector is None or selector.empty:
            return []
        candidates: set[Key] | None = None
        for requirement in selector.requirements:
            if requirement.operator not in ("=", "in"):
                continue
            found: set[Key] = set()
            for value in requirement.values:
                found |= self._by_label.get((namespace, requirement.key, value), set())
            if candidates is None or len(found) < len(candidates):
                candidates = found
            if not candidates:
                return []
        pods = self.store.iter("pods", namespace) if candidates is None else self._objects(candidates)
        return [pod for pod in pods if selector.matches(pod["metadata"].get("labels"))]

    def _objects(self, keys: set[Key] | tuple[()]) -> list[Obj]:
        # Sorted, so what controllers do with the pods does not depend on string hashing.
        found = []
        for namespace, name in sorted(keys):
            pod = self.store.get("pods", namespace, name)
            if pod is not None:
                found.append(pod)
        return found


def _discard(index: defaultdict[S, set[Key]], slot: S, key: Key) -> None:
    keys = index.get(slot)
    if keys is not None:
        keys.discard(key)
        if not keys:
            del index[slot]
