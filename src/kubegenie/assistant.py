"""The facade every entry point uses: one Assistant per process wires settings, clusters, understanding
and agents. Entry points stay thin and never reach below this module."""

from __future__ import annotations

from typing import Any

from kubegenie import errors
from kubegenie.domain.clusters import ClusterDetail, ClusterSummary, NodeSummary
from kubegenie.kube.cache import ClusterCache
from kubegenie.kube.fleet import fan_out
from kubegenie.kube.informer import SyncState
from kubegenie.kube.registry import ClusterRegistry
from kubegenie.settings import Settings


class Assistant:
    def __init__(self, settings: Settings, clusters: ClusterRegistry | None = None) -> None:
        self.settings = settings
        self.clusters = clusters or ClusterRegistry.from_settings(settings)

    async def close(self) -> None:
        await self.clusters.close()

    # --- clusters ------------------------------------------------------------------------------------

    async def list_clusters(self) -> list[ClusterSummary]:
        """Every configured cluster, probed concurrently; an unreachable one never blocks the others."""
        kube = self.settings.kube
        names = self.clusters.names()

        async def probe(name: str) -> tuple[ClusterSummary, float | None]:
            summary = await self._summary(name, kube.fleet_timeout_seconds)
            return summary, None

        result = await fan_out(names, probe, concurrency=kube.fleet_concurrency,
                               timeout=kube.fleet_timeout_seconds + 1)
        summaries = []
        for outcome in result.outcomes:
            if outcome.value is not None:
                summaries.append(outcome.value)
            else:
                assert outcome.error is not None
                entry = self.clusters.entry(outcome.cluster)
                summaries.append(ClusterSummary(name=entry.name, server=entry.server,
                                                default=entry.name == self.clusters.default,
                                                status=f"unreachable: {outcome.error.message}",
                                                error=outcome.error.message,
                                                remediation=outcome.error.remediation))
        return summaries

    async def _summary(self, name: str, wait: float) -> ClusterSummary:
        entry = self.clusters.entry(name)
        base = ClusterSummary(name=entry.name, server=entry.server, default=entry.name == self.clusters.default,
                              status="unknown")
        try:
            client = await self.clusters.client(name)
            version = await client.version()
            latency = client.last_latency_ms
            cache = await self.clusters.cache(name, wait=wait)
        except errors.KubeGenieError as exc:
            return base.model_copy(update={"status": f"unreachable: {exc.message}", "error": exc.message,
                                           "remediation": exc.remediation})
        status = cache.status()
        update: dict[str, object] = {"version": str(version.get("gitVersion", "")), "latency_ms": latency,
                                     "status": status.describe()}
        if status.state in (SyncState.SYNCED, SyncState.STALE):
            update |= _counts(cache)
        if status.state == SyncState.UNREACHABLE:
            update |= {"error": status.reason}
        return base.model_copy(update=update)

    async def show_cluster(self, name: str) -> ClusterDetail:
        entry = self.clusters.entry(name)
        summary = await self._summary(entry.name, self.settings.kube.fleet_timeout_seconds)
        detail = ClusterDetail(**summary.model_dump(), source=entry.source, context_namespace=entry.namespace)
        if entry.cache is None:
            return detail
        status = entry.cache.status()
        nodes = [_node_summary(node) for node in entry.cache.select("nodes")] if "nodes" in entry.cache.informers \
            else []
        return detail.model_copy(update={
            "namespace_names": entry.cache.namespaces(), "node_list": nodes, "not_permitted": status.not_permitted,
            "kinds": {kind: s.state.value for kind, s in status.kinds.items()}})


def _counts(cache: ClusterCache) -> dict[str, object]:
    counts: dict[str, object] = {}
    for kind, field in (("nodes", "nodes"), ("pods", "pods"), ("namespaces", "namespaces")):
        informer = cache.informers.get(kind)
        if informer is not None and informer.status.state in (SyncState.SYNCED, SyncState.STALE):
            counts[field] = len(informer.objects)
    return counts


def _node_summary(node: dict[str, Any]) -> NodeSummary:
    meta, status, spec = node.get("metadata") or {}, node.get("status") or {}, node.get("spec") or {}
    ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or [])
    roles = sorted(label.split("/", 1)[1] for label in meta.get("labels") or {}
                   if label.startswith("node-role.kubernetes.io/"))
    return NodeSummary(name=str(meta.get("name", "")), ready=ready, roles=roles,
                       kubelet_version=str((status.get("nodeInfo") or {}).get("kubeletVersion", "")),
                       unschedulable=bool(spec.get("unschedulable")))
