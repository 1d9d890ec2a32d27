"""`create_app`: the FastAPI application of the REST API. One Assistant serves every request; the lifespan opens
its agent runtime before the first request and closes it (when the app built it) at shutdown. The web UI is
mounted on the returned app by whoever composes the server (`kubegenie serve`, `kubegenie demo`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from kubegenie import __version__
from kubegenie.api import limits, problems
from kubegenie.api.metrics import HttpMetrics, MetricsMiddleware
from kubegenie.api.routes import agents, chat, clusters, health, tasks
from kubegenie.assistant import Assistant
from kubegenie.settings import Settings, get_settings

DESCRIPTION = """Ask your Kubernetes clusters questions in plain English and get answers from live cluster data.

Errors are `application/problem+json` (RFC 9457) with a stable `code` and a `remediation`.
The web UI is at [/ui](/ui/)."""
TAGS = [{"name": "chat", "description": "Questions and answers, one at a time or streamed."},
        {"name": "clusters", "description": "The kubeconfig contexts KubeGenie can reach."},
        {"name": "agents", "description": "The agents that answer, with their live figures."},
        {"name": "tasks", "description": "The work handed to agents: state, result, cancellation."},
        {"name": "health", "description": "Liveness, readiness and Prometheus metrics."}]


def create_app(source: Settings | Assistant | None = None, *, max_body_bytes: int = limits.MAX_BODY_BYTES) -> FastAPI:
    """The API over an Assistant: the one given (the caller closes it) or one built from settings."""
    owned = not isinstance(source, Assistant)
    assistant = source if isinstance(source, Assistant) else Assistant(source or get_settings())

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await assistant.runtime()
        try:
            yield
        finally:
            if owned:
                await assistant.close()

    app = FastAPI(title="KubeGenie", version=__version__, description=DESCRIPTION, openapi_tags=TAGS,
                  lifespan=lifespan, docs_url="/docs", redoc_url=None, openapi_url="/openapi.json")
    app.state.assistant = assistant
    app.state.http_metrics = HttpMetrics()
    problems.install(app)
    app.add_middleware(limits.BodyLimit, max_bytes=max_body_bytes)
    app.add_middleware(MetricsMiddleware, metrics=app.state.http_metrics)
    for module in (chat, clusters, agents, tasks, health):
        app.include_router(module.router)
    return app
