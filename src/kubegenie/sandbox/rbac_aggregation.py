"""The ClusterRole aggregation controller (pkg/controller/clusterroleaggregation): a ClusterRole with an
aggregationRule holds the union of the rules of every other ClusterRole its selectors match, kept current
as roles and labels change. It only rewrites `rules` of aggregating roles, through ObjectAPI.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from kubegenie.domain.labels import selector_from_match
from kubegenie.sandbox.objects import WriteOptions
from kubegenie.sandbox.store import Change, Obj

if TYPE_CHECKING:
    from kubegenie.sandbox.cluster import Cluster

CLUSTER_ROLES = "rbac.authorization.k8s.io/clusterroles"
FIELD_MANAGER = "clusterrole-aggregation-controller"
_MAX_PASSES = 16  # aggregating roles may feed each other (view -> edit -> admin); a cycle must still end


def aggregated_rules(role: Obj, roles: list[Obj]) -> list[Obj]:
    """The rules `role` should hold: those of the matching roles, sorted by name, without duplicates."""
    selectors = [selector_from_match(s.get("matchLabels"), s.get("matchExpressions"))
                 for s in (role.get("aggregationRule") or {}).get("clusterRoleSelectors") or []]
    name = role["metadata"]["name"]
    rules: list[Obj] = []
    for other in sorted(roles, key=lambda r: str(r["metadata"]["name"])):
        labels = other["metadata"].get("labels") or {}
        if other["metadata"]["name"] == name or not any(selector.matches(labels) for selector in selectors):
            continue
        for rule in other.get("rules") or []:
            if rule not in rules:
                rules.append(rule)
    return rules


class ClusterRoleAggregation:
    """Re-aggregates after any ClusterRole change, on the next loop turn or before the next authorization."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self._dirty = False
        self._scheduled = False
        self._writing = False
        cluster.store.add_listener(self._on_change)

    @property
    def idle(self) -> bool:
        return not self._dirty

    def _on_change(self, change: Change) -> None:
        if change.key != CLUSTER_ROLES or self._writing:
            return
        self._dirty = True
        if self._scheduled:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop (a synchronous caller): sync() runs before the next authorization decision
        self._scheduled = True
        loop.call_soon(self._run)

    def _run(self) -> None:
        self._scheduled = False
        self.sync()

    def sync(self) -> None:
        """Bring every aggregating ClusterRole up to date (no-op when nothing changed since the last run)."""
        if not self._dirty:
            return
        self._dirty = False
        for _ in range(_MAX_PASSES):
            if not self._pass():
                return

    def _pass(self) -> bool:
        store = self.cluster.store
        rtype = self.cluster.registry.lookup("rbac.authorization.k8s.io", "v1", "clusterroles")
        assert rtype is not None
        changed = False
        for role in list(store.iter(CLUSTER_ROLES)):
            if not role.get("aggregationRule"):
                continue
            current = store.get(CLUSTER_ROLES, "", role["metadata"]["name"])
            if current is None:
                continue
            rules = aggregated_rules(current, list(store.iter(CLUSTER_ROLES)))
            if rules == (current.get("rules") or []):
                continue
            body = {**current, "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "rules": rules}
            self._writing = True
            try:
                self.cluster.objects.update(rtype, "", current["metadata"]["name"], body,
                                            WriteOptions(field_manager=FIELD_MANAGER, field_validation="Ignore"))
            finally:
                self._writing = False
            changed = True
        return changed
