"""`GET /metrics`: valid Prometheus text under cAdvisor's and kube-state-metrics' names and label sets, with
values that match the cluster's objects and a CPU counter that grows with the usage curve."""

from __future__ import annotations

import concurrent.futures
import time
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from kubegenie.sandbox.telemetry import series
from kubegenie.sandbox.telemetry.ksm_pods import quantity_value
from tests.support.scenario import ScenarioEnv

REQUIRED = ("container_cpu_usage_seconds", "container_memory_working_set_bytes", "kube_pod_info",
            "kube_pod_status_phase", "kube_pod_container_status_restarts", "kube_pod_container_status_waiting_reason",
            "kube_pod_container_resource_requests", "kube_pod_container_resource_limits", "kube_node_info",
            "kube_node_labels", "kube_node_status_condition", "kube_node_status_allocatable",
            "kube_deployment_status_replicas_available", "kube_persistentvolumeclaim_info",
            "kube_persistentvolume_status_phase", "kube_service_spec_type", "kube_job_status_failed",
            "kube_cronjob_info", "kube_horizontalpodautoscaler_status_current_replicas", "kube_namespace_status_phase")


def _scrape(env: ScenarioEnv) -> dict[str, list[tuple[dict[str, str], float]]]:
    text = env.http("/metrics").decode()
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append((dict(sample.labels), sample.value))
        found.setdefault(family.name, [])
    return found


def test_families_and_label_sets(shop: ScenarioEnv) -> None:
    metrics = _scrape(shop)
    for name in REQUIRED:
        assert name in metrics, name
    info = metrics["kube_pod_info"][0][0]
    assert set(info) == {"namespace", "pod", "uid", "host_ip", "pod_ip", "node", "created_by_kind",
                         "created_by_name", "priority_class", "host_network"}
    requests = metrics["kube_pod_container_resource_requests"][0][0]
    assert set(requests) == {"namespace", "pod", "uid", "container", "node", "resource", "unit"}
    cpu = metrics["container_cpu_usage_seconds_total"][0][0]
    assert set(cpu) == {"container", "id", "image", "name", "namespace", "node", "pod"}
    assert cpu["id"].startswith("/kubepods/") and cpu["id"].endswith(cpu["name"])


def test_values_match_the_objects(shop: ScenarioEnv) -> None:
    def crash_looping() -> bool:
        pods = shop.get_json("pods", "-n", "payments", "-l", "app.kubernetes.io/name=payment-gateway")["items"]
        return any(p["status"]["containerStatuses"][0]["restartCount"] >= 1 for p in pods)

    shop.wait("payment-gateway to restart", crash_looping, 120)
    metrics = _scrape(shop)
    pods = shop.get_json("pods", "-n", "payments", "-l", "app.kubernetes.io/name=payment-gateway")["items"]
    restarts = {labels["pod"]: value for labels, value in metrics["kube_pod_container_status_restarts_total"]}
    for pod in pods:
        assert restarts[pod["metadata"]["name"]] <= pod["status"]["containerStatuses"][0]["restartCount"] + 1
        assert restarts[pod["metadata"]["name"]] >= pod["status"]["containerStatuses"][0]["restartCount"] - 1
    ready = {(labels["node"], labels["condition"], labels["status"]): v
             for labels, v in metrics["kube_node_status_condition"]}
    assert ready[("ip-10-0-17-41.ec2.internal", "Ready", "false")] == 1
    allocatable = [(labels, v) for labels, v in metrics["kube_node_status_allocatable"] if labels["resource"] == "cpu"]
    assert {v for _, v in allocatable} >= {3.92, 7.91}
    available = {labels["deployment"]: v for labels, v in metrics["kube_deployment_status_replicas_available"]
                 if labels["namespace"] == "shop"}
    assert available["catalog-api"] == 3
    claims = {labels["persistentvolumeclaim"]: labels["storageclass"]
              for labels, _ in metrics["kube_persistentvolumeclaim_info"]}
    assert claims["reports-archive"] == "standard-rwx"
    released = {labels["persistentvolume"] for labels, v in metrics["kube_persistentvolume_status_phase"]
                if labels["phase"] == "Released" and v == 1}
    assert released == {"pv-released-reporting"}
    types = {labels["service"]: labels["type"] for labels, _ in metrics["kube_service_spec_type"]
             if labels["namespace"] == "payments"}
    assert types["payments-public"] == "LoadBalancer"
    catalog = [(labels, v) for labels, v in metrics["kube_pod_container_resource_requests"]
               if labels["pod"].startswith("catalog-api-") and labels["resource"] == "cpu"]
    assert len(catalog) == 3 and all(v == 2.0 and labels["unit"] == "core" for labels, v in catalog)


def test_cpu_counter_grows_with_the_usage_curve(shop: ScenarioEnv) -> None:
    def counters() -> dict[str, float]:
        return {labels["pod"]: v for labels, v in _scrape(shop)["container_cpu_usage_seconds_total"]
                if labels["namespace"] == "shop" and labels["pod"].startswith("catalog-api-")}

    first, at = counters(), shop.now()
    time.sleep(3)
    second, later = counters(), shop.now()
    for pod, value in first.items():
        spec = series.SeriesSpec(series.series_key(11, "shop", pod, "api"), "diurnal", 60.0, 0.0, 2000.0, None)
        expected = series.cpu_seconds(spec, at, later)
        assert second[pod] - value == pytest.approx(expected, rel=0.1, abs=0.01)
        assert second[pod] > value


def test_a_scrape_streams_while_the_api_keeps_answering(shop: ScenarioEnv) -> None:
    def scrape() -> tuple[str | None, bytes]:
        with urllib.request.urlopen(shop.url + "/metrics", timeout=60) as response:
            return response.headers.get("Transfer-Encoding"), response.read()

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        scrapes = [pool.submit(scrape) for _ in range(2)]
        versions = [pool.submit(shop.http, "/version") for _ in range(4)]
        assert all(b'"gitVersion"' in version.result() for version in versions)
        for done in scrapes:
            encoding, body = done.result()
            assert encoding == "chunked"
            families = [family.name for family in text_string_to_metric_families(body.decode())]
            assert families[0].startswith("container_") and families[-1] == "kubegenie_sandbox_scrape_duration_seconds"
            assert len(families) == len(set(families)) > 50


def test_quantities_that_are_missing_or_malformed_give_no_sample_rather_than_a_failed_scrape() -> None:
    assert quantity_value("1Gi") == 2**30 and quantity_value("250m") == 0.25 and quantity_value(3) == 3.0
    assert [quantity_value(value) for value in (None, {}, [], "lots", True)] == [None] * 5
