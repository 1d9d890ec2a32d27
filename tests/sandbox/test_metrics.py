"""metrics.k8s.io for `kubectl top` on every kubectl: pod usage from the sim annotations or a share of the
requests, node usage as its pods plus system overhead, single objects as PodMetrics/NodeMetrics, and pods
or nodes without samples left out."""

from __future__ import annotations

import subprocess
from decimal import Decimal

import pytest

from kubegenie.domain import quantity
from tests.support import kubectl, kubelet, rawapi
from tests.support.sandbox import SandboxEnv, unique_name

CPU, MEMORY = "sim.kubegenie.io/cpu", "sim.kubegenie.io/memory"
METRICS = "/apis/metrics.k8s.io/v1beta1"


def run(sandbox: SandboxEnv, binary: kubectl.Kubectl, *args: str) -> subprocess.CompletedProcess[str]:
    return binary.run(sandbox.kubeconfig, sandbox.cache_dir, *args)


def rows(output: str) -> list[list[str]]:
    return [line.split() for line in output.splitlines()]


def populate(sandbox: SandboxEnv, namespace: str, node: str) -> None:
    kubelet.run_pod(sandbox, namespace, "web-1", node=node, labels={"app": "web"},
                    annotations={CPU: "250m", MEMORY: "300Mi"})
    kubelet.run_pod(sandbox, namespace, "web-2", node=node, labels={"app": "web"},
                    containers=[{"name": "app", "image": "nginx:1.27",
                                 "resources": {"requests": {"cpu": "200m", "memory": "256Mi"}}},
                                {"name": "sidecar", "image": "busybox:1.36"}],
                    annotations={})
    kubelet.run_pod(sandbox, namespace, "batch", node=node, labels={"app": "batch"},
                    annotations={CPU: "1", MEMORY: "1Gi"})
    kubelet.run_pod(sandbox, namespace, "waiting", node=node, labels={"app": "web"}, phase="Pending")


@pytest.mark.kubectl
@pytest.mark.parametrize("binary", kubectl.params())
def test_kubectl_top_pods(sandbox: SandboxEnv, namespace: str, binary: kubectl.Kubectl) -> None:
    populate(sandbox, namespace, unique_name("top-node"))
    listed = run(sandbox, binary, "top", "pods", "-n", namespace)
    assert listed.returncode == 0, listed.stderr
    # web-2: half of 200m requested; 60% of 256Mi, plus 1Mi for the idle busybox sidecar.
    assert rows(listed.stdout) == [["NAME", "CPU(cores)", "MEMORY(bytes)"], ["batch", "1000m", "1024Mi"],
                                   ["web-1", "250m", "300Mi"], ["web-2", "100m", "154Mi"]]
    selected = run(sandbox, binary, "top", "pods", "-n", namespace, "-l", "app=web", "--containers")
    assert rows(selected.stdout) == [["POD", "NAME", "CPU(cores)", "MEMORY(bytes)"],
                                     ["web-1", "app", "250m", "300Mi"], ["web-2", "app", "100m", "153Mi"],
                                     ["web-2", "sidecar", "0m", "1Mi"]]
    everywhere = run(sandbox, binary, "top", "pods", "-A", "-l", "app=batch")
    assert [row for row in rows(everywhere.stdout) if row[0] in ("NAMESPACE", namespace)] == [
        ["NAMESPACE", "NAME", "CPU(cores)", "MEMORY(bytes)"], [namespace, "batch", "1000m", "1024Mi"]]
    single = run(sandbox, binary, "top", "pod", "web-1", "-n", namespace)
    assert rows(single.stdout) == [["NAME", "CPU(cores)", "MEMORY(bytes)"], ["web-1", "250m", "300Mi"]]
    pending = run(sandbox, binary, "top", "pod", "waiting", "-n", namespace)
    assert pending.returncode == 1
    assert f'podmetrics.metrics.k8s.io "{namespace}/waiting" not found' in pending.stderr


@pytest.mark.kubectl
@pytest.mark.parametrize("binary", kubectl.params())
def test_kubectl_top_nodes(sandbox: SandboxEnv, namespace: str, binary: kubectl.Kubectl) -> None:
    busy, down = unique_name("top-busy"), unique_name("top-down")
    kubelet.add_node(sandbox, busy, cpu="4", memory="16Gi", labels={"pool": namespace})
    kubelet.add_node(sandbox, down, ready=False, labels={"pool": namespace})
    kubelet.run_pod(sandbox, namespace, "heavy", node=busy, annotations={CPU: "1800m", MEMORY: "2Gi"})
    result = run(sandbox, binary, "top", "nodes", "-l", f"pool={namespace}")
    assert result.returncode == 0, result.stderr
    table = rows(result.stdout)
    # kubectl 1.32 renamed the percentage headers to CPU(%) and MEMORY(%).
    assert table[0] in (["NAME", "CPU(cores)", "CPU%", "MEMORY(bytes)", "MEMORY%"],
                        ["NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)"])
    by_name = {row[0]: row[1:] for row in table[1:]}
    # 1800m of pods plus 3% of 4 cores for the system; 2Gi plus 6% of 16Gi.
    assert by_name[busy] == ["1920m", "48%", "3031Mi", "18%"]
    assert by_name[down] == ["<unknown>"] * 4
    one = run(sandbox, binary, "top", "node", busy)
    assert rows(one.stdout)[1] == [busy, "1920m", "48%", "3031Mi", "18%"]


async def test_single_objects_and_lists_have_their_kinds(sandbox: SandboxEnv, namespace: str) -> None:
    populate(sandbox, namespace, unique_name("kind-node"))
    single = await rawapi.call(sandbox, "GET", f"{METRICS}/namespaces/{namespace}/pods/web-1",
                               headers={"Accept": "application/vnd.kubernetes.protobuf, */*"})
    assert single.status == 200
    body = single.json()
    assert (body["kind"], body["apiVersion"]) == ("PodMetrics", "metrics.k8s.io/v1beta1")
    assert body["metadata"]["name"] == "web-1" and body["metadata"]["labels"] == {"app": "web"}
    assert body["window"] == "15s"
    assert body["containers"] == [{"name": "app", "usage": {"cpu": "250000000n", "memory": "307200Ki"}}]
    listed = (await rawapi.call(sandbox, "GET", f"{METRICS}/namespaces/{namespace}/pods",
                                params={"labelSelector": "app in (web,batch),app!=batch"})).json()
    assert listed["kind"] == "PodMetricsList"
    assert [item["metadata"]["name"] for item in listed["items"]] == ["web-1", "web-2"]
    by_field = (await rawapi.call(sandbox, "GET", f"{METRICS}/pods",
                                  params={"fieldSelector": f"metadata.namespace={namespace},metadata.name=batch"})
                ).json()
    assert [item["metadata"]["name"] for item in by_field["items"]] == ["batch"]
    missing = await rawapi.call(sandbox, "GET", f"{METRICS}/namespaces/{namespace}/pods/ghost")
    assert (missing.status, missing.json()["message"]) == (
        404, f'podmetrics.metrics.k8s.io "{namespace}/ghost" not found')
    no_node = await rawapi.call(sandbox, "GET", f"{METRICS}/nodes/ghost-node")
    assert (no_node.status, no_node.json()["message"]) == (404, 'nodemetrics.metrics.k8s.io "ghost-node" not found')


async def test_node_usage_is_its_pods_plus_overhead(sandbox: SandboxEnv, namespace: str) -> None:
    busy, idle = unique_name("sum-busy"), unique_name("sum-idle")
    for node in (busy, idle):
        kubelet.add_node(sandbox, node, cpu="8", memory="32Gi")
    populate(sandbox, namespace, busy)

    async def usage(path: str) -> tuple[Decimal, Decimal]:
        reply = await rawapi.call(sandbox, "GET", path)
        assert reply.status == 200, reply.text
        body = reply.json()
        if "usage" in body:
            return quantity.parse(body["usage"]["cpu"]), quantity.parse(body["usage"]["memory"])
        cpu = sum((quantity.parse(c["usage"]["cpu"]) for c in body["containers"]), Decimal(0))
        memory = sum((quantity.parse(c["usage"]["memory"]) for c in body["containers"]), Decimal(0))
        return cpu, memory

    busy_cpu, busy_memory = await usage(f"{METRICS}/nodes/{busy}")
    idle_cpu, idle_memory = await usage(f"{METRICS}/nodes/{idle}")
    pods = [await usage(f"{METRICS}/namespaces/{namespace}/pods/{name}") for name in ("web-1", "web-2", "batch")]
    assert idle_cpu > 0 and idle_memory > 0
    assert busy_cpu - idle_cpu == sum(cpu for cpu, _ in pods)
    # Memory is rounded up to whole KiB per container and per node.
    assert abs(busy_memory - idle_memory - sum(memory for _, memory in pods)) <= 4 * 1024


async def test_metrics_are_read_only(sandbox: SandboxEnv) -> None:
    reply = await rawapi.call(sandbox, "POST", f"{METRICS}/namespaces/default/pods",
                              {"kind": "PodMetrics", "apiVersion": "metrics.k8s.io/v1beta1",
                               "metadata": {"name": "x"}})
    assert (reply.status, reply.json()["reason"]) == (405, "MethodNotAllowed")
    watch = await rawapi.call(sandbox, "GET", f"{METRICS}/pods", params={"watch": "true"})
    assert watch.status == 405


async def test_pods_on_a_node_that_is_down_have_no_metrics(sandbox: SandboxEnv, namespace: str) -> None:
    down = unique_name("down-node")
    kubelet.add_node(sandbox, down, ready=False)
    kubelet.run_pod(sandbox, namespace, "stranded", node=down, annotations={CPU: "100m"})
    reply = await rawapi.call(sandbox, "GET", f"{METRICS}/namespaces/{namespace}/pods/stranded")
    assert reply.status == 404
    listed = (await rawapi.call(sandbox, "GET", f"{METRICS}/namespaces/{namespace}/pods")).json()
    assert listed["items"] == []
    node = await rawapi.call(sandbox, "GET", f"{METRICS}/nodes/{down}")
    assert (node.status, node.json()["message"]) == (404, f'nodemetrics.metrics.k8s.io "{down}" not found')
