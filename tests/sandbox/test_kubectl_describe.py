"""`kubectl describe pod|deployment|node|service|namespace` against the sandbox, for every kubectl binary.
Describe is client-side: it re-reads the object, lists events by involvedObject field selectors, replica sets
by label, pods by spec.nodeName, the node's Lease, endpoint slices, quotas and limit ranges; the output shows
whether each of those requests was answered."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.support import kubectl
from tests.support.sandbox import SandboxEnv
from tests.support.tables import create, ok, write_status

pytestmark = pytest.mark.kubectl
BINARIES = kubectl.params()
TEMPLATE: dict[str, Any] = {
    "metadata": {"labels": {"app": "web"}},
    "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25",
                             "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}}}]},
}


def create_all(sandbox: SandboxEnv, binary: kubectl.Kubectl, namespace: str, *objects: dict[str, Any]) -> list[Any]:
    """Create objects (in `namespace` unless they name their own) and return them as stored, with uids."""
    for obj in objects:
        if obj["kind"] != "Node":
            obj["metadata"].setdefault("namespace", namespace)
    create(sandbox, binary, None, *objects)
    created = []
    for obj in objects:
        target = obj["metadata"].get("namespace")
        kind = obj["kind"].lower() + ("." + obj["apiVersion"].split("/")[0] if "/" in obj["apiVersion"] else "")
        args = ["-n", target] if target else []
        created.append(json.loads(ok(sandbox, binary, *args, "get", kind, obj["metadata"]["name"], "-o", "json")))
    return created


def event(name: str, namespace: str, involved: dict[str, Any], reason: str, message: str,
          component: str, kind: str = "Normal") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Event", "metadata": {"name": name, "namespace": namespace},
            "involvedObject": involved, "reason": reason, "message": message, "type": kind,
            "source": {"component": component}, "count": 1,
            "firstTimestamp": "2024-01-01T00:00:00Z", "lastTimestamp": "2024-01-01T00:00:00Z"}


def reference(obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj["metadata"]
    ref = {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "name": meta["name"], "uid": meta["uid"]}
    if meta.get("namespace"):
        ref["namespace"] = meta["namespace"]
    return ref


def has_line(output: str, pattern: str) -> bool:
    return any(re.fullmatch(pattern, line.rstrip()) for line in output.splitlines())


@pytest.mark.parametrize("binary", BINARIES)
def test_describe_pod_node_and_their_events(sandbox: SandboxEnv, namespace: str, binary: kubectl.Kubectl) -> None:
    node_name = f"{namespace}-node"
    node, pod = create_all(sandbox, binary, namespace,
                       {"apiVersion": "v1", "kind": "Node", "metadata": {"name": node_name}},
                       {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-1", "labels": {"app": "web"}},
                        "spec": {"nodeName": node_name, **TEMPLATE["spec"]}})
    write_status(sandbox, "v1", "nodes", "", node_name, {
        "capacity": {"cpu": "4", "memory": "8Gi", "pods": "110"},
        "allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"},
        "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                        "message": "kubelet is posting ready status", "lastHeartbeatTime": "2024-01-01T00:00:00Z",
                        "lastTransitionTime": "2024-01-01T00:00:00Z"}],
        "addresses": [{"type": "InternalIP", "address": "172.18.0.9"}],
        "nodeInfo": {"kubeletVersion": "v1.31.2", "osImage": "Debian GNU/Linux 12 (bookworm)",
                     "kernelVersion": "6.10.14", "containerRuntimeVersion": "containerd://1.7.18",
                     "architecture": "amd64", "operatingSystem": "linux", "kubeProxyVersion": "",
                     "machineID": "", "systemUUID": "", "bootID": ""}})
    create_all(sandbox, binary, namespace,
           {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": {"name": node_name, "namespace": "kube-node-lease"},
            "spec": {"holderIdentity": node_name, "leaseDurationSeconds": 40}},
           event(f"{namespace}.pod", namespace, reference(pod), "Scheduled",
                 f"Successfully assigned {namespace}/web-1 to {node_name}", "default-scheduler"),
           event(f"{namespace}.node", "default", {"kind": "Node", "name": node_name, "uid": node_name},
                 "NodeReady", f"Node {node_name} status is now: NodeReady", "kubelet"))
    del node

    described = ok(sandbox, binary, "-n", namespace, "describe", "pod", "web-1")
    assert has_line(described, r"Name:\s+web-1")
    assert has_line(described, rf"Namespace:\s+{namespace}")
    assert has_line(described, rf"Node:\s+{node_name}/")
    assert has_line(described, r"Labels:\s+app=web")
    assert has_line(described, r"Status:\s+Pending")
    assert "Containers:\n  nginx:\n" in described
    assert has_line(described, r"\s+Image:\s+nginx:1\.25")
    assert has_line(described, r"QoS Class:\s+Burstable")
    assert has_line(described, r"  Type\s+Reason\s+Age\s+From\s+Message")
    assert has_line(described, rf"  Normal\s+Scheduled\s+\S+\s+default-scheduler\s+Successfully assigned "
                               rf"{namespace}/web-1 to {node_name}")

    described = ok(sandbox, binary, "describe", "node", node_name)
    assert has_line(described, rf"Name:\s+{node_name}")
    assert has_line(described, rf"  HolderIdentity:\s+{node_name}")
    assert has_line(described, r"  Ready\s+True\s+.*KubeletReady\s+kubelet is posting ready status")
    assert has_line(described, r"  InternalIP:\s+172\.18\.0\.9")
    assert has_line(described, r"Non-terminated Pods:\s+\(1 in total\)")
    assert has_line(described, rf"  {namespace}\s+web-1\s+100m \(2%\)\s+0 \(0%\)\s+64Mi \(0%\)\s+0 \(0%\)\s+\S+")
    assert has_line(described, r"  cpu\s+100m \(2%\)\s+0 \(0%\)")
    assert has_line(described, rf"  Normal\s+NodeReady\s+\S+\s+kubelet\s+Node {node_name} status is now: NodeReady")


@pytest.mark.parametrize("binary", BINARIES)
def test_describe_deployment_finds_its_replica_set(sandbox: SandboxEnv, namespace: str,
                                                   binary: kubectl.Kubectl) -> None:
    (deployment,) = create_all(sandbox, binary, namespace, {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}}, "template": TEMPLATE}})
    hashed = {"app": "web", "pod-template-hash": "5d4f8c"}
    create_all(sandbox, binary, namespace,
           {"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": "web-5d4f8c", "labels": hashed,
                         "annotations": {"deployment.kubernetes.io/revision": "1"},
                         "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web",
                                              "uid": deployment["metadata"]["uid"], "controller": True,
                                              "blockOwnerDeletion": True}]},
            "spec": {"replicas": 2, "selector": {"matchLabels": hashed},
                     "template": {"metadata": {"labels": hashed}, "spec": TEMPLATE["spec"]}}},
           event("web.scaled", namespace, reference(deployment), "ScalingReplicaSet",
                 "Scaled up replica set web-5d4f8c to 2", "deployment-controller"))
    write_status(sandbox, "apps/v1", "deployments", namespace, "web", {
        "replicas": 2, "updatedReplicas": 2, "readyReplicas": 1, "availableReplicas": 1, "unavailableReplicas": 1,
        "conditions": [{"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable",
                        "message": "Deployment does not have minimum availability."}]})
    write_status(sandbox, "apps/v1", "replicasets", namespace, "web-5d4f8c", {"replicas": 2, "readyReplicas": 1})

    described = ok(sandbox, binary, "-n", namespace, "describe", "deployment", "web")
    assert has_line(described, r"Name:\s+web")
    assert has_line(described, r"Selector:\s+app=web")
    assert has_line(described, r"Replicas:\s+2 desired \| 2 updated \| 2 total \| 1 available \| 1 unavailable")
    assert has_line(described, r"StrategyType:\s+RollingUpdate")
    assert has_line(described, r"  Available\s+False\s+MinimumReplicasUnavailable")
    assert has_line(described, r"NewReplicaSet:\s+web-5d4f8c \(2/2 replicas created\)")
    assert has_line(described, r"  Normal\s+ScalingReplicaSet\s+\S+\s+deployment-controller\s+"
                               r"Scaled up replica set web-5d4f8c to 2")


@pytest.mark.parametrize("binary", BINARIES)
def test_describe_service_and_namespace(sandbox: SandboxEnv, namespace: str, binary: kubectl.Kubectl) -> None:
    (service,) = create_all(sandbox, binary, namespace, {
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
        "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}})
    create_all(sandbox, binary, namespace,
           {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "web"},
            "subsets": [{"addresses": [{"ip": "10.244.0.5"}], "ports": [{"name": "http", "port": 8080}]}]},
           {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": "web-x7k2p", "labels": {"kubernetes.io/service-name": "web"}},
            "addressType": "IPv4", "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
            "endpoints": [{"addresses": ["10.244.0.5"], "conditions": {"ready": True}}]},
           {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "compute"},
            "spec": {"hard": {"pods": "10", "requests.cpu": "2"}}},
           {"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "defaults"},
            "spec": {"limits": [{"type": "Container", "default": {"cpu": "500m"}}]}},
           event("web.sync", namespace, reference(service), "EnsuredLoadBalancer", "Ensured load balancer",
                 "service-controller"))
    write_status(sandbox, "v1", "resourcequotas", namespace, "compute", {
        "hard": {"pods": "10", "requests.cpu": "2"}, "used": {"pods": "3", "requests.cpu": "300m"}})

    described = ok(sandbox, binary, "-n", namespace, "describe", "service", "web")
    assert has_line(described, r"Selector:\s+app=web")
    assert has_line(described, r"Type:\s+ClusterIP")
    assert has_line(described, rf"IP:\s+{re.escape(service['spec']['clusterIP'])}")
    assert has_line(described, r"Port:\s+http\s+80/TCP")
    assert has_line(described, r"TargetPort:\s+8080/TCP")
    assert has_line(described, r"Endpoints:\s+10\.244\.0\.5:8080")
    assert has_line(described, r"  Normal\s+EnsuredLoadBalancer\s+\S+\s+service-controller\s+Ensured load balancer")

    described = ok(sandbox, binary, "describe", "namespace", namespace)
    assert has_line(described, rf"Name:\s+{namespace}")
    assert has_line(described, r"Status:\s+Active")
    assert "Resource Quotas" in described
    assert has_line(described, r"  Name:\s+compute")
    assert has_line(described, r"  pods\s+3\s+10")
    assert has_line(described, r"  requests\.cpu\s+300m\s+2")
    assert "Resource Limits" in described
    assert has_line(described, r" Container\s+cpu\s+-\s+-\s+-\s+500m\s+-")
