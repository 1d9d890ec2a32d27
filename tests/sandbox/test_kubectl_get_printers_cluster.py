"""`kubectl get` and `kubectl get -o wide` on nodes, events, storage, configuration, RBAC, policy and cluster
plumbing kinds print the columns and cells a real cluster prints, for every kubectl binary. Status that
controllers would write is set through the object API's status writer."""

from __future__ import annotations

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


def get(sandbox: SandboxEnv, binary: kubectl.Kubectl, namespace: str, *args: str) -> tuple[list[str], Rows]:
    return parse(ok(sandbox, binary, "-n", namespace, "get", *args))


def ago(seconds: int) -> str:
    return rfc3339(datetime.now(UTC) - timedelta(seconds=seconds))


def meta(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, **extra}


@pytest.mark.parametrize("binary", BINARIES)
def test_nodes(sandbox: SandboxEnv, namespace: str, binary: kubectl.Kubectl) -> None:
    control, worker = f"{namespace}-control-plane", f"{namespace}-worker"
    labels = {"kubernetes.io/os": "linux", "kubernetes.io/hostname": control,
              "node-role.kubernetes.io/control-plane": ""}
    create(sandbox, binary, namespace,
           {"apiVersion": "v1", "kind": "Node", "metadata": meta(control, labels=labels)},
           {"apiVersion": "v1", "kind": "Node", "metadata": meta(worker), "spec": {"unschedulable": True}})
    info = {"kubeletVersion": "v1.31.2", "osImage": "Debian GNU/Linux 12 (bookworm)",
            "kernelVersion": "6.10.14-linuxkit", "containerRuntimeVersion": "containerd://1.7.18",
            "architecture": "amd64", "operatingSystem": "linux", "kubeProxyVersion": "", "machineID": "",
            "systemUUID": "", "bootID": ""}
    write_status(sandbox, "v1", "nodes", "", control, {
        "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}], "nodeInfo": info,
        "addresses": [{"type": "InternalIP", "address": "172.18.0.2"}, {"type": "Hostname", "address": control}]})
    write_status(sandbox, "v1", "nodes", "", worker, {
        "conditions": [{"type": "Ready", "status": "Unknown", "reason": "NodeStatusUnknown"}], "nodeInfo": info,
        "addresses": [{"type": "InternalIP", "address": "172.18.0.3"},
                      {"type": "ExternalIP", "address": "18.191.138.60"}]})
    headers, rows = parse(ok(sandbox, binary, "get", "nodes"))
    assert headers == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    assert [rows[control][h] for h in ("STATUS", "ROLES", "VERSION")] == ["Ready", "control-plane", "v1.31.2"]
    assert [rows[worker][h] for h in ("STATUS", "ROLES")] == ["NotReady,SchedulingDisabled", "<none>"]
    headers, rows = parse(ok(sandbox, binary, "get", "nodes", "-o", "wide"))
    assert headers == ["NAME", "STATUS", "ROLES", "AGE", "VERSION", "INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE",
                       "KERNEL-VERSION", "CONTAINER-RUNTIME"]
    assert [rows[control][h] for h in headers[5:]] == ["172.18.0.2", "<none>", "Debian GNU/Linux 12 (bookworm)",
                                                       "6.10.14-linuxkit", "containerd://1.7.18"]
    assert rows[worker]["EXTERNAL-IP"] == "18.191.138.60"



@pytest.mark.parametrize("binary", BINARIES)
def test_events(sandbox: SandboxEnv, namespace: str, binary: kubectl.Kubectl) -> None:
    create(sandbox, binary, namespace,
           {"apiVersion": "v1", "kind": "Event", "metadata": meta("web.17a"),
            "involvedObject": {"apiVersion": "v1", "kind": "Pod", "name": "web", "namespace": namespace,
                               "fieldPath": "spec.containers{app}"},
            "reason": "BackOff", "type": "Warning", "count": 12, "source": {"component": "kubelet", "host": "n1"},
            "message": "Back-off restarting failed container app in pod web", "firstTimestamp": ago(7200),
            "lastTimestamp": ago(1200)},
           {"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": meta("web.17b"),
            "eventTime": ago(900).replace("Z", ".000000Z"), "reportingController": "deployment-controller",
            "reportingInstance": "deployment-controller-1", "action": "ScalingReplicaSet",
            "reason": "ScalingReplicaSet", "type": "Normal", "note": "Scaled up replica set web-5d4f to 3",
            "regarding": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "namespace": namespace}})
    headers, rows = get(sandbox, binary, namespace, "events")
    assert headers == ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert list(rows["20m"].values()) == ["20m", "Warning", "BackOff", "pod/web",
                                          "Back-off restarting failed container app in pod web"]
    assert list(rows["15m"].values()) == ["15m", "Normal", "ScalingReplicaSet", "deployment/web",
                                        "Scaled up replica set web-5d4f to 3"]
    headers, rows = get(sandbox, binary, namespace, "events", "-o", "wide")
    assert headers == ["LAST SEEN", "TYPE", "REASON", "OBJECT", "SUBOBJECT", "SOURCE", "MESSAGE", "FIRST SEEN",
                       "COUNT", "NAME"]
    assert [rows["20m"][h] for h in ("SUBOBJECT", "SOURCE", "FIRST SEEN", "COUNT", "NAME")] == [
        "spec.containers{app}", "kubelet, n1", "120m", "12", "web.17a"]
    assert [rows["15m"][h] for h in ("SOURCE", "FIRST SEEN", "COUNT", "NAME")] == [
        "deployment-controller, deployment-controller-1", "15m", "1", "web.17b"]
    headers, rows = get(sandbox, binary, namespace, "events.v1.events.k8s.io")
    assert headers == ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert rows["15m"]["OBJECT"] == "deployment/web"



@pytest.mark.parametrize("binary", BINARIES)
def test_storage(sandbox: SandboxEnv, namespace: str, binary: kubectl.Kubectl) -> None:
    fast, volume, driver, attachment = (f"{namespace}-{kind}" for kind in ("fast", "pv", "csi", "va"))
    create(sandbox, binary, namespace,
           {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "provisioner": "pd.csi.storage.gke.io",
            "metadata": meta(fast, annotations={"storageclass.kubernetes.io/is-default-class": "true"}),
            "volumeBindingMode": "WaitForFirstConsumer", "allowVolumeExpansion": True},
           {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": meta(volume),
            "spec": {"capacity": {"storage": "10Gi"}, "accessModes": ["ReadWriteOnce", "ReadOnlyMany"],
                     "storageClassName": fast, "hostPath": {"path": "/data"},
                     "claimRef": {"namespace": namespace, "name": "bound"}}},
           {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": meta("bound"),
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "5Gi"}},
                     "storageClassName": fast, "volumeName": volume}},
           {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": meta("waiting"),
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}},
                     "storageClassName": "standard-v2"}},
           {"apiVersion": "storage.k8s.io/v1", "kind": "CSIDriver", "metadata": meta(driver),
            "spec": {"attachRequired": False, "volumeLifecycleModes": ["Persistent", "Ephemeral"]}},
           {"apiVersion": "storage.k8s.io/v1", "kind": "VolumeAttachment", "metadata": meta(attachment),
            "spec": {"attacher": driver, "nodeName": "node-1", "source": {"persistentVolumeName": volume}}})
    write_status(sandbox, "v1", "persistentvolumeclaims", namespace, "bound", {
        "phase": "Bound", "accessModes": ["ReadWriteOnce", "ReadOnlyMany"], "capacity": {"storage": "10Gi"}})
    write_status(sandbox, "v1", "persistentvolumes", "", volume, {"phase": "Bound"})

    headers, rows = get(sandbox, binary, namespace, "pvc", "-o", "wide")
    assert headers == ["NAME", "STATUS", "VOLUME", "CAPACITY", "ACCESS MODES", "STORAGECLASS",
                       "VOLUMEATTRIBUTESCLASS", "AGE", "VOLUMEMODE"]
    assert [rows["bound"][h] for h in headers[1:7]] == ["Bound", volume, "10Gi", "RWO,ROX", fast, "<unset>"]
    assert [rows["waiting"][h] for h in headers[1:7]] == ["Pending", "", "", "", "standard-v2", "<unset>"]
    assert rows["waiting"]["VOLUMEMODE"] == "Filesystem"

    headers, rows = parse(ok(sandbox, binary, "get", "pv", volume))
    assert headers == ["NAME", "CAPACITY", "ACCESS MODES", "RECLAIM POLICY", "STATUS", "CLAIM", "STORAGECLASS",
                       "VOLUMEATTRIBUTESCLASS", "REASON", "AGE"]
    assert [rows[volume][h] for h in headers[1:9]] == ["10Gi", "RWO,ROX", "Retain", "Bound", f"{namespace}/bound",
                                                       fast, "<unset>", ""]

    headers, rows = parse(ok(sandbox, binary, "get", "storageclass", fast))
    assert headers == ["NAME", "PROVISIONER", "RECLAIMPOLICY", "VOLUMEBINDINGMODE", "ALLOWVOLUMEEXPANSION", "AGE"]
    assert [rows[f"{fast} (default)"][h] for h in headers[1:5]] == ["pd.csi.storage.gke.io", "Delete",
                                                                    "WaitForFirstConsumer", "true"]

    headers, rows = parse(ok(sandbox, binary, "get", "csidriver", driver))
    assert headers == ["NAME", "ATTACHREQUIRED", "PODINFOONMOUNT", "STORAGECAPACITY", "TOKENREQUESTS",
                       "REQUIRESREPUBLISH", "MODES", "AGE"]
    assert [rows[driver][h] for h in headers[1:7]] == ["false", "false", "false", "<unset>", "false",
                                                       "Persistent,Ephemeral"]

    headers, rows = parse(ok(sandbox, binary, "get", "volumeattachment", attachment))
    assert headers == ["NAME", "ATTACHER", "PV", "NODE", "ATTACHED", "AGE"]
    assert [rows[attachment][h] for h in headers[1:5]] == [driver, volume, "node-1", "false"]



@pytest.mark.parametrize("binary", BINARIES)
def test_config_and_access(sandbox: SandboxEnv, namespace: str, binary: kubectl.Kubectl) -> None:
    reader = f"{namespace}-reader"
    create(sandbox, binary, namespace,
           {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta("settings"), "data": {"a": "1", "b": "2"},
            "binaryData": {"c": "AA=="}},
           {"apiVersion": "v1", "kind": "Secret", "metadata": meta("creds"), "type": "kubernetes.io/basic-auth",
            "stringData": {"username": "admin", "password": "s3cret"}},
           {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta("robot"), "secrets": [{"name": "creds"}]},
           {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": meta("pod-reader"),
            "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]},
           {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": meta("read-pods"),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "pod-reader"},
            "subjects": [{"kind": "User", "name": "jane", "apiGroup": "rbac.authorization.k8s.io"},
                         {"kind": "Group", "name": "devs", "apiGroup": "rbac.authorization.k8s.io"},
                         {"kind": "ServiceAccount", "name": "robot", "namespace": namespace}]},
           {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": meta(reader),
            "rules": [{"apiGroups": [""], "resources": ["nodes"], "verbs": ["list"]}]},
           {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": meta(reader),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": reader},
            "subjects": [{"kind": "User", "name": "jane", "apiGroup": "rbac.authorization.k8s.io"}]},
           {"apiVersion": "v1", "kind": "LimitRange", "metadata": meta("limits"),
            "spec": {"limits": [{"type": "Container", "default": {"cpu": "500m"}}]}},
           {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": meta("quota"),
            "spec": {"hard": {"requests.cpu": "4", "limits.memory": "8Gi", "pods": "10"}}})
    write_status(sandbox, "v1", "resourcequotas", namespace, "quota", {
        "hard": {"requests.cpu": "4", "limits.memory": "8Gi", "pods": "10"},
        "used": {"requests.cpu": "1500m", "limits.memory": "2Gi", "pods": "3"}})

    headers, rows = get(sandbox, binary, namespace, "configmaps")
    assert headers == ["NAME", "DATA", "AGE"]
    assert rows["settings"]["DATA"] == "3"
    headers, rows = get(sandbox, binary, namespace, "secrets")
    assert headers == ["NAME", "TYPE", "DATA", "AGE"]
    assert [rows["creds"]["TYPE"], rows["creds"]["DATA"]] == ["kubernetes.io/basic-auth", "2"]
    headers, rows = get(sandbox, binary, namespace, "serviceaccounts")
    assert headers == ["NAME", "SECRETS", "AGE"]
    assert rows["robot"]["SECRETS"] == "1"
    headers, rows = get(sandbox, binary, namespace, "roles")
    assert headers == ["NAME", "CREATED AT"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", rows["pod-reader"]["CREATED AT"])
    headers, rows = get(sandbox, binary, namespace, "rolebindings", "-o", "wide")
    assert headers == ["NAME", "ROLE", "AGE", "USERS", "GROUPS", "SERVICEACCOUNTS"]
    assert [rows["read-pods"][h] for h in ("ROLE", "USERS", "GROUPS", "SERVICEACCOUNTS")] == [
        "Role/pod-reader", "jane", "devs", f"{namespace}:robot"]
    headers, rows = parse(ok(sandbox, binary, "get", "clusterrole", reader))
    assert headers == ["NAME", "CREATED AT"]
    headers, rows = parse(ok(sandbox, binary, "get", "clusterrolebinding", reader, "-o", "wide"))
    assert headers == ["NAME", "ROLE", "AGE", "USERS", "GROUPS", "SERVICEACCOUNTS"]
    assert [rows[reader]["ROLE"], rows[reader]["USERS"]] == [f"ClusterRole/{reader}", "jane"]
    headers, rows = get(sandbox, binary, namespace, "limitranges")
    assert headers == ["NAME", "CREATED AT"]
    assert "limits" in rows
    headers, rows = get(sandbox, binary, namespace, "resourcequotas")
    assert headers == ["NAME", "AGE", "REQUEST", "LIMIT"]
    assert [rows["quota"]["REQUEST"], rows["quota"]["LIMIT"]] == ["pods: 3/10, requests.cpu: 1500m/4",
                                                                  "limits.memory: 2Gi/8Gi"]



@pytest.mark.parametrize("binary", BINARIES)
def test_policy_scaling_and_cluster_plumbing(sandbox: SandboxEnv, namespace: str, binary: kubectl.Kubectl) -> None:
    priority, runtime, webhook, ingress_class = (f"{namespace}-{kind}" for kind in ("pc", "rc", "wh", "ic"))
    create(sandbox, binary, namespace,
           {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": meta("web"),
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                     "minReplicas": 2, "maxReplicas": 10, "metrics": [
                         {"type": "Resource", "resource": {"name": "cpu", "target": {
                             "type": "Utilization", "averageUtilization": 80}}},
                         {"type": "Resource", "resource": {"name": "memory", "target": {
                             "type": "AverageValue", "averageValue": "500Mi"}}}]}},
           {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": meta("web"),
            "spec": {"minAvailable": "50%", "selector": {"matchLabels": {"app": "web"}}}},
           {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": meta("db"),
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "db"}}}},
           {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": meta("leader"),
            "spec": {"holderIdentity": "controller-7f9c", "leaseDurationSeconds": 15}},
           {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": meta(priority),
            "value": 100000, "globalDefault": False, "preemptionPolicy": "Never"},
           {"apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass", "metadata": meta(runtime), "handler": "runsc"},
           {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
            "metadata": meta(webhook), "webhooks": [{
                "name": "check.example.com", "admissionReviewVersions": ["v1"], "sideEffects": "None",
                "clientConfig": {"url": "https://127.0.0.1:9443/validate"}}]},
           {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": meta(ingress_class),
            "spec": {"controller": "k8s.io/ingress-nginx",
                     "parameters": {"apiGroup": "k8s.example.com", "kind": "IngressParameters", "name": "external"}}})
    write_status(sandbox, "autoscaling/v2", "horizontalpodautoscalers", namespace, "web", {
        "currentReplicas": 4, "desiredReplicas": 4, "currentMetrics": [
            {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 30,
                                                                          "averageValue": "120m"}}},
            {"type": "Resource", "resource": {"name": "memory", "current": {"averageValue": "300Mi"}}}]})
    write_status(sandbox, "policy/v1", "poddisruptionbudgets", namespace, "web", {
        "disruptionsAllowed": 1, "currentHealthy": 3, "desiredHealthy": 2, "expectedPods": 3})

    headers, rows = get(sandbox, binary, namespace, "hpa")
    assert headers == ["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"]
    assert [rows["web"][h] for h in headers[1:6]] == ["Deployment/web", "cpu: 30%/80%, memory: 300Mi/500Mi", "2",
                                                      "10", "4"]
    headers, rows = get(sandbox, binary, namespace, "pdb")
    assert headers == ["NAME", "MIN AVAILABLE", "MAX UNAVAILABLE", "ALLOWED DISRUPTIONS", "AGE"]
    assert [rows["web"][h] for h in headers[1:4]] == ["50%", "N/A", "1"]
    assert [rows["db"][h] for h in headers[1:4]] == ["N/A", "1", "0"]
    headers, rows = get(sandbox, binary, namespace, "leases")
    assert headers == ["NAME", "HOLDER", "AGE"]
    assert rows["leader"]["HOLDER"] == "controller-7f9c"
    headers, rows = parse(ok(sandbox, binary, "get", "priorityclass", priority, "-o", "wide"))
    assert headers == ["NAME", "VALUE", "GLOBAL-DEFAULT", "AGE", "PREEMPTIONPOLICY"]
    assert [rows[priority][h] for h in ("VALUE", "GLOBAL-DEFAULT", "PREEMPTIONPOLICY")] == ["100000", "false",
                                                                                          "Never"]
    headers, rows = parse(ok(sandbox, binary, "get", "runtimeclass", runtime))
    assert headers == ["NAME", "HANDLER", "AGE"]
    assert rows[runtime]["HANDLER"] == "runsc"
    headers, rows = parse(ok(sandbox, binary, "get", "validatingwebhookconfiguration", webhook))
    assert headers == ["NAME", "WEBHOOKS", "AGE"]
    assert rows[webhook]["WEBHOOKS"] == "1"
    headers, rows = parse(ok(sandbox, binary, "get", "ingressclass", ingress_class))
    assert headers == ["NAME", "CONTROLLER", "PARAMETERS", "AGE"]
    assert [rows[ingress_class]["CONTROLLER"], rows[ingress_class]["PARAMETERS"]] == [
        "k8s.io/ingress-nginx", "IngressParameters.k8s.example.com/external"]
