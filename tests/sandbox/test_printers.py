"""Cell logic of the server-side printers, checked on Table objects built in-process: pod status reasons,
restarts, services, endpoints, HPA targets, jobs, nodes, events, quotas, and columns that depend on the
cluster's Kubernetes version."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from kubegenie.domain.durations import rfc3339
from kubegenie.sandbox.cluster import Cluster
from kubegenie.sandbox.printers import build_table


@pytest.fixture(scope="module")
def cluster() -> Cluster:
    return Cluster()


def ago(cluster: Cluster, seconds: int) -> str:
    return rfc3339(cluster.clock.now() - timedelta(seconds=seconds))


Rows = list[list[Any]]


def table(cluster: Cluster, api_version: str, plural: str, *objects: dict[str, Any]) -> tuple[list[str], Rows]:
    group, _, version = api_version.rpartition("/")
    rtype = cluster.registry.lookup(group, version, plural)
    assert rtype is not None
    built = build_table(cluster, rtype, list(objects))
    return [c["name"] for c in built["columnDefinitions"]], [row["cells"] for row in built["rows"]]


def pod(cluster: Cluster, status: dict[str, Any], spec: dict[str, Any] | None = None,
        **meta: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "namespace": "default", "creationTimestamp": ago(cluster, 600), **meta},
            "spec": spec or {"containers": [{"name": "app", "image": "nginx"}]}, "status": status}


def running(name: str, ready: bool = True, restarts: int = 0, finished: str | None = None) -> dict[str, Any]:
    status: dict[str, Any] = {"name": name, "ready": ready, "restartCount": restarts, "state": {"running": {}}}
    if finished:
        status["lastState"] = {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": finished}}
    return status


def pod_cells(cluster: Cluster, obj: dict[str, Any]) -> list[Any]:
    return table(cluster, "v1", "pods", obj)[1][0]


def test_pod_columns_match_a_real_cluster(cluster: Cluster) -> None:
    headers, _ = table(cluster, "v1", "pods")
    assert headers == ["Name", "Ready", "Status", "Restarts", "Age", "IP", "Node", "Nominated Node",
                       "Readiness Gates"]


def test_running_pod_with_restarts_shows_time_since_last_restart(cluster: Cluster) -> None:
    spec = {"containers": [{"name": "a", "image": "x"}, {"name": "b", "image": "y"}], "nodeName": "node-1"}
    status = {"phase": "Running", "podIP": "10.244.0.5", "containerStatuses": [
        running("a", restarts=3, finished=ago(cluster, 1200)), running("b", ready=False)]}
    cells = pod_cells(cluster, pod(cluster, status, spec))
    assert cells == ["p", "1/2", "Running", "3 (20m ago)", "10m", "10.244.0.5", "node-1", "<none>", "<none>"]


@pytest.mark.parametrize(("state", "expected"), [
    ({"waiting": {"reason": "CrashLoopBackOff"}}, "CrashLoopBackOff"),
    ({"waiting": {"reason": "ImagePullBackOff"}}, "ImagePullBackOff"),
    ({"terminated": {"exitCode": 137, "reason": "OOMKilled"}}, "OOMKilled"),
    ({"terminated": {"exitCode": 2}}, "ExitCode:2"),
    ({"terminated": {"exitCode": 0, "signal": 9}}, "Signal:9"),
])
def test_container_states_become_the_status_column(cluster: Cluster, state: dict[str, Any],
                                                   expected: str) -> None:
    status = {"phase": "Running", "containerStatuses": [{"name": "app", "ready": False, "restartCount": 0,
                                                        "state": state}]}
    assert pod_cells(cluster, pod(cluster, status))[2] == expected


def test_init_containers_report_progress_and_failures(cluster: Cluster) -> None:
    spec = {"initContainers": [{"name": "i1", "image": "x"}, {"name": "i2", "image": "x"}],
            "containers": [{"name": "app", "image": "x"}]}
    done = {"name": "i1", "ready": False, "restartCount": 0, "state": {"terminated": {"exitCode": 0}}}
    second_running = {"name": "i2", "ready": False, "restartCount": 0, "state": {"running": {}}}
    crashing = {"name": "i2", "ready": False, "restartCount": 4, "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                "lastState": {"terminated": {"exitCode": 1, "finishedAt": ago(cluster, 900)}}}
    waiting_main = [{"name": "app", "ready": False, "restartCount": 0,
                     "state": {"waiting": {"reason": "PodInitializing"}}}]
    progressing = pod(cluster, {"phase": "Pending", "initContainerStatuses": [done, second_running],
                                "containerStatuses": waiting_main}, spec)
    assert pod_cells(cluster, progressing)[1:4] == ["0/1", "Init:1/2", "0"]
    failing = pod(cluster, {"phase": "Pending", "initContainerStatuses": [done, crashing],
                            "containerStatuses": waiting_main}, spec)
    assert pod_cells(cluster, failing)[1:4] == ["0/1", "Init:CrashLoopBackOff", "4 (15m ago)"]


def test_sidecar_init_containers_count_towards_ready(cluster: Cluster) -> None:
    spec = {"initContainers": [{"name": "proxy", "image": "x", "restartPolicy": "Always"}],
            "containers": [{"name": "app", "image": "x"}]}
    status = {"phase": "Running", "conditions": [{"type": "Initialized", "status": "True"}],
              "initContainerStatuses": [{"name": "proxy", "ready": True, "started": True, "restartCount": 1,
                                         "state": {"running": {}}}],
              "containerStatuses": [running("app")]}
    assert pod_cells(cluster, pod(cluster, status, spec))[1:4] == ["2/2", "Running", "1"]


def test_completed_and_terminating_and_lost_pods(cluster: Cluster) -> None:
    completed = {"phase": "Succeeded", "containerStatuses": [
        {"name": "app", "ready": False, "restartCount": 0, "state": {"terminated": {"exitCode": 0,
                                                                                    "reason": "Completed"}}}]}
    assert pod_cells(cluster, pod(cluster, completed))[2] == "Completed"
    deleting = pod(cluster, {"phase": "Running", "containerStatuses": [running("app")]},
                   deletionTimestamp=ago(cluster, 1))
    assert pod_cells(cluster, deleting)[2] == "Terminating"
    lost = pod(cluster, {"phase": "Running", "reason": "NodeLost", "containerStatuses": [running("app")]},
               deletionTimestamp=ago(cluster, 1))
    assert pod_cells(cluster, lost)[2] == "Unknown"
    evicted = pod(cluster, {"phase": "Failed", "reason": "Evicted"})
    assert pod_cells(cluster, evicted)[2] == "Evicted"
    gated = pod(cluster, {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False",
                                                             "reason": "SchedulingGated"}]})
    assert pod_cells(cluster, gated)[2] == "SchedulingGated"


def test_readiness_gates_count_true_conditions(cluster: Cluster) -> None:
    spec = {"containers": [{"name": "app", "image": "x"}],
            "readinessGates": [{"conditionType": "example.com/lb"}, {"conditionType": "example.com/dns"}]}
    status = {"phase": "Running", "conditions": [{"type": "example.com/lb", "status": "True"}]}
    assert pod_cells(cluster, pod(cluster, status, spec))[8] == "1/2"


def service(spec: dict[str, Any], status: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "s", "creationTimestamp": "2024-01-01T00:00:00Z"}, "spec": spec,
            "status": status or {}}


def test_service_external_ip_and_ports(cluster: Cluster) -> None:
    _, rows = table(cluster, "v1", "services",
                    service({"type": "LoadBalancer", "clusterIPs": ["10.96.0.7"], "selector": {"app": "web"},
                             "ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP"},
                                       {"port": 53, "protocol": "UDP"}]}),
                    service({"type": "LoadBalancer", "clusterIPs": ["10.96.0.8"], "ports": []},
                            {"loadBalancer": {"ingress": [{"ip": "203.0.113.9"}, {"hostname": "lb.example.com"}]}}),
                    service({"type": "ClusterIP", "clusterIPs": ["None"], "externalIPs": ["192.0.2.1"]}),
                    service({"type": "ExternalName", "externalName": "db.example.com"}))
    assert [row[1:5] for row in rows] == [
        ["LoadBalancer", "10.96.0.7", "<pending>", "80:30080/TCP,53/UDP"],
        ["LoadBalancer", "10.96.0.8", "203.0.113.9,lb.example.com", "<none>"],
        ["ClusterIP", "None", "192.0.2.1", "<none>"],
        ["ExternalName", "<none>", "db.example.com", "<none>"],
    ]
    assert rows[0][6] == "app=web"
    assert rows[1][6] == "<none>"


def test_endpoints_list_three_addresses_then_a_count(cluster: Cluster) -> None:
    endpoints = {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "e"}, "subsets": [
        {"addresses": [{"ip": "10.0.0.1"}, {"ip": "10.0.0.2"}], "ports": [{"port": 80}, {"port": 443}]}]}
    unready = {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "u"}, "subsets": [
        {"notReadyAddresses": [{"ip": "10.0.0.3"}], "ports": [{"port": 80}]}]}
    empty = {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "n"}}
    _, rows = table(cluster, "v1", "endpoints", endpoints, unready, empty)
    assert [row[1] for row in rows] == ["10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 1 more...", "", "<none>"]


def hpa(spec_metrics: list[dict[str, Any]], current: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "h"},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                     "minReplicas": 2, "maxReplicas": 8, "metrics": spec_metrics},
            "status": {"currentReplicas": 3, "desiredReplicas": 3, "currentMetrics": current or []}}


def cpu_target(percent: int) -> dict[str, Any]:
    return {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization",
                                                                       "averageUtilization": percent}}}


def test_hpa_targets_name_each_resource(cluster: Cluster) -> None:
    memory = {"type": "Resource", "resource": {"name": "memory", "target": {"type": "AverageValue",
                                                                           "averageValue": "500Mi"}}}
    pods = {"type": "Pods", "pods": {"metric": {"name": "rps"}, "target": {"type": "AverageValue",
                                                                          "averageValue": "10"}}}
    current = [{"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 30}}}]
    headers, rows = table(cluster, "autoscaling/v2", "horizontalpodautoscalers",
                          hpa([cpu_target(80)], current), hpa([cpu_target(80), memory, pods]), hpa([]))
    assert headers == ["Name", "Reference", "Targets", "MinPods", "MaxPods", "Replicas", "Age"]
    assert rows[0][1:6] == ["Deployment/web", "cpu: 30%/80%", "2", 8, 3]
    assert rows[1][2] == "cpu: <unknown>/80%, memory: <unknown>/500Mi + 1 more..."
    assert rows[2][2] == "<none>"


def test_hpa_targets_before_1_30_have_no_metric_name() -> None:
    old = Cluster(version="1.29.10")
    _, rows = table(old, "autoscaling/v2", "horizontalpodautoscalers", hpa(
        [cpu_target(80)], [{"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 5}}}]))
    assert rows[0][2] == "5%/80%"


def job(cluster: Cluster, spec: dict[str, Any], status: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j", "creationTimestamp": ago(cluster, 1200)},
            "spec": {"template": {"spec": {"containers": [{"name": "work", "image": "busybox"}]}}, **spec},
            "status": status}


def test_job_status_completions_and_duration(cluster: Cluster) -> None:
    complete = job(cluster, {"completions": 3}, {
        "succeeded": 3, "startTime": ago(cluster, 90), "completionTime": ago(cluster, 43),
        "conditions": [{"type": "Complete", "status": "True"}]})
    running_job = job(cluster, {"parallelism": 4}, {"succeeded": 0, "active": 4, "startTime": ago(cluster, 1800)})
    failed = job(cluster, {"completions": 1}, {"failed": 2, "conditions": [
        {"type": "FailureTarget", "status": "True"}, {"type": "Failed", "status": "True"}]})
    headers, rows = table(cluster, "batch/v1", "jobs", complete, running_job, failed)
    assert headers == ["Name", "Status", "Completions", "Duration", "Age", "Containers", "Images", "Selector"]
    assert rows[0][1:5] == ["Complete", "3/3", "47s", "20m"]
    assert rows[1][1:4] == ["Running", "0/1 of 4", "30m"]
    assert rows[2][1:4] == ["Failed", "0/1", ""]


def test_version_dependent_columns() -> None:
    old = Cluster(version="1.29.3")
    headers, _ = table(old, "batch/v1", "jobs")
    assert "Status" not in headers
    headers, _ = table(old, "batch/v1", "cronjobs")
    assert "Timezone" not in headers
    headers, _ = table(old, "v1", "resourcequotas")
    assert headers == ["Name", "Age", "Request", "Limit"]
    new = Cluster(version="1.33.1")
    quota = {"apiVersion": "v1", "kind": "ResourceQuota",
             "metadata": {"name": "q", "creationTimestamp": ago(new, 1200)},
             "status": {"hard": {"cpu": "4", "limits.memory": "8Gi", "pods": "10"},
                        "used": {"cpu": "500m", "limits.memory": "1Gi"}}}
    headers, rows = table(new, "v1", "resourcequotas", quota)
    assert headers == ["Name", "Request", "Limit", "Age"]
    assert rows[0] == ["q", "cpu: 500m/4, pods: 0/10", "limits.memory: 1Gi/8Gi", "20m"]


def test_node_status_and_roles(cluster: Cluster) -> None:
    node = {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": "n1", "labels": {"node-role.kubernetes.io/control-plane": "",
                                                  "kubernetes.io/role": "infra"}},
            "spec": {"unschedulable": True},
            "status": {"conditions": [{"type": "Ready", "status": "False"}],
                       "addresses": [{"type": "InternalIP", "address": "172.18.0.2"}],
                       "nodeInfo": {"kubeletVersion": "v1.31.2", "osImage": "Debian GNU/Linux 12 (bookworm)"}}}
    _, rows = table(cluster, "v1", "nodes", node)
    assert rows[0][1:3] == ["NotReady,SchedulingDisabled", "control-plane,infra"]
    assert rows[0][4:] == ["v1.31.2", "172.18.0.2", "<none>", "Debian GNU/Linux 12 (bookworm)", "<unknown>",
                           "<unknown>"]


def test_events_print_series_and_events_k8s_io_objects_alike(cluster: Cluster) -> None:
    core = {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "e1"},
            "involvedObject": {"kind": "Pod", "name": "web", "fieldPath": "spec.containers{app}"},
            "reason": "BackOff", "message": "Back-off restarting failed container\n", "type": "Warning",
            "source": {"component": "kubelet", "host": "node-1"}, "count": 7,
            "firstTimestamp": ago(cluster, 3600), "lastTimestamp": ago(cluster, 1200)}
    new = {"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "e2"},
           "eventTime": ago(cluster, 600), "series": {"count": 4, "lastObservedTime": ago(cluster, 900)},
           "reportingController": "deployment-controller", "reason": "ScalingReplicaSet",
           "regarding": {"kind": "Deployment", "name": "web"}, "note": "Scaled up", "type": "Normal"}
    headers, rows = table(cluster, "v1", "events", core, new)
    assert headers == ["Last Seen", "Type", "Reason", "Object", "Subobject", "Source", "Message", "First Seen",
                       "Count", "Name"]
    assert rows[0] == ["20m", "Warning", "BackOff", "pod/web", "spec.containers{app}", "kubelet, node-1",
                       "Back-off restarting failed container", "60m", 7, "e1"]
    assert rows[1] == ["15m", "Normal", "ScalingReplicaSet", "deployment/web", "", "deployment-controller",
                       "Scaled up", "10m", 4, "e2"]


def test_label_selectors_print_sorted(cluster: Cluster) -> None:
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
                  "spec": {"replicas": 3, "selector": {
                      "matchLabels": {"tier": "web"},
                      "matchExpressions": [{"key": "env", "operator": "In", "values": ["prod", "dev"]},
                                           {"key": "zz", "operator": "DoesNotExist"}]},
                      "template": {"spec": {"containers": [{"name": "a", "image": "a:1"},
                                                           {"name": "b", "image": "b:2"}]}}},
                  "status": {"readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2}}
    _, rows = table(cluster, "apps/v1", "deployments", deployment)
    assert rows[0][1:4] == ["2/3", 3, 2]
    assert rows[0][5:] == ["a,b", "a:1,b:2", "env in (dev,prod),tier=web,!zz"]


def test_types_without_a_printer_use_name_and_created_at(cluster: Cluster) -> None:
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": "reader", "creationTimestamp": "2024-03-04T05:06:07Z"}}
    headers, rows = table(cluster, "rbac.authorization.k8s.io/v1", "clusterroles", role)
    assert headers == ["Name", "Created At"]
    assert rows == [["reader", "2024-03-04T05:06:07Z"]]
    crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
           "metadata": {"name": "widgets.example.com", "creationTimestamp": "2024-03-04T05:06:08+00:00"}}
    headers, rows = table(cluster, "apiextensions.k8s.io/v1", "customresourcedefinitions", crd)
    assert headers == ["Name", "Created At"]
    assert rows == [["widgets.example.com", "2024-03-04T05:06:08Z"]]
