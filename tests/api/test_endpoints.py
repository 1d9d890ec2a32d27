"""Clusters, agents, tasks, health, readiness, metrics and the OpenAPI document, as clients read them."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from kubegenie.api import create_app
from kubegenie.settings import KubeSettings, Settings
from tests.api.conftest import Shop, problem_of
from tests.kube.conftest import write_kubeconfig

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_clusters_list_and_show(client: httpx.AsyncClient, shop: Shop) -> None:
    listed = (await client.get("/api/v1/clusters")).json()
    assert [c["name"] for c in listed] == [shop.cluster]
    assert listed[0]["default"] and listed[0]["status"] == "synced" and listed[0]["version"] == "v1.31.4"
    assert listed[0]["pods"] >= 2
    shown = (await client.get(f"/api/v1/clusters/{shop.cluster}")).json()
    assert shop.namespace in shown["namespace_names"] and shown["kinds"]["pods"] == "synced"


async def test_agents_with_their_figures(client: httpx.AsyncClient, shop: Shop) -> None:
    await client.post("/api/v1/chat", json={"message": f"list pods in {shop.namespace}"})
    agents = {a["name"]: a for a in (await client.get("/api/v1/agents")).json()}
    inventory = agents["inventory"]
    assert "list_resources" in inventory["intents"] and inventory["origin"] == "built-in"
    assert inventory["completed"] >= 1 and inventory["status"] in ("idle", "busy")
    assert agents["help"]["intents"] == ["help"]


async def test_tasks_list_show_and_cancel(client: httpx.AsyncClient, shop: Shop) -> None:
    answer = (await client.post("/api/v1/chat", json={"message": f"list pods in {shop.namespace}"})).json()
    listed = (await client.get("/api/v1/tasks", params={"state": "succeeded", "limit": 5})).json()
    assert listed[0]["id"] == answer["task_id"] and listed[0]["result"] is None
    assert all(task["state"] == "succeeded" for task in listed)
    assert (await client.get("/api/v1/tasks", params={"state": "running"})).json() == []
    shown = (await client.get(f"/api/v1/tasks/{answer['task_id']}")).json()
    assert shown["agent"] == "inventory" and shown["priority"] == "interactive"
    assert shown["conversation_id"] == answer["conversation_id"]
    assert shown["result"]["tables"][0]["rows"] == answer["tables"][0]["rows"]
    cancelled = (await client.post(f"/api/v1/tasks/{answer['task_id']}/cancel")).json()
    assert cancelled["id"] == answer["task_id"] and cancelled["state"] == "succeeded"  # final tasks stay as they are


async def test_health_and_readiness(client: httpx.AsyncClient, shop: Shop) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "store": "ok", "clusters": {shop.cluster: "synced"}}


async def test_metrics_has_runtime_and_http_series(client: httpx.AsyncClient, shop: Shop) -> None:
    await client.post("/api/v1/chat", json={"message": f"list pods in {shop.namespace}"})
    await client.get("/api/v1/nothing-here")
    response = await client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'kubegenie_tasks_submitted_total{intent="list_resources"}' in text
    assert 'kubegenie_http_requests_total{method="POST",route="/api/v1/chat",status="200"}' in text
    assert 'route="unmatched",status="404"' in text
    assert 'kubegenie_http_request_duration_seconds_bucket{le="0.1",method="POST",route="/api/v1/chat"}' in text


async def test_openapi_documents_routes_examples_and_problems(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    paths = document["paths"]
    for path in ("/api/v1/chat", "/api/v1/chat/stream", "/api/v1/clusters", "/api/v1/clusters/{name}",
                 "/api/v1/agents", "/api/v1/tasks", "/api/v1/tasks/{task_id}", "/api/v1/tasks/{task_id}/cancel",
                 "/api/v1/conversations/{conversation_id}", "/healthz", "/readyz", "/metrics"):
        assert path in paths, path
    schemas = document["components"]["schemas"]
    assert schemas["ChatRequest"]["examples"][0] == {"message": "which pods are failing in shop?"}
    assert schemas["ChatResponse"]["examples"][0]["intent"] == "list_resources"
    assert {"type", "title", "status", "detail", "instance", "code", "remediation"} <= set(
        schemas["Problem"]["properties"])
    chat = paths["/api/v1/chat"]["post"]["responses"]
    assert "application/problem+json" in chat["422"]["content"] and "413" in chat
    assert "text/event-stream" in paths["/api/v1/chat/stream"]["post"]["responses"]["200"]["content"]
    docs = await client.get("/docs")
    assert docs.status_code == 200 and "swagger-ui" in docs.text


async def test_not_ready_without_a_reachable_cluster(tmp_path: Path) -> None:
    dead = write_kubeconfig(tmp_path / "dead.yaml", [{"name": "gone", "server": "http://127.0.0.1:9"}], "gone")
    settings = Settings(data_dir=tmp_path / "data", kube=KubeSettings(kubeconfig=[dead], connect_timeout_seconds=0.5,
                                                                      fleet_timeout_seconds=1.0))
    app = create_app(settings)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://kubegenie.test") as http:
        ready = await http.get("/readyz")
        assert ready.status_code == 503
        body = ready.json()
        assert body["status"] == "not ready" and body["store"] == "ok"
        assert body["clusters"]["gone"].startswith("unreachable")
        answer = await http.post("/api/v1/chat", json={"message": "list pods"})
        problem = problem_of(answer, 503, "cluster_unreachable")
        assert "gone" in str(problem["detail"]) or "127.0.0.1:9" in str(problem["detail"])
