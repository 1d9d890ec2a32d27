"""What KubeGenie reports about a cluster: reachability, version, size, cache sync state and latency."""

from __future__ import annotations

from pydantic import BaseModel, Field


class NodeSummary(BaseModel):
    name: str
    ready: bool
    roles: list[str] = Field(default_factory=list)
    kubelet_version: str = ""
    unschedulable: bool = False


class ClusterSummary(BaseModel):
    name: str
    server: str
    default: bool = False
    version: str | None = None
    nodes: int | None = None
    pods: int | None = None
    namespaces: int | None = None
    status: str
    """synced, syncing, stale for Ns (reason), unreachable: reason, not permitted."""
    latency_ms: float | None = None
    error: str | None = None
    remediation: str | None = None


class ClusterDetail(ClusterSummary):
    source: str = ""
    context_namespace: str | None = None
    namespace_names: list[str] = Field(default_factory=list)
    node_list: list[NodeSummary] = Field(default_factory=list)
    not_permitted: list[str] = Field(default_factory=list)
    """Kinds the identity may not list; everything else still works."""
    kinds: dict[str, str] = Field(default_factory=dict)
    """Sync state per cached kind."""
