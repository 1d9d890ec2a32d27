"""The inventory agent: what is in the clusters and how it is doing, answered from the watch-fed caches in
milliseconds: lists, counts, single objects, describe-style summaries with events, logs, top, node status,
the cluster overview, API resources and the known clusters."""

from __future__ import annotations

from kubegenie.agents.base import AgentContext, AgentResult
from kubegenie.agents.clusterview import views_for
from kubegenie.agents.inventory import catalog, describe, listing, logs, overview, top
from kubegenie.domain.intents import (
    ApiResourcesRequest,
    ClusterOverviewRequest,
    CountResourcesRequest,
    DescribeResourceRequest,
    GetResourceRequest,
    Intent,
    ListClustersRequest,
    ListEventsRequest,
    ListResourcesRequest,
    NodeStatusRequest,
    PodLogsRequest,
    Request,
    TopRequest,
)
from kubegenie.errors import InvalidInput
from kubegenie.kube.registry import ClusterRegistry


class InventoryAgent:
    name = "inventory"
    description = ("Lists, counts and describes what runs in your clusters: pods, workloads, services, nodes, "
                   "events, logs and current CPU/memory.")
    intents = frozenset({Intent.CLUSTER_OVERVIEW, Intent.LIST_RESOURCES, Intent.COUNT_RESOURCES,
                         Intent.GET_RESOURCE, Intent.DESCRIBE_RESOURCE, Intent.POD_LOGS, Intent.TOP,
                         Intent.NODE_STATUS, Intent.LIST_EVENTS, Intent.API_RESOURCES, Intent.LIST_CLUSTERS})

    async def handle(self, request: Request, ctx: AgentContext) -> AgentResult:
        if isinstance(request, ListClustersRequest):
            return await catalog.clusters(ctx.service(ClusterRegistry))
        if isinstance(request, ApiResourcesRequest):
            return await catalog.api_resources(ctx.service(ClusterRegistry), request.cluster or ctx.scope.cluster)
        views = await views_for(ctx, request)
        if isinstance(request, ClusterOverviewRequest):
            return overview.overview(views)
        if isinstance(request, CountResourcesRequest):
            return listing.count_resources(request, views)
        if isinstance(request, ListResourcesRequest):
            return listing.list_resources(request, views)
        if isinstance(request, ListEventsRequest):
            return listing.list_events(request, views)
        view = views.clusters[0]
        if isinstance(request, GetResourceRequest):
            return describe.get(request, view)
        if isinstance(request, DescribeResourceRequest):
            return describe.describe(request, view)
        if isinstance(request, PodLogsRequest):
            return await logs.pod_logs(request, view)
        if isinstance(request, TopRequest):
            return await top.top(request, view)
        if isinstance(request, NodeStatusRequest):
            return overview.node_status_answer(request, view)
        raise InvalidInput(f"The inventory agent does not answer {type(request).__name__}.")
