"""The inventory agent answers from live cluster data: the facts each answer must contain."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from kubegenie import errors
from kubegenie.agents.base import AgentContext, AgentResult, RequestScope, ResultStatus
from kubegenie.agents.inventory import InventoryAgent
from kubegenie.domain import intents as i
from kubegenie.kube.registry import ClusterRegistry
from kubegenie.settings import KubeSettings
from tests.kube.conftest import context_of, write_kubeconfig
from tests.support import world
from tests.support.sandbox import SandboxEnv, unique_name

NODE_A, NODE_B = "inv-node-a", "inv-node-b"


@pytest.fixture(scope="module")
def shop(sandbox: SandboxEnv) -> str:
    """A namespace with healthy and broken workloads, two nodes (one not ready), config and events."""
    ns = unique_name("shop")
    world.put(sandbox, "v1", "namespaces", "", {"metadata": {"name": ns}})
    world.put(sandbox, "v1", "nodes", "", world.node(NODE_A, labels={"node-role.kubernetes.io/worker": ""}))
    world.put(sandbox, "v1", "nodes", "", world.node(NODE_B, ready=False))
    deployment = world.put(sandbox, "apps/v1", "deployments", ns, {
        "metadata": {"name": "web"}, "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                                              "template": {"metadata": {"labels": {"app": "web"}}, "spec": {
                                                  "containers": [world.container("nginx", "nginx:1.27")]}}}},
        status={"replicas": 2, "readyReplicas": 2, "availableReplicas": 2, "updatedReplicas": 2})
    del deployment
    for index in (1, 2):
        world.put(sandbox, "v1", "pods", ns, world.pod(f"web-7d9f8-{index}", {"app": "web", "tier": "front"},
                                                        [world.container("nginx", "nginx:1.27")], NODE_A),
                  status=world.running_pod_status(["nginx"]))
    crashing = world.put(sandbox, "v1", "pods", ns, world.pod(
        "checkout-5c6d7-x2x", {"app": "checkout"},
        [world.container("app", "shop/checkout:2.1", env=[{"name": "DB_PASSWORD", "value": "hunter2"},
                                                          {"name": "LOG_LEVEL", "value": "debug"}])], NODE_A),
        status=world.crashloop_status("app", restarts=7))
    world.put(sandbox, "v1", "pods", ns, world.pod("batch-0", {"app": "batch"},
                                                    [world.container("worker", "shop/batch:1", cpu="64")]),
              status=world.pending_status("0/2 nodes are available: 2 Insufficient cpu."))
    world.put(sandbox, "v1", "events", ns, world.event(ns, crashing, "BackOff",
                                                       "Back-off restarting failed container app in pod "
                                                       "checkout-5c6d7-x2x", count=12))
    world.put(sandbox, "v1", "configmaps", ns, {"metadata": {"name": "settings"},
                                                 "data": {"DB_URL": "postgres://u:secret@db/shop", "MODE": "x"}})
    world.put(sandbox, "v1", "secrets", ns, {"metadata": {"name": "db-credentials"},
                                              "stringData": {"password": "hunter2"}})
    world.put(sandbox, "v1", "services", ns, {"metadata": {"name": "web"}, "spec": {
        "selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]}})
    return ns


@pytest.fixture
async def ctx(sandbox: SandboxEnv, tmp_path: Path) -> AsyncIterator[AgentContext]:
    path = write_kubeconfig(tmp_path / "k.yaml", [{"name": "prod", **context_of(sandbox)}], current="prod")
    registry = ClusterRegistry(KubeSettings(), [path])
    yield AgentContext(RequestScope(task_id="t1"), {ClusterRegistry: registry})
    await registry.close()


async def ask(ctx: AgentContext, request: i.Request) -> AgentResult:
    return await InventoryAgent().handle(request, ctx)


def cells(result: AgentResult, table: int = 0) -> list[list[Any]]:
    return result.tables[table].rows


async def test_pods_of_a_namespace_with_status_and_restarts(ctx: AgentContext, shop: str) -> None:
    result = await ask(ctx, i.ListResourcesRequest(namespace=shop))
    assert result.text.startswith(f"**4 pods** in namespace {shop} on prod")
    assert "2 running" in result.text and "1 failing" in result.text and "1 pending" in result.text
    table = result.tables[0]
    assert table.columns == ["Name", "Ready", "Status", "Restarts", "Age", "Node"]
    rows = {row[0]: row for row in table.rows}
    assert rows["checkout-5c6d7-x2x"][2] == "CrashLoopBackOff"
    assert rows["checkout-5c6d7-x2x"][3].startswith("7 (")
    assert rows["batch-0"][2] == "Pending" and rows["batch-0"][5] == "<none>"
    assert rows["web-7d9f8-1"][1:3] == ["1/1", "Running"]


async def test_failing_and_restarting_filters(ctx: AgentContext, shop: str) -> None:
    failing = await ask(ctx, i.ListResourcesRequest(namespace=shop, status=i.PodStatusFilter.FAILING))
    assert [row[0] for row in cells(failing)] == ["checkout-5c6d7-x2x"]
    assert failing.text.startswith("**1 failing pod**")
    restarting = await ask(ctx, i.ListResourcesRequest(all_namespaces=True, status=i.PodStatusFilter.RESTARTING))
    assert any(row[1] == "checkout-5c6d7-x2x" for row in cells(restarting))
    pending = await ask(ctx, i.ListResourcesRequest(namespace=shop, status=i.PodStatusFilter.PENDING))
    assert [row[0] for row in cells(pending)] == ["batch-0"]


async def test_pods_by_label_and_node(ctx: AgentContext, shop: str) -> None:
    by_label = await ask(ctx, i.ListResourcesRequest(namespace=shop, label_selector="app=web"))
    assert sorted(row[0] for row in cells(by_label)) == ["web-7d9f8-1", "web-7d9f8-2"]
    by_node = await ask(ctx, i.ListResourcesRequest(all_namespaces=True, node=NODE_A))
    names = {row[1] for row in cells(by_node)}
    assert {"web-7d9f8-1", "web-7d9f8-2", "checkout-5c6d7-x2x"} <= names and "batch-0" not in names


async def test_count_with_breakdown(ctx: AgentContext, shop: str) -> None:
    result = await ask(ctx, i.CountResourcesRequest(namespace=shop))
    assert result.text.startswith(f"There are **4 pods** in namespace {shop}")
    deployments = await ask(ctx, i.CountResourcesRequest(namespace=shop, kind=i.ResourceKind.DEPLOYMENT))
    assert "**1 deployment**" in deployments.text


async def test_describe_pod_shows_state_events_and_redacts(ctx: AgentContext, shop: str) -> None:
    result = await ask(ctx, i.DescribeResourceRequest(kind=i.ResourceKind.POD, name="checkout", namespace=shop))
    assert "Pod checkout-5c6d7-x2x" in result.text
    assert "**CrashLoopBackOff**" in result.text
    assert "Latest warning: **BackOff**" in result.text
    containers = result.tables[0]
    assert containers.rows[0][2] == "Waiting: CrashLoopBackOff"
    assert "Error (exit code 1)" in containers.rows[0][5]
    env = {row[1]: row[2] for row in result.tables[1].rows}
    assert env == {"DB_PASSWORD": "<redacted>", "LOG_LEVEL": "debug"}
    events = result.tables[-1]
    assert events.rows[0][1] == "BackOff" and "(x12)" in events.rows[0][2]
    assert "hunter2" not in str(result.model_dump())


async def test_configmaps_and_secrets_show_names_never_values(ctx: AgentContext, shop: str) -> None:
    secrets = await ask(ctx, i.ListResourcesRequest(namespace=shop, kind=i.ResourceKind.SECRET))
    assert [row[0] for row in cells(secrets)] == ["db-credentials"]
    described = await ask(ctx, i.DescribeResourceRequest(kind=i.ResourceKind.CONFIGMAP, name="settings",
                                                         namespace=shop))
    assert "Keys (2): DB_URL, MODE (values are not shown)" in described.text
    assert "postgres://" not in str(described.model_dump())
    secret = await ask(ctx, i.DescribeResourceRequest(kind=i.ResourceKind.SECRET, name="db-credentials",
                                                      namespace=shop))
    assert "hunter2" not in str(secret.model_dump()) and "Keys (1): password" in secret.text


async def test_describe_deployment_lists_its_pods(ctx: AgentContext, shop: str) -> None:
    result = await ask(ctx, i.DescribeResourceRequest(kind=i.ResourceKind.DEPLOYMENT, name="web", namespace=shop))
    assert "Replicas: 2 desired, 2 updated, 2 ready, 2 available" in result.text
    assert sorted(row[0] for row in result.tables[0].rows) == ["web-7d9f8-1", "web-7d9f8-2"]


async def test_service_without_ready_endpoints_is_called_out(ctx: AgentContext, shop: str) -> None:
    result = await ask(ctx, i.DescribeResourceRequest(kind=i.ResourceKind.SERVICE, name="web", namespace=shop))
    assert "Endpoints: 0 ready" in result.text and "no pod serves this service" in result.text


async def test_unknown_names_and_namespaces_get_did_you_mean(ctx: AgentContext, shop: str) -> None:
    with pytest.raises(errors.NotFound) as missing:
        await ask(ctx, i.DescribeResourceRequest(kind=i.ResourceKind.DEPLOYMENT, name="wbe", namespace=shop))
    assert "Did you mean 'web'?" in missing.value.remediation
    typo = shop[:-1] + "x"
    with pytest.raises(errors.NotFound) as no_ns:
        await ask(ctx, i.ListResourcesRequest(namespace=typo))
    assert no_ns.value.message == f"No namespace '{typo}' on prod."
    assert "Did you mean" in no_ns.value.remediation and f"'{shop}'" in no_ns.value.remediation


async def test_node_status_and_overview(ctx: AgentContext, shop: str) -> None:
    nodes = await ask(ctx, i.NodeStatusRequest())
    assert f"{NODE_B} (NotReady)" in nodes.text
    row = next(r for r in cells(nodes) if r[0] == NODE_A)
    assert row[1] == "Ready" and row[2] == "worker" and row[4] == 3
    assert row[5] == f"{100 * 300 // 4000}%"
    one = await ask(ctx, i.NodeStatusRequest(name=NODE_B))
    assert "NotReady" in one.text and "Kubelet stopped posting node status." in str(one.tables[0].rows)
    overview = await ask(ctx, i.ClusterOverviewRequest())
    assert "### prod" in overview.text and "node(s) not ready" in overview.text
    assert "CrashLoopBackOff" in overview.text and overview.charts


async def test_events_warnings_only(ctx: AgentContext, shop: str) -> None:
    result = await ask(ctx, i.ListEventsRequest(namespace=shop, warnings_only=True))
    assert result.text == f"**1 warning event** in namespace {shop}; most common reasons: BackOff (1)."
    assert cells(result)[0][3] == "BackOff"


async def test_empty_answers_are_values_not_errors(ctx: AgentContext, shop: str) -> None:
    result = await ask(ctx, i.ListResourcesRequest(namespace=shop, kind=i.ResourceKind.CRONJOB))
    assert result.status == ResultStatus.NO_DATA
    assert result.text == f"No cronjobs in namespace {shop} on prod."


@pytest.fixture(scope="module")
def logged(sandbox: SandboxEnv, shop: str) -> str:
    lines = "starting checkout\nGET /cart 200\nERROR payment gateway timeout token=abc123\nGET /health 200"
    body = world.pod("api-6f7c-qq1", {"app": "api"}, [world.container("api", "shop/api:3"),
                                                      world.container("proxy", "envoy:1.30")], NODE_A)
    body["metadata"]["annotations"] = {"sim.kubegenie.io/log": lines, "sim.kubegenie.io/cpu": "350m",
                                       "sim.kubegenie.io/memory": "200Mi"}
    world.put(sandbox, "v1", "pods", shop, body, status=world.running_pod_status(["api", "proxy"]))
    return "api-6f7c-qq1"


async def test_logs_tail_grep_and_redaction(ctx: AgentContext, shop: str, logged: str) -> None:
    tail = await ask(ctx, i.PodLogsRequest(name="api", namespace=shop, tail=2))
    assert "pod **api-6f7c-qq1**" in tail.text and "container api (current)" in tail.text
    assert "other containers: proxy" in tail.text
    assert "GET /health 200" in tail.text and "starting checkout" not in tail.text
    grep = await ask(ctx, i.PodLogsRequest(name=logged, namespace=shop, grep="error"))
    assert "ERROR payment gateway timeout" in grep.text and "token=<redacted>" in grep.text
    assert "abc123" not in grep.text and "1 mention errors" in grep.text
    previous = await ask(ctx, i.PodLogsRequest(name=logged, namespace=shop, previous=True))
    assert previous.status == ResultStatus.NO_DATA and "has not restarted" in previous.text
    with pytest.raises(errors.InvalidInput) as bad:
        await ask(ctx, i.PodLogsRequest(name=logged, namespace=shop, container="sidecar"))
    assert bad.value.remediation == "Its containers: api, proxy."


async def test_top_pods_against_requests(ctx: AgentContext, shop: str, logged: str) -> None:
    result = await ask(ctx, i.TopRequest(namespace=shop))
    row = next(r for r in cells(result) if r[1] == logged)
    assert row[2].endswith("m") and row[4].endswith("Mi")
    assert result.charts and result.charts[0]["data"][0]["type"] == "bar"
    nodes = await ask(ctx, i.TopRequest(kind=i.ResourceKind.NODE))
    assert any(r[0] == NODE_A for r in cells(nodes))
