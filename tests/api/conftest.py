"""The API over the session sandbox: a namespace with a crash-looping and a healthy pod, one Assistant with
its own store for the module, and an httpx client speaking ASGI to the app (lifespan included)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
import pytest_asyncio

from kubegenie.api import create_app
from kubegenie.assistant import Assistant
from kubegenie.sandbox import bootstrap
from kubegenie.settings import KubeSettings, Settings
from tests.support import world
from tests.support.sandbox import SandboxEnv, unique_name


@dataclass(frozen=True)
class Shop:
    namespace: str
    failing: str
    healthy: str
    cluster: str


def make_shop(sandbox: SandboxEnv, prefix: str = "shop") -> Shop:
    name = unique_name(prefix)

    async def create() -> None:
        bootstrap.create(sandbox.cluster, "v1", "namespaces", "", {"metadata": {"name": name}})
        await sandbox.cluster.settle()

    sandbox.thread.call(create)
    failing, healthy = "checkout-7d9f8b6c5d-x2x9p", "web-5c8f7d9b4-qwz8r"
    world.put(sandbox, "v1", "pods", name, world.pod(failing, {"app": "checkout"},
                                                     [world.container("app", "shop/checkout:1.4")], node="worker-1"),
              status=world.crashloop_status("app", 7))
    world.put(sandbox, "v1", "pods", name, world.pod(healthy, {"app": "web"},
                                                     [world.container("app", "shop/web:2.0")], node="worker-1"),
              status=world.running_pod_status(["app"], node="worker-1"))
    return Shop(name, failing, healthy, sandbox.cluster.name)


@pytest.fixture(scope="module")
def shop(sandbox: SandboxEnv) -> Shop:
    return make_shop(sandbox)


@pytest.fixture(scope="module")
def settings(sandbox: SandboxEnv, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("api-data"), kube=KubeSettings(kubeconfig=[sandbox.kubeconfig]))


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client(settings: Settings, shop: Shop) -> AsyncIterator[httpx.AsyncClient]:
    assistant = Assistant(settings)
    app = create_app(assistant)
    try:
        async with app.router.lifespan_context(app), httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://kubegenie.test") as http:
            yield http
    finally:
        await assistant.close()


def problem_of(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    """The problem document of a response, checked against RFC 9457 and the stable code."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["code"] == code, body
    assert body["type"] == f"urn:kubegenie:problem:{code}"
    assert body["title"] and body["detail"] and body["remediation"], body
    assert body["instance"] == response.request.url.path
    assert "Traceback" not in response.text
    return dict(body)
