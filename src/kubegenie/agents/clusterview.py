"""Read access to clusters for agents: resolves which cluster(s) a request means, waits for their caches,
checks namespaces with a did-you-mean, and reports clusters that could not answer. Agents read through
this, never through a client library."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kubegenie import errors
from kubegenie.agents.base import AgentContext
from kubegenie.domain.intents import Request
from kubegenie.domain.pods import pod_requests, pod_state, pod_summary
from kubegenie.kube.cache import ClusterCache
from kubegenie.kube.client import ClusterClient
from kubegenie.kube.fleet import fan_out
from kubegenie.kube.informer import SyncState
from kubegenie.kube.registry import ClusterRegistry

CACHE_WAIT_SECONDS = 5.0
Obj = dict[str, Any]


@dataclass
class ClusterView:
    """One cluster as an agent sees it."""

    name: str
    cache: ClusterCache
    client: ClusterClient
    stale_seconds: float | None = None

    def now(self) -> float:
        """The cluster's current time (its API server's clock), for ages and "since" windows."""
        return self.client.server_now()

    def pod_summary(self, pod: Obj) -> tuple[str, str, int, datetime | None]:
        """READY, STATUS, RESTARTS and last restart of a pod, as kubectl prints them (remembered per version)."""
        return self.cache.derived("pods", pod, "summary", pod_summary)

    def pod_state(self, pod: Obj) -> str:
        """running, completed, pending, failing or not_ready."""
        return self.cache.derived("pods", pod, "state", pod_state)

    def pod_requests(self, pod: Obj) -> tuple[int, int]:
        """(CPU millicores, memory bytes) the pod requests."""
        return self.cache.derived("pods", pod, "requests", pod_requests)

    def check_namespace(self, namespace: str | None) -> None:
        """Refuse an unknown namespace with the closest existing names."""
        if namespace is None or "namespaces" not in self.cache.informers:
            return
        known = self.cache.namespaces()
        if namespace in known or not known:
            return
        close = difflib.get_close_matches(namespace, known, n=3, cutoff=0.6)
        hint = f"Did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
        raise errors.NotFound(f"No namespace '{namespace}' on {self.name}.",
                              f"{hint}Namespaces there: {', '.join(known[:20])}{' ...' if len(known) > 20 else ''}.")

    def stale_note(self) -> str:
        if self.stale_seconds is None:
            return ""
        return f"\n\n_Cluster {self.name} is unreachable; this is cached data {int(self.stale_seconds)}s old._"


@dataclass
class Views:
    """The clusters a request covers: the ones that answered and the ones that did not."""

    clusters: list[ClusterView] = field(default_factory=list)
    failed: dict[str, errors.KubeGenieError] = field(default_factory=dict)

    @property
    def multi(self) -> bool:
        return len(self.clusters) + len(self.failed) > 1

    def failure_note(self) -> str:
        if not self.failed:
            return ""
        lines = [f"- **{name}** did not answer: {error.message} {error.remediation}"
                 for name, error in self.failed.items()]
        return "\n\nClusters without an answer:\n" + "\n".join(lines)


async def view_of(registry: ClusterRegistry, name: str | None) -> ClusterView:
    """One cluster's view; raises when it has never been reachable (stale data is served, marked)."""
    client = await registry.client(name)
    cache = await registry.cache(name, wait=CACHE_WAIT_SECONDS)
    status = cache.status()
    if status.state == SyncState.UNREACHABLE:
        raise errors.ClusterUnreachable(f"Cluster '{client.context}' is unreachable: {status.reason}",
                                        f"Check it with `kubegenie clusters show {client.context}`.")
    return ClusterView(client.context, cache, client,
                       status.stale_age_seconds if status.state == SyncState.STALE else None)


async def views_for(ctx: AgentContext, request: Request) -> Views:
    """The cluster(s) a request is about: all of them, the one it names, or the conversation's default."""
    registry = ctx.service(ClusterRegistry)
    if not request.all_clusters:
        view = await view_of(registry, request.cluster or ctx.scope.cluster)
        return Views([view])
    async def one(name: str) -> tuple[ClusterView, float | None]:
        view = await view_of(registry, name)
        return view, view.stale_seconds

    result = await fan_out(registry.names(), one, concurrency=registry.kube.fleet_concurrency,
                           timeout=registry.kube.fleet_timeout_seconds + CACHE_WAIT_SECONDS)
    views = Views([o.value for o in result.answered if o.value is not None],
                  {o.cluster: o.error for o in result.failed if o.error is not None})
    if not views.clusters:
        raise errors.ClusterUnreachable("None of the clusters answered.",
                                        "Run `kubegenie clusters list` to see what is wrong with each.")
    return views
