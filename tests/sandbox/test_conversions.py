"""Objects served at two versions: core/v1 Events read through events.k8s.io/v1 and back, and
HorizontalPodAutoscalers written as autoscaling/v1 and read as autoscaling/v2 (and the reverse, with the
round-trip annotations keeping what v1 cannot express). Checked with the converters themselves, every kubectl
binary and the Python client."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client, config

from kubegenie.sandbox import conversions
from tests.support import kubectl
from tests.support.sandbox import SandboxEnv
from tests.support.tables import ok

BINARIES = kubectl.params()
V2_HPA = "horizontalpodautoscalers.v2.autoscaling"
V1_HPA = "horizontalpodautoscalers.v1.autoscaling"
EVENTS_V1 = "events.v1.events.k8s.io"
BEHAVIOR = {"scaleDown": {"stabilizationWindowSeconds": 300, "selectPolicy": "Min",
                          "policies": [{"type": "Percent", "value": 50, "periodSeconds": 60}]}}


def v2_hpa(name: str) -> dict[str, Any]:
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": name},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                     "minReplicas": 2, "maxReplicas": 10, "behavior": BEHAVIOR, "metrics": [
                         {"type": "Resource", "resource": {"name": "cpu", "target": {
                             "type": "Utilization", "averageUtilization": 60}}},
                         {"type": "Resource", "resource": {"name": "memory", "target": {
                             "type": "AverageValue", "averageValue": "512Mi"}}},
                         {"type": "Pods", "pods": {"metric": {"name": "rps"}, "target": {
                             "type": "AverageValue", "averageValue": "100"}}}]}}


# --- the converters ---------------------------------------------------------------------------------------

def test_v2_hpa_reads_as_v1_with_round_trip_annotations() -> None:
    hpa = v2_hpa("web")
    hpa["status"] = {"currentReplicas": 3, "desiredReplicas": 4, "currentMetrics": [
        {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 75,
                                                                      "averageValue": "300m"}}}],
        "conditions": [{"type": "AbleToScale", "status": "True", "reason": "ReadyForNewScale",
                        "lastTransitionTime": "2024-01-01T00:00:00Z"}]}
    v1 = conversions.convert(hpa, "autoscaling/v1")
    assert v1["apiVersion"] == "autoscaling/v1"
    assert v1["spec"] == {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                          "minReplicas": 2, "maxReplicas": 10, "targetCPUUtilizationPercentage": 60}
    assert v1["status"] == {"currentReplicas": 3, "desiredReplicas": 4, "currentCPUUtilizationPercentage": 75}
    annotations = v1["metadata"]["annotations"]
    assert json.loads(annotations["autoscaling.alpha.kubernetes.io/metrics"]) == [
        {"type": "Resource", "resource": {"name": "memory", "targetAverageValue": "512Mi"}},
        {"type": "Pods", "pods": {"metricName": "rps", "targetAverageValue": "100"}}]
    assert json.loads(annotations["autoscaling.alpha.kubernetes.io/current-metrics"]) == [
        {"type": "Resource", "resource": {"name": "cpu", "currentAverageUtilization": 75,
                                          "currentAverageValue": "300m"}}]
    assert json.loads(annotations["autoscaling.alpha.kubernetes.io/behavior"]) == {"ScaleDown": {
        "StabilizationWindowSeconds": 300, "SelectPolicy": "Min",
        "Policies": [{"Type": "Percent", "Value": 50, "PeriodSeconds": 60}]}}
    assert json.loads(annotations["autoscaling.alpha.kubernetes.io/conditions"])[0]["reason"] == "ReadyForNewScale"
    assert "annotations" not in hpa["metadata"]  # the stored object is untouched

    back = conversions.convert(v1, "autoscaling/v2")
    assert back["spec"]["metrics"] == [hpa["spec"]["metrics"][1], hpa["spec"]["metrics"][2],
                                       hpa["spec"]["metrics"][0]]
    assert back["spec"]["behavior"] == BEHAVIOR
    assert back["status"]["currentMetrics"] == hpa["status"]["currentMetrics"]
    assert back["status"]["conditions"] == hpa["status"]["conditions"]
    assert "annotations" not in back["metadata"]


def test_v1_hpa_without_target_means_80_percent_cpu() -> None:
    v1 = {"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "h"},
          "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web"}, "maxReplicas": 3}}
    v2 = conversions.convert(v1, "autoscaling/v2")
    assert v2["spec"]["metrics"] == [{"type": "Resource", "resource": {
        "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]
    assert "status" not in v2


def test_events_convert_both_ways() -> None:
    core = {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "e", "namespace": "default"},
            "involvedObject": {"kind": "Pod", "name": "web", "namespace": "default"}, "reason": "Pulled",
            "message": "Container image already present", "type": "Normal", "count": 3,
            "source": {"component": "kubelet", "host": "node-1"}, "firstTimestamp": "2024-01-01T00:00:00Z",
            "lastTimestamp": "2024-01-01T00:05:00Z", "reportingComponent": "kubelet", "reportingInstance": "node-1"}
    new = conversions.convert(core, "events.k8s.io/v1")
    assert new["regarding"] == core["involvedObject"]
    assert [new["note"], new["reportingController"], new["reportingInstance"]] == [
        "Container image already present", "kubelet", "node-1"]
    assert [new["deprecatedCount"], new["deprecatedFirstTimestamp"], new["deprecatedSource"]] == [
        3, "2024-01-01T00:00:00Z", {"component": "kubelet", "host": "node-1"}]
    assert new["eventTime"] is None
    assert conversions.convert(new, "v1") == core


# --- over HTTP ---------------------------------------------------------------------------------------------

def get_json(sandbox: SandboxEnv, binary: kubectl.Kubectl, namespace: str, *args: str) -> Any:
    return json.loads(ok(sandbox, binary, "-n", namespace, "get", *args, "-o", "json"))


@pytest.mark.kubectl
@pytest.mark.parametrize("binary", BINARIES)
def test_kubectl_events_in_both_versions(sandbox: SandboxEnv, namespace: str, binary: kubectl.Kubectl) -> None:
    core = {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "web.core"},
            "involvedObject": {"apiVersion": "v1", "kind": "Pod", "name": "web", "namespace": namespace},
            "reason": "Pulling", "message": 'Pulling image "nginx"', "type": "Normal",
            "source": {"component": "kubelet", "host": "node-1"}, "count": 2,
            "firstTimestamp": "2024-01-01T00:00:00Z", "lastTimestamp": "2024-01-01T00:01:00Z",
            "reportingComponent": "kubelet", "reportingInstance": "node-1"}
    new = {"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "web.new"},
           "eventTime": "2024-01-01T00:02:00.000000Z", "reportingController": "default-scheduler",
           "reportingInstance": "default-scheduler-1", "action": "Binding", "reason": "Scheduled",
           "regarding": {"apiVersion": "v1", "kind": "Pod", "name": "web", "namespace": namespace},
           "note": f"Successfully assigned {namespace}/web to node-1", "type": "Normal"}
    ok(sandbox, binary, "-n", namespace, "create", "-f", "-", input=json.dumps(core))
    ok(sandbox, binary, "-n", namespace, "create", "-f", "-", input=json.dumps(new))

    seen_new = get_json(sandbox, binary, namespace, EVENTS_V1, "web.core")
    assert seen_new["apiVersion"] == "events.k8s.io/v1"
    assert seen_new["regarding"] == core["involvedObject"]
    assert [seen_new["note"], seen_new["reportingController"], seen_new["reportingInstance"]] == [
        'Pulling image "nginx"', "kubelet", "node-1"]
    assert [seen_new["deprecatedSource"], seen_new["deprecatedCount"]] == [core["source"], 2]

    seen_core = get_json(sandbox, binary, namespace, "events", "web.new")
    assert seen_core["apiVersion"] == "v1"
    assert seen_core["involvedObject"] == new["regarding"]
    assert [seen_core["message"], seen_core["reportingComponent"], seen_core["reportingInstance"]] == [
        new["note"], "default-scheduler", "default-scheduler-1"]
    assert [seen_core["eventTime"], seen_core["action"]] == ["2024-01-01T00:02:00.000000Z", "Binding"]

    both = get_json(sandbox, binary, namespace, EVENTS_V1)
    assert sorted(item["metadata"]["name"] for item in both["items"]) == ["web.core", "web.new"]
    assert {item["apiVersion"] for item in both["items"]} == {"events.k8s.io/v1"}


@pytest.mark.kubectl
@pytest.mark.parametrize("binary", BINARIES)
def test_kubectl_hpa_in_both_versions(sandbox: SandboxEnv, namespace: str, binary: kubectl.Kubectl) -> None:
    v1 = {"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "legacy"},
          "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                   "minReplicas": 1, "maxReplicas": 5, "targetCPUUtilizationPercentage": 70}}
    ok(sandbox, binary, "-n", namespace, "create", "-f", "-", input=json.dumps(v1))
    ok(sandbox, binary, "-n", namespace, "create", "-f", "-", input=json.dumps(v2_hpa("modern")))

    legacy = get_json(sandbox, binary, namespace, V2_HPA, "legacy")
    assert legacy["apiVersion"] == "autoscaling/v2"
    assert legacy["spec"]["metrics"] == [{"type": "Resource", "resource": {
        "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}]

    modern = get_json(sandbox, binary, namespace, V1_HPA, "modern")
    assert modern["apiVersion"] == "autoscaling/v1"
    assert modern["spec"]["targetCPUUtilizationPercentage"] == 60
    assert "autoscaling.alpha.kubernetes.io/metrics" in modern["metadata"]["annotations"]
    assert modern["status"] == {"currentReplicas": 0, "desiredReplicas": 0}

    # A v1 client that writes back what it read keeps the metrics only v2 can express.
    modern["spec"]["maxReplicas"] = 12
    ok(sandbox, binary, "-n", namespace, "replace", "-f", "-", input=json.dumps(modern))
    stored = get_json(sandbox, binary, namespace, V2_HPA, "modern")
    assert stored["spec"]["maxReplicas"] == 12
    assert [m["resource"]["name"] if m["type"] == "Resource" else m["pods"]["metric"]["name"]
            for m in stored["spec"]["metrics"]] == ["memory", "rps", "cpu"]
    assert stored["spec"]["behavior"] == BEHAVIOR
    assert "annotations" not in stored["metadata"]

    unknown = {**v1, "metadata": {"name": "typo"}, "spec": {**v1["spec"], "targetCPU": 5}}
    rejected = binary.run(sandbox.kubeconfig, sandbox.cache_dir, "-n", namespace, "create", "-f", "-",
                          input=json.dumps(unknown))
    assert rejected.returncode == 1
    assert 'unknown field "spec.targetCPU"' in rejected.stderr


@pytest.fixture
def api_client(sandbox: SandboxEnv) -> Iterator[client.ApiClient]:
    api = config.new_client_from_config(config_file=str(sandbox.kubeconfig))
    yield api
    api.close()


def test_python_client_reads_both_versions(api_client: client.ApiClient, namespace: str) -> None:
    v1 = client.AutoscalingV1Api(api_client)
    v2 = client.AutoscalingV2Api(api_client)
    v1.create_namespaced_horizontal_pod_autoscaler(namespace, {
        "apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "web"},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                 "maxReplicas": 4, "targetCPUUtilizationPercentage": 55}})
    read = v2.read_namespaced_horizontal_pod_autoscaler("web", namespace)
    assert read.spec.metrics[0].resource.name == "cpu"
    assert read.spec.metrics[0].resource.target.average_utilization == 55
    v2.create_namespaced_horizontal_pod_autoscaler(namespace, v2_hpa("web2"))
    as_v1 = v1.read_namespaced_horizontal_pod_autoscaler("web2", namespace)
    assert as_v1.spec.target_cpu_utilization_percentage == 60
    assert as_v1.status.current_replicas == 0

    core = client.CoreV1Api(api_client)
    events = client.EventsV1Api(api_client)
    events.create_namespaced_event(namespace, {
        "apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "web.1"},
        "eventTime": "2024-01-01T00:00:00.000000Z", "reportingController": "kubelet",
        "reportingInstance": "node-1", "action": "Pulling", "reason": "Pulling", "type": "Normal",
        "regarding": {"apiVersion": "v1", "kind": "Pod", "name": "web", "namespace": namespace},
        "note": 'Pulling image "nginx"'})
    listed = core.list_namespaced_event(namespace, field_selector="involvedObject.name=web")
    assert [(e.reason, e.message, e.reporting_component) for e in listed.items] == [
        ("Pulling", 'Pulling image "nginx"', "kubelet")]
    read_back = events.read_namespaced_event("web.1", namespace)
    assert (read_back.note, read_back.regarding.name, read_back.reporting_controller) == (
        'Pulling image "nginx"', "web", "kubelet")
