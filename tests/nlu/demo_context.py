"""The NluContext a cache of the demo scenario gives: its namespaces, nodes and the objects it declares, read from
the scenario file without running it (pods are named after their owners, as a cache would list them)."""

from __future__ import annotations

from functools import lru_cache

from kubegenie.domain.intents import ResourceKind
from kubegenie.nlu.context import NluContext
from kubegenie.sandbox.scenarios import loader
from kubegenie.sandbox.scenarios.nodes import plan_nodes

_KINDS = {kind.value: kind for kind in ResourceKind}
_BUILT_IN_NAMESPACES = ("default", "kube-node-lease", "kube-public", "kube-system")
_POD_TAIL = {"Deployment": "-5c7d9f8b6-x2x4z", "DaemonSet": "-x7k2p", "StatefulSet": "-0"}


def _plural(kind: str) -> ResourceKind | None:
    lowered = kind.lower()
    plural = lowered + ("es" if lowered.endswith(("s", "x")) else "s")
    if lowered.endswith("y"):
        plural = lowered[:-1] + "ies"
    aliases = {"persistentvolumeclaims": ResourceKind.PVC, "persistentvolumes": ResourceKind.PV}
    return aliases.get(plural) or _KINDS.get(plural)


@lru_cache(maxsize=2)
def demo_context(clusters: tuple[str, ...] = ("prod",)) -> NluContext:
    scenario = loader.load("demo")
    names: dict[ResourceKind, set[str]] = {}
    for manifest in scenario.manifests:
        kind = _plural(str(manifest.get("kind", "")))
        name = str(manifest["metadata"]["name"])
        if kind is not None:
            names.setdefault(kind, set()).add(name)
        if manifest.get("kind") in _POD_TAIL:
            names.setdefault(ResourceKind.POD, set()).add(name + _POD_TAIL[str(manifest["kind"])])
    names.setdefault(ResourceKind.NODE, set()).update(
        str(node.body["metadata"]["name"]) for node in plan_nodes(scenario.node_pools, scenario.region, 3))
    namespaces = set(_BUILT_IN_NAMESPACES) | names.get(ResourceKind.NAMESPACE, set())
    names[ResourceKind.NAMESPACE] = namespaces
    return NluContext(clusters=clusters, current_cluster=clusters[0], namespaces=tuple(sorted(namespaces)),
                      names={kind: tuple(sorted(values)) for kind, values in names.items()})
