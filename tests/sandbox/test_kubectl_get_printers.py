"""`kubectl get` and `kubectl get -o wide` on workloads and networking kinds print the columns and cells a real
cluster prints, for every kubectl binary. Objects are created with `kubectl create -f -`; status that
controllers would write is set through the status subresource (`kubectl patch --subresource=status`, or the
object API's status writer)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kubegenie.domain.durations import rfc3339
from tests.support import kubectl
from tests.support.sandbox import SandboxEnv
from tests.support.tables import Rows, create, ok, parse, write_status

pytestmark = pytest.mark.kubectl
BINARIES = kubectl.params()
AGE = re.compile(r"^\d+s$")


def get(sandbox: SandboxEnv, binary: kubectl.Kubectl, namespace: str, *args: str) -> tuple[list[str], Rows]:
    return parse(ok(sandbox, binary, "-n", namespace, "get", *args))


def ago(seconds: int) -> str:
    return rfc3339(datetime.now(UTC) - timedelta(seconds=seconds))


def meta(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, **extra}


def container(name: str, image: str) -> dict[str, Any]:
    return {"name": name, "image": image}


@pytest.mark.parametrize("binary", BINARIES)
def test_pods(sandbox: SandboxEnv, namespace: str, binary: kubectl.Kubectl) -> None:
    create(sandbox, binary, namespace,
           {"apiVersion": "v1", "kind": "Pod", "metadata": meta("web", labels={"app": "web"}),
            "spec": {"containers": [container("app", "nginx"), container("sidecar", "envoy")],
                     "readinessGates": [{"conditionType": "example.com/lb"}]}},
           {"apiVersion": "v1", "kind": "Pod", "metadata": meta("crash"),
            "spec": {"containers": [container("app", "busybox")]}},
           {"apiVersion": "v1", "kind": "Pod", "metadata": meta("waiting"),
            "spec": {"initContainers": [container("init", "busybox")], "containers": [container("app", "nginx")]}},
           {"apiVersion": "v1", "kind": "Pod", "metadata": meta("pending"),
            "spec": {"containers": [container("app", "nginx")]}})
    write_status(sandbox, "v1", "pods", namespace, "web", {
        "phase": "Running", "podIP": "10.244.1.7", "podIPs": [{"ip": "10.244.1.7"}],
        "conditions": [{"type": "Ready", "status": "False"}, {"type": "example.com/lb", "status": "True"}],
        "containerStatuses": [
            {"name": "app", "ready": True, "restartCount": 2, "image": "nginx", "imageID": "", "state": {"running": {}},
             "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": ago(1200)}}},
            {"name": "sidecar", "ready": False, "restartCount": 0, "image": "envoy", "imageID": "",
             "state": {"running": {}}}]})
    write_status(sandbox, "v1", "pods", namespace, "crash", {
        "phase": "Running", "podIP": "10.244.1.8", "podIPs": [{"ip": "10.244.1.8"}],
        "containerStatuses": [{"name": "app", "ready": False, "restartCount": 5, "image": "busybox", "imageID": "",
                               "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                               "lastState": {"terminated": {"exitCode": 1, "reason": "Error",
                                                            "finishedAt": ago(1260)}}}]})
    write_status(sandbox, "v1", "pods", namespace, "waiting", {
        "phase": "Pending", "initContainerStatuses": [
            {"name": "init", "ready": False, "restartCount": 0, "image": "busybox", "imageID": "",
             "state": {"waiting": {"reason": "ErrImagePull"}}}],
        "containerStatuses": [{"name": "app", "ready": False, "restartCount": 0, "image": "nginx", "imageID": "",
                               "state": {"waiting": {"reason": "PodInitializing"}}}]})
    headers, rows = get(sandbox, binary, namespace, "pods")
    assert headers == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert [rows["web"][h] for h in headers[:4]] == ["web", "1/2", "Running", "2 (20m ago)"]
    assert [rows["crash"][h] for h in headers[:4]] == ["crash", "0/1", "CrashLoopBackOff", "5 (21m ago)"]
    assert [rows["waiting"][h] for h in headers[:4]] == ["waiting", "0/1", "Init:ErrImagePull", "0"]
    assert [rows["pending"][h] for h in headers[:4]] == ["pending", "0/1", "Pending", "0"]
    assert AGE.match(rows["pending"]["AGE"])
    headers, rows = get(sandbox, binary, namespace, "pods", "-o", "wide")
    assert headers == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED NODE",
                       "READINESS GATES"]
    assert [rows["web"][h] for h in headers[5:]] == ["10.244.1.7", "<none>", "<none>", "1/1"]
    assert [rows["pending"][h] for h in headers[5:]] == ["<none>", "<none>", "<none>", "<none>"]


def template(app: str, *containers: dict[str, Any]) -> dict[str, Any]:
    return {"metadata": {"labels": {"app": app}}, "spec": {"containers": list(containers)}}



@pytest.mark.parametrize("binary", BINARIES)
def test_workloads(sandbox: SandboxEnv, namespace: str, binary: kubectl.Kubectl) -> None:
    selector = {"matchLabels": {"app": "web"}}
    containers = [container("nginx", "nginx:1.25"), container("log", "fluentbit:2")]
    create(sandbox, binary, namespace,
           {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta("web"),
            "spec": {"replicas": 3, "selector": selector, "template": template("web", *containers)}},
           {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": meta("web-5d4f"),
            "spec": {"replicas": 3, "selector": selector, "template": template("web", *containers)}},
           {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": meta("db"),
            "spec": {"replicas": 2, "serviceName": "db", "selector": {"matchLabels": {"app": "db"}},
                     "template": template("db", container("postgres", "postgres:16"))}},
           {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": meta("agent"),
            "spec": {"selector": {"matchLabels": {"app": "agent"}},
                     "template": {"metadata": {"labels": {"app": "agent"}},
                                  "spec": {"nodeSelector": {"kubernetes.io/os": "linux"},
                                           "containers": [container("agent", "agent:3")]}}}},
           {"apiVersion": "v1", "kind": "ReplicationController", "metadata": meta("legacy"),
            "spec": {"replicas": 1, "selector": {"app": "legacy"},
                     "template": template("legacy", container("app", "legacy:1"))}},
           {"apiVersion": "apps/v1", "kind": "ControllerRevision", "revision": 4,
            "metadata": meta("agent-7c9d", ownerReferences=[{"apiVersion": "apps/v1", "kind": "DaemonSet",
                                                            "name": "agent", "uid": "0b5d6a52-8d39-4d5c-9c2f-1",
                                                            "controller": True}]),
            "data": {}},
           {"apiVersion": "v1", "kind": "PodTemplate", "metadata": meta("tpl"),
            "template": template("batch", container("work", "busybox"))})
    ok(sandbox, binary, "-n", namespace, "patch", "deployment", "web", "--subresource=status", "--type=merge",
       "-p", json.dumps({"status": {"replicas": 3, "readyReplicas": 2, "updatedReplicas": 3,
                                    "availableReplicas": 2}}))
    write_status(sandbox, "apps/v1", "replicasets", namespace, "web-5d4f", {"replicas": 3, "readyReplicas": 1})
    write_status(sandbox, "apps/v1", "statefulsets", namespace, "db", {"replicas": 2, "readyReplicas": 1})
    write_status(sandbox, "apps/v1", "daemonsets", namespace, "agent", {
        "desiredNumberScheduled": 3, "currentNumberScheduled": 3, "numberReady": 2, "updatedNumberScheduled": 3,
        "numberAvailable": 2, "numberMisscheduled": 0})

    headers, rows = get(sandbox, binary, namespace, "deployments", "-o", "wide")
    assert headers == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"]
    web = rows["web"]
    assert [web["READY"], web["UP-TO-DATE"], web["AVAILABLE"]] == ["2/3", "3", "2"]
    assert [web["CONTAINERS"], web["IMAGES"], web["SELECTOR"]] == ["nginx,log", "nginx:1.25,fluentbit:2", "app=web"]

    headers, rows = get(sandbox, binary, namespace, "replicasets", "-o", "wide")
    assert headers == ["NAME", "DESIRED", "CURRENT", "READY", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"]
    assert [rows["web-5d4f"][h] for h in ("DESIRED", "CURRENT", "READY", "SELECTOR")] == ["3", "3", "1", "app=web"]

    headers, rows = get(sandbox, binary, namespace, "statefulsets", "-o", "wide")
    assert headers == ["NAME", "READY", "AGE", "CONTAINERS", "IMAGES"]
    assert [rows["db"]["READY"], rows["db"]["IMAGES"]] == ["1/2", "postgres:16"]

    headers, rows = get(sandbox, binary, namespace, "daemonsets", "-o", "wide")
    assert headers == ["NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE", "NODE SELECTOR", "AGE",
                       "CONTAINERS", "IMAGES", "SELECTOR"]
    agent = rows["agent"]
    assert [agent[h] for h in headers[1:7]] == ["3", "3", "2", "3", "2", "kubernetes.io/os=linux"]
    assert agent["SELECTOR"] == "app=agent"

    headers, rows = get(sandbox, binary, namespace, "replicationcontrollers", "-o", "wide")
    assert headers == ["NAME", "DESIRED", "CURRENT", "READY", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"]
    assert [rows["legacy"][h] for h in ("DESIRED", "CURRENT", "READY", "SELECTOR")] == ["1", "0", "0",
                                                                                       "app=legacy"]

    headers, rows = get(sandbox, binary, namespace, "controllerrevisions")
    assert headers == ["NAME", "CONTROLLER", "REVISION", "AGE"]
    assert [rows["agent-7c9d"]["CONTROLLER"], rows["agent-7c9d"]["REVISION"]] == ["daemonset.apps/agent", "4"]

    headers, rows = get(sandbox, binary, namespace, "podtemplates")
    assert headers == ["NAME", "CONTAINERS", "IMAGES", "POD LABELS"]
    assert [rows["tpl"][h] for h in headers[1:]] == ["work", "busybox", "app=batch"]



@pytest.mark.parametrize("binary", BINARIES)
def test_jobs_and_cronjobs(sandbox: SandboxEnv, namespace: str, binary: kubectl.Kubectl) -> None:
    job_template = {"spec": {"restartPolicy": "Never", "containers": [container("work", "busybox")]}}
    create(sandbox, binary, namespace,
           {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta("done"),
            "spec": {"completions": 3, "template": job_template}},
           {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta("busy"),
            "spec": {"parallelism": 2, "completions": None, "template": job_template}},
           {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": meta("nightly"),
            "spec": {"schedule": "0 2 * * *", "timeZone": "Europe/Paris",
                     "jobTemplate": {"spec": {"template": job_template}}}},
           {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": meta("hourly"),
            "spec": {"schedule": "@hourly", "suspend": True, "jobTemplate": {"spec": {"template": job_template}}}})
    write_status(sandbox, "batch/v1", "jobs", namespace, "done", {
        "succeeded": 3, "startTime": ago(200), "completionTime": ago(155),
        "conditions": [{"type": "Complete", "status": "True"}]})
    write_status(sandbox, "batch/v1", "cronjobs", namespace, "nightly", {
        "lastScheduleTime": ago(1500), "active": [{"kind": "Job", "name": "nightly-1", "namespace": namespace}]})

    headers, rows = get(sandbox, binary, namespace, "jobs", "-o", "wide")
    assert headers == ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"]
    assert [rows["done"][h] for h in headers[1:4]] == ["Complete", "3/3", "45s"]
    assert [rows["busy"][h] for h in headers[1:4]] == ["Running", "0/1 of 2", ""]
    assert rows["done"]["SELECTOR"].startswith("batch.kubernetes.io/controller-uid=")

    headers, rows = get(sandbox, binary, namespace, "cronjobs", "-o", "wide")
    assert headers == ["NAME", "SCHEDULE", "TIMEZONE", "SUSPEND", "ACTIVE", "LAST SCHEDULE", "AGE", "CONTAINERS",
                       "IMAGES", "SELECTOR"]
    assert [rows["nightly"][h] for h in headers[1:6]] == ["0 2 * * *", "Europe/Paris", "False", "1", "25m"]
    assert [rows["hourly"][h] for h in headers[1:6]] == ["@hourly", "<none>", "True", "0", "<none>"]
    assert rows["hourly"]["SELECTOR"] == "<none>"



@pytest.mark.parametrize("binary", BINARIES)
def test_services_and_endpoints(sandbox: SandboxEnv, namespace: str, binary: kubectl.Kubectl) -> None:
    create(sandbox, binary, namespace,
           {"apiVersion": "v1", "kind": "Service", "metadata": meta("web"),
            "spec": {"type": "NodePort", "selector": {"app": "web", "tier": "front"},
                     "ports": [{"port": 80, "targetPort": 8080}]}},
           {"apiVersion": "v1", "kind": "Service", "metadata": meta("lb"),
            "spec": {"type": "LoadBalancer", "ports": [{"port": 443}]}},
           {"apiVersion": "v1", "kind": "Service", "metadata": meta("db"),
            "spec": {"clusterIP": "None", "selector": {"app": "db"}, "ports": [{"port": 5432}]}},
           {"apiVersion": "v1", "kind": "Service", "metadata": meta("ext"),
            "spec": {"type": "ExternalName", "externalName": "db.example.com"}},
           {"apiVersion": "v1", "kind": "Endpoints", "metadata": meta("web"),
            "subsets": [{"addresses": [{"ip": "10.244.1.48"}, {"ip": "10.244.1.49"}],
                         "ports": [{"port": 8080, "protocol": "TCP"}]}]},
           {"apiVersion": "v1", "kind": "Endpoints", "metadata": meta("db"),
            "subsets": [{"notReadyAddresses": [{"ip": "10.244.1.50"}], "ports": [{"port": 5432}]}]},
           {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": meta("web-abc12"),
            "addressType": "IPv4", "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
            "endpoints": [{"addresses": ["10.244.1.48"]}, {"addresses": ["10.244.1.49"]}]},
           {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta("site"),
            "spec": {"ingressClassName": "nginx", "tls": [{"hosts": ["shop.example.com"]}],
                     "rules": [{"host": "shop.example.com", "http": {"paths": [
                         {"path": "/", "pathType": "Prefix",
                          "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}},
           {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": meta("deny"),
            "spec": {"podSelector": {"matchLabels": {"app": "db"}}}},
           {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": meta("all"),
            "spec": {"podSelector": {}}})
    write_status(sandbox, "networking.k8s.io/v1", "ingresses", namespace, "site",
               {"loadBalancer": {"ingress": [{"ip": "203.0.113.10"}]}})

    headers, rows = get(sandbox, binary, namespace, "services", "-o", "wide")
    assert headers == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE", "SELECTOR"]
    web = rows["web"]
    assert web["TYPE"] == "NodePort" and web["EXTERNAL-IP"] == "<none>"
    assert re.fullmatch(r"10\.\d+\.\d+\.\d+", web["CLUSTER-IP"])
    assert re.fullmatch(r"80:3\d{4}/TCP", web["PORT(S)"])
    assert web["SELECTOR"] == "app=web,tier=front"
    assert [rows["lb"]["TYPE"], rows["lb"]["EXTERNAL-IP"]] == ["LoadBalancer", "<pending>"]
    assert re.fullmatch(r"443:3\d{4}/TCP", rows["lb"]["PORT(S)"])
    assert [rows["db"][h] for h in ("CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "SELECTOR")] == [
        "None", "<none>", "5432/TCP", "app=db"]
    assert [rows["ext"][h] for h in ("TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)")] == [
        "ExternalName", "<none>", "db.example.com", "<none>"]

    headers, rows = get(sandbox, binary, namespace, "endpoints")
    assert headers == ["NAME", "ENDPOINTS", "AGE"]
    assert rows["web"]["ENDPOINTS"] == "10.244.1.48:8080,10.244.1.49:8080"
    assert rows["db"]["ENDPOINTS"] == ""

    headers, rows = get(sandbox, binary, namespace, "endpointslices")
    assert headers == ["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"]
    assert [rows["web-abc12"][h] for h in headers[1:4]] == ["IPv4", "8080", "10.244.1.48,10.244.1.49"]

    headers, rows = get(sandbox, binary, namespace, "ingresses")
    assert headers == ["NAME", "CLASS", "HOSTS", "ADDRESS", "PORTS", "AGE"]
    assert [rows["site"][h] for h in headers[1:5]] == ["nginx", "shop.example.com", "203.0.113.10", "80, 443"]

    headers, rows = get(sandbox, binary, namespace, "networkpolicies")
    assert headers == ["NAME", "POD-SELECTOR", "AGE"]
    assert [rows["deny"]["POD-SELECTOR"], rows["all"]["POD-SELECTOR"]] == ["app=db", "<none>"]


