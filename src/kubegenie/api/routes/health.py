"""GET /healthz (the process serves), GET /readyz (the store and a cluster answer) and GET /metrics (the agent
runtime's Prometheus metrics and the HTTP request metrics)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from kubegenie import errors
from kubegenie.api.deps import AssistantDep
from kubegenie.api.metrics import HttpMetrics
from kubegenie.api.schemas import Health, Readiness

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    """Liveness: answers as long as the process serves requests."""
    return Health(status="ok")


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
async def readyz(assistant: AssistantDep) -> JSONResponse:
    """Readiness: the task store answers and at least one cluster is reachable (each cluster is listed)."""
    try:
        await assistant.tasks(limit=1)
        store = "ok"
    except errors.ServiceUnavailable as exc:
        store = f"unreachable: {exc.message}"
    clusters = {summary.name: summary.status for summary in await assistant.list_clusters()}
    reachable = any(summary_ok(status) for status in clusters.values())
    ready = store == "ok" and reachable
    body = Readiness(status="ready" if ready else "not ready", store=store, clusters=clusters)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)


def summary_ok(status: str) -> bool:
    return not status.startswith("unreachable") and status != "unknown"


@router.get("/metrics", response_class=Response,
            responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}}})
async def metrics(request: Request, assistant: AssistantDep) -> Response:
    """Prometheus text exposition: task queue, agents and tasks, then HTTP requests of this server."""
    runtime = await assistant.runtime()
    await runtime.orchestrator.refresh_metrics()
    http = request.app.state.http_metrics
    assert isinstance(http, HttpMetrics)
    return Response(runtime.metrics.exposition() + http.exposition(), media_type=CONTENT_TYPE_LATEST)
