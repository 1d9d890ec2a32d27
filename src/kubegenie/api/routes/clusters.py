"""GET /api/v1/clusters (every kubeconfig context, probed concurrently) and GET /api/v1/clusters/{name}."""

from __future__ import annotations

from fastapi import APIRouter

from kubegenie.api import problems
from kubegenie.api.deps import AssistantDep
from kubegenie.api.schemas import ClusterDetailView, ClusterView

router = APIRouter(prefix="/api/v1/clusters", tags=["clusters"])


@router.get("", response_model=list[ClusterView])
async def list_clusters(assistant: AssistantDep) -> list[ClusterView]:
    """Every configured cluster with its reachability, version, size and cache state."""
    return [ClusterView(**summary.model_dump()) for summary in await assistant.list_clusters()]


@router.get("/{name}", response_model=ClusterDetailView, responses=problems.openapi_responses(422, 503))
async def show_cluster(name: str, assistant: AssistantDep) -> ClusterDetailView:
    """One cluster in detail: namespaces, nodes, kinds it may not list, cache state per kind."""
    return ClusterDetailView(**(await assistant.show_cluster(name)).model_dump())
