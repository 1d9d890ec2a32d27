"""The demo scenario through kubectl: the promised nodes, namespaces and system pods, and, after some
simulated time, each failure it declares, shown as a real cluster shows it, while healthy workloads run."""

from __future__ import annotations

import re
from typing import Any

import pytest

from kubegenie.sandbox.scenarios import loader
from tests.support import kubectl as kubectl_support
from tests.support.scenario import ScenarioEnv

WORKLOAD_KINDS = ("deployments", "statefulsets", "daemonsets", "jobs", "cronjobs")


def _pods(demo: ScenarioEnv, namespace: str, name_prefix: str) -> list[dict[str, Any]]:
    return [pod for pod in demo.get_json("pods", "-n", namespace)["items"]
            if pod["metadata"]["name"].startswith(name_prefix)]


def _container_status(pod: dict[str, Any]) -> dict[str, Any]:
    statuses: list[dict[str, Any]] = pod.get("status", {}).get("containerStatuses") or [{}]
    return statuses[0]


def test_nodes_have_instance_types_zones_spot_gpu_and_a_not_ready_node(demo: ScenarioEnv) -> None:
    nodes = demo.get_json("nodes")["items"]
    assert len(nodes) >= 8
    labels = [node["metadata"]["labels"] for node in nodes]
    assert len({label["node.kubernetes.io/instance-type"] for label in labels}) >= 2
    assert {label["topology.kubernetes.io/zone"] for label in labels} >= {"us-east-1a", "us-east-1b", "us-east-1c"}
    assert any(label.get("karpenter.sh/capacity-type") == "spot" for label in labels)
    gpu = [node for node in nodes if node["metadata"]["labels"]["node.kubernetes.io/instance-type"] == "g4dn.xlarge"]
    assert gpu and gpu[0]["spec"]["taints"] == [{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}]
    assert gpu[0]["status"]["capacity"]["nvidia.com/gpu"] == "1"
    for node in nodes:
        price = float(node["metadata"]["annotations"]["sim.kubegenie.io/hourly-price"])
        assert 0.01 < price < 1.0
    m5 = next(node for node in nodes if node["metadata"]["labels"]["node.kubernetes.io/instance-type"] == "m5.xlarge")
    assert m5["metadata"]["annotations"]["sim.kubegenie.io/hourly-price"] == "0.192"
    table = demo.ok("get", "nodes")
    assert re.search(r"^ip-10-0-17-41\.ec2\.internal\s+NotReady\s", table, re.MULTILINE), table
    assert len(re.findall(r"\sReady\s", table)) == len(nodes) - 1


def test_namespaces_system_pods_and_workload_count(demo: ScenarioEnv) -> None:
    namespaces = {ns["metadata"]["name"] for ns in demo.get_json("namespaces")["items"]}
    assert namespaces >= {"shop", "payments", "data", "monitoring", "kube-system", "legacy-reports"}
    system = demo.ok("get", "pods", "-n", "kube-system")
    for component in ("coredns-", "kube-proxy-", "aws-node-", "ebs-csi-node-", "ebs-csi-controller-",
                      "metrics-server-"):
        assert re.search(rf"^{component}\S+\s+\d/\d\s+Running\s", system, re.MULTILINE), component
    workloads = sum(len(demo.get_json(kind, "-A")["items"]) for kind in WORKLOAD_KINDS)
    assert workloads >= 40


def test_healthy_workloads_outnumber_broken_ones_and_are_days_old(demo: ScenarioEnv) -> None:
    deployments = [d for d in demo.get_json("deployments", "-A")["items"] if d["spec"].get("replicas", 1) > 0]
    healthy = [d for d in deployments if d.get("status", {}).get("availableReplicas") == d["spec"].get("replicas", 1)]
    # Leaking workloads are briefly unavailable after each OOM kill, so the margin leaves room for a few of them.
    assert len(healthy) > 1.5 * (len(deployments) - len(healthy)), [d["metadata"]["name"] for d in deployments
                                                                    if d not in healthy]
    pods = demo.ok("get", "pods", "-n", "payments")
    assert re.search(r"^payments-api-\S+\s+1/1\s+Running\s+0\s+\d+d\s*$", pods, re.MULTILINE), pods


def test_crash_loop_with_exit_code_and_back_off_events(demo: ScenarioEnv) -> None:
    def crashing() -> str | None:
        table = demo.ok("get", "pods", "-n", "payments", "-l", "app.kubernetes.io/name=payment-gateway")
        match = re.search(r"^(payment-gateway-\S+)\s+0/1\s+CrashLoopBackOff\s+(\d+)", table, re.MULTILINE)
        return match.group(1) if match and int(match.group(2)) >= 2 else None

    name = demo.wait("payment-gateway in CrashLoopBackOff with 2 restarts", crashing, 180)
    described = demo.ok("describe", "pod", "-n", "payments", name)
    assert re.search(r"Last State:\s+Terminated\n\s+Reason:\s+Error\n\s+Exit Code:\s+1\n", described), described
    assert "Back-off restarting failed container gateway" in described
    previous = demo.ok("logs", "-n", "payments", name, "--previous")
    assert "failed to load configuration" in previous.splitlines()[-1]


def test_progress_deadline_exceeded(demo: ScenarioEnv) -> None:
    def exceeded() -> dict[str, Any] | None:
        deployment = demo.get_json("deployment", "-n", "payments", "payment-gateway")
        return next((c for c in deployment["status"].get("conditions", [])
                     if c["type"] == "Progressing" and c["reason"] == "ProgressDeadlineExceeded"), None)

    condition = demo.wait("ProgressDeadlineExceeded", exceeded, 400)
    assert condition["status"] == "False"
    assert 'has timed out progressing' in condition["message"]


def test_image_pull_back_off(demo: ScenarioEnv) -> None:
    def pulling() -> str | None:
        table = demo.ok("get", "pods", "-n", "shop", "-l", "track=canary")
        return table if re.search(r"checkout-v2-\S+\s+0/1\s+(ImagePullBackOff|ErrImagePull)\s", table) else None

    demo.wait("checkout-v2 in ImagePullBackOff", pulling, 120)
    events = demo.ok("get", "events", "-n", "shop", "--field-selector", "reason=Failed")
    assert 'Failed to pull image "ghcr.io/acme/checkout-python:does-not-exist"' in events


def test_unschedulable_pods_show_failed_scheduling(demo: ScenarioEnv) -> None:
    def pending() -> str | None:
        events = demo.ok("get", "events", "-n", "shop", "--field-selector", "reason=FailedScheduling")
        return events if "recommendation-engine" in events else None

    events = demo.wait("FailedScheduling for recommendation-engine", pending, 60)
    assert "0/9 nodes are available:" in events
    assert "Insufficient cpu" in events
    assert "1 node(s) had untolerated taint {nvidia.com/gpu: true}" in events
    pod = _pods(demo, "shop", "recommendation-engine")[0]
    assert pod["status"]["phase"] == "Pending"
    selector = demo.ok("get", "events", "-n", "data", "--field-selector", "reason=FailedScheduling")
    assert "didn't match Pod's node affinity/selector" in selector
    gated = _pods(demo, "data", "batch-import")[0]
    assert gated["spec"]["schedulingGates"] == [{"name": "example.com/quota-approval"}]
    assert gated["status"]["phase"] == "Pending" and not gated["spec"].get("nodeName")


def test_oom_killed_container(demo: ScenarioEnv) -> None:
    def killed() -> dict[str, Any] | None:
        pods = _pods(demo, "payments", "payouts-worker")
        last = _container_status(pods[0]).get("lastState", {}).get("terminated") if pods else None
        return last if last and last.get("reason") == "OOMKilled" else None

    terminated = demo.wait("payouts-worker OOMKilled", killed, 120)
    assert terminated["exitCode"] == 137


def test_readiness_failure_leaves_service_with_not_ready_endpoints(demo: ScenarioEnv) -> None:
    def unhealthy() -> str | None:
        events = demo.ok("get", "events", "-n", "shop", "--field-selector", "reason=Unhealthy")
        return events if "Readiness probe failed" in events else None

    def both_running_unready() -> str | None:
        pods = demo.ok("get", "pods", "-n", "shop", "-l", "app.kubernetes.io/name=search-api")
        return pods if len(re.findall(r"search-api-\S+\s+0/1\s+Running\s", pods)) == 2 else None

    demo.wait("Unhealthy events for search-api", unhealthy, 120)
    demo.wait("both search-api pods running, neither ready", both_running_unready, 120)

    def not_ready_addresses() -> list[Any] | None:
        subsets = demo.get_json("endpoints", "-n", "shop", "search-api").get("subsets") or []
        return subsets if sum(len(s.get("notReadyAddresses", [])) for s in subsets) == 2 else None

    subsets = demo.wait("two not-ready addresses behind search-api", not_ready_addresses, 30)
    assert not any(s.get("addresses") for s in subsets)


def test_service_without_endpoints_and_idle_load_balancer(demo: ScenarioEnv) -> None:
    table = demo.ok("get", "endpoints", "-n", "shop", "legacy-catalog")
    assert re.search(r"^legacy-catalog\s+<none>\s", table, re.MULTILINE), table
    payments = demo.get_json("service", "-n", "payments", "payments-public")
    assert payments["spec"]["type"] == "LoadBalancer"
    assert not (demo.get_json("endpoints", "-n", "payments", "payments-public").get("subsets"))


def test_not_ready_node_and_evicted_pod(demo: ScenarioEnv) -> None:
    node = demo.get_json("node", "ip-10-0-17-41.ec2.internal")
    ready = next(c for c in node["status"]["conditions"] if c["type"] == "Ready")
    assert ready["status"] == "False" and ready["reason"] == "KubeletNotReady"
    pods = demo.ok("get", "pods", "-n", "shop", "legacy-reports-worker-7d9f8-x2kqp")
    assert re.search(r"legacy-reports-worker-7d9f8-x2kqp\s+0/1\s+Evicted\s", pods), pods


def test_pending_claim_with_provisioning_failed(demo: ScenarioEnv) -> None:
    def failed() -> str | None:
        events = demo.ok("get", "events", "-n", "data", "--field-selector", "reason=ProvisioningFailed")
        return events if "reports-archive" in events and "data-kafka-0" in events else None

    events = demo.wait("ProvisioningFailed events", failed, 60)
    assert 'storageclass.storage.k8s.io "standard-rwx" not found' in events
    assert 'storageclass.storage.k8s.io "fast-ssd" not found' in events
    claims = demo.ok("get", "pvc", "-n", "data", "reports-archive")
    assert re.search(r"reports-archive\s+Pending\s", claims), claims
    volumes = demo.ok("get", "pv")
    assert re.search(r"^pv-released-reporting\s+200Gi\s+RWO\s+Retain\s+Released\s", volumes, re.MULTILINE), volumes
    assert re.search(r"^pv-orphaned-analytics\s+500Gi\s+RWO\s+Retain\s+Available\s", volumes, re.MULTILINE), volumes


def test_failed_job_and_broken_cron_jobs(demo: ScenarioEnv) -> None:
    def failed() -> dict[str, Any] | None:
        job = demo.get_json("job", "-n", "data", "nightly-backfill")
        return next((c for c in job["status"].get("conditions", []) if c["type"] == "Failed"), None)

    condition = demo.wait("nightly-backfill to fail", failed, 300)
    assert condition["reason"] == "BackoffLimitExceeded"
    assert demo.get_json("job", "-n", "data", "reindex-catalog")["spec"]["suspend"] is True

    def unparseable() -> str | None:
        events = demo.ok("get", "events", "-n", "data", "--field-selector", "involvedObject.name=cleanup-temp")
        return events if "UnparseableSchedule" in events else None

    events = demo.wait("the invalid schedule warning", unparseable, 60)
    assert 'unparseable schedule: "0 25 * * *"' in events
    assert not [job for job in demo.get_json("jobs", "-n", "data")["items"]
                if job["metadata"]["name"].startswith("cleanup-temp")]


def test_security_and_cost_problems_are_in_the_objects(demo: ScenarioEnv) -> None:
    binding = demo.get_json("clusterrolebinding", "ci-deployer-admin")
    assert binding["roleRef"]["name"] == "cluster-admin"
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "ci-deployer", "namespace": "default"}]
    config = demo.get_json("configmap", "-n", "payments", "payment-config")
    assert "DB_PASSWORD" in config["data"] and "AWS_SECRET_ACCESS_KEY" in config["data"]
    collector = demo.get_json("daemonset", "-n", "monitoring", "log-collector")["spec"]["template"]["spec"]
    assert collector["containers"][0]["securityContext"]["privileged"] is True
    assert any("hostPath" in volume for volume in collector["volumes"])
    catalog = demo.get_json("deployment", "-n", "shop", "catalog-api")["spec"]["template"]
    assert catalog["spec"]["containers"][0]["resources"]["requests"] == {"cpu": "2", "memory": "4Gi"}
    assert catalog["metadata"]["annotations"]["sim.kubegenie.io/cpu"] == "60m"


def test_every_declared_problem_names_an_object(demo: ScenarioEnv) -> None:
    scenario = loader.load("demo")
    kinds = {"Deployment": "deployment", "StatefulSet": "statefulset", "DaemonSet": "daemonset", "Job": "job",
             "CronJob": "cronjob", "Service": "service", "Ingress": "ingress", "PersistentVolumeClaim": "pvc",
             "PersistentVolume": "pv", "Node": "node", "Namespace": "namespace", "ConfigMap": "configmap",
             "ClusterRoleBinding": "clusterrolebinding", "HorizontalPodAutoscaler": "hpa", "Pod": "pod",
             "ValidatingWebhookConfiguration": "validatingwebhookconfiguration",
             "MutatingWebhookConfiguration": "mutatingwebhookconfiguration"}
    assert len(scenario.problems) >= 30
    for problem in scenario.problems:
        args = ["get", kinds[problem.kind], problem.name, "-o", "name"]
        if problem.namespace:
            args += ["-n", problem.namespace]
        result = demo.kubectl(*args)
        assert result.returncode == 0, f"{problem.kind} {problem.namespace}/{problem.name}: {result.stderr}"
    categories = {problem.category for problem in scenario.problems}
    assert categories == {"failure", "security", "cost", "usage"}


@pytest.mark.kubectl
@pytest.mark.parametrize("binary", kubectl_support.params())
def test_every_kubectl_lists_the_demo(demo: ScenarioEnv, binary: kubectl_support.Kubectl) -> None:
    result = binary.run(demo.kubeconfig, demo.cache_dir, "get", "pods", "-A", "-o", "wide")
    assert result.returncode == 0, result.stderr
    assert re.search(r"^kube-system\s+coredns-\S+\s+1/1\s+Running\s", result.stdout, re.MULTILINE)
    assert re.search(r"^shop\s+storefront-\S+\s+1/1\s+Running\s", result.stdout, re.MULTILINE)
