"""HTTP request metrics of the API server (requests and latency by method, route template and status), kept in
a registry of their own and exposed on /metrics beside the agent runtime's. Route templates, never raw paths,
label the series, so a client probing random URLs cannot grow them without bound.
"""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class HttpMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter("kubegenie_http_requests_total", "HTTP requests answered, by method, route and "
                                "status code.", ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("kubegenie_http_request_duration_seconds", "Time to the end of the response, by "
                                 "method and route.", ["method", "route"], buckets=LATENCY_BUCKETS,
                                 registry=self.registry)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


def route_of(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path or "/"
    return "unmatched"


class MetricsMiddleware:
    """Counts every HTTP request once its response is complete (or has failed)."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def observing_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, observing_send)
        finally:
            route = route_of(scope)
            self.metrics.requests.labels(scope.get("method", ""), route, str(status)).inc()
            self.metrics.latency.labels(scope.get("method", ""), route).observe(time.perf_counter() - started)
