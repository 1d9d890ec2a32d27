"""Defaulting and canonicalisation as kube-apiserver does it on every write (SetDefaults_* in
k8s.io/kubernetes/pkg/apis/*/v1/defaults.go, plus the admission plugins that fill fields:
ServiceAccount, DefaultTolerationSeconds, DefaultStorageClass). Also allocates Service IPs and ports.

Functions mutate the object they are given (a fresh copy owned by the caller).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kubegenie.domain import quantity
from kubegenie.domain.durations import rfc3339
from kubegenie.sandbox import status
from kubegenie.sandbox.resources import ResourceType
from kubegenie.sandbox.store import Obj

if TYPE_CHECKING:
    from kubegenie.sandbox.cluster import Cluster

Defaulter = Callable[["Cluster", Obj, bool], None]
_DEFAULTERS: dict[str, Defaulter] = {}


def defaulter(*keys: str) -> Callable[[Defaulter], Defaulter]:
    def register(func: Defaulter) -> Defaulter:
        for key in keys:
            _DEFAULTERS[key] = func
        return func

    return register


def apply(cluster: Cluster, rtype: ResourceType, obj: Obj, creating: bool) -> None:
    """Fill defaults of `obj` (stored version of `rtype`) in place; admission defaults only on create."""
    func = _DEFAULTERS.get(rtype.storage_key)
    if func is not None:
        func(cluster, obj, creating)


# --- quantities and containers ---------------------------------------------------------------------

def canonical_resources(resources: Any, field: str) -> None:
    """Canonicalise a ResourceRequirements (or a plain quantity map) in place; invalid values are 422."""
    if not isinstance(resources, dict):
        return
    for section in ("limits", "requests"):
        values = resources.get(section)
        if not isinstance(values, dict):
            continue
        for name, value in list(values.items()):
            try:
                values[name] = quantity.canonical(value)
            except quantity.QuantityError as exc:
                raise status.ApiError(400, "BadRequest", f"quantities must match the regular expression "
                                      f"'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$' ({field}.{section}."
                                      f"{name})") from exc


def _image_pull_policy(image: str) -> str:
    last = image.rsplit("/", 1)[-1]
    if "@" in last:
        return "IfNotPresent"
    tag = last.split(":", 1)[1] if ":" in last else ""
    return "Always" if tag in ("", "latest") else "IfNotPresent"


def _container_defaults(container: Obj, field: str) -> None:
    container.setdefault("imagePullPolicy", _image_pull_policy(str(container.get("image", ""))))
    container.setdefault("terminationMessagePath", "/dev/termination-log")
    container.setdefault("terminationMessagePolicy", "File")
    resources = container.setdefault("resources", {})
    canonical_resources(resources, f"{field}.resources")
    limits = resources.get("limits") or {}
    if limits:
        requests = resources.setdefault("requests", {})
        for name, value in limits.items():
            requests.setdefault(name, value)
    for port in container.get("ports") or []:
        if isinstance(port, dict):
            port.setdefault("protocol", "TCP")
    for probe_name in ("livenessProbe", "readinessProbe", "startupProbe"):
        probe = container.get(probe_name)
        if isinstance(probe, dict):
            probe.setdefault("timeoutSeconds", 1)
            probe.setdefault("periodSeconds", 10)
            probe.setdefault("successThreshold", 1)
            probe.setdefault("failureThreshold", 3)
            http_get = probe.get("httpGet")
            if isinstance(http_get, dict):
                http_get.setdefault("path", "/")
                http_get.setdefault("scheme", "HTTP")


def pod_spec_defaults(spec: Obj, field: str = "spec") -> None:
    """SetDefaults_PodSpec and the container defaults, as for templates and pods alike."""
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    for index, container in enumerate(spec.get("initContainers") or []):
        if isinstance(container, dict):
            _container_defaults(container, f"{field}.initContainers[{index}]")
    for index, container in enumerate(spec.get("containers") or []):
        if isinstance(container, dict):
            _container_defaults(container, f"{field}.containers[{index}]")
    overhead = spec.get("overhead")
    if isinstance(overhead, dict):
        canonical_resources({"limits": overhead}, f"{field}.overhead")
    for volume in spec.get("volumes") or []:
        if isinstance(volume, dict) and not any(key != "name" for key in volume):
            volume["emptyDir"] = {}
        if isinstance(volume, dict) and isinstance(volume.get("secret"), dict):
            volume["secret"].setdefault("defaultMode", 420)
        if isinstance(volume, dict) and isinstance(volume.get("configMap"), dict):
            volume["configMap"].setdefault("defaultMode", 420)
        if isinstance(volume, dict) and isinstance(volume.get("emptyDir"), dict) \
                and "sizeLimit" in volume["emptyDir"]:
            volume["emptyDir"]["sizeLimit"] = quantity.canonical(volume["emptyDir"]["sizeLimit"])


def template_defaults(template: Any, field: str) -> None:
    if not isinstance(template, dict):
        return
    template.setdefault("metadata", {})
    spec = template.get("spec")
    if isinstance(spec, dict):
        pod_spec_defaults(spec, f"{field}.spec")


def qos_class(spec: Obj) -> str:
    """BestEffort, Burstable or Guaranteed, from the containers' requests and limits."""
    containers = [c for c in (spec.get("containers") or []) + (spec.get("initContainers") or [])
                  if isinstance(c, dict)]
    any_set = False
    guaranteed = True
    for container in containers:
        resources = container.get("resources") or {}
        requests, limits = resources.get("requests") or {}, resources.get("limits") or {}
        if requests or limits:
            any_set = True
        for name in ("cpu", "memory"):
            if name not in limits or requests.get(name, limits[name]) != limits[name]:
                guaranteed = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


_ACCESS_VOLUME_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"


@defaulter("pods")
def _pod(cluster: Cluster, obj: Obj, creating: bool) -> None:
    spec = obj.setdefault("spec", {})
    if not isinstance(spec, dict):
        return
    pod_spec_defaults(spec)
    spec.setdefault("serviceAccountName", spec.get("serviceAccount") or "default")
    spec.setdefault("serviceAccount", spec["serviceAccountName"])
    spec.setdefault("enableServiceLinks", True)
    spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
    spec.setdefault("priority", 0)
    tolerations = spec.setdefault("tolerations", [])
    for key in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"):
        if not any(isinstance(t, dict) and t.get("key") == key and t.get("effect") in (None, "", "NoExecute")
                   for t in tolerations):
            tolerations.append({"key": key, "operator": "Exists", "effect": "NoExecute",
                                "tolerationSeconds": 300})
    if creating and spec.get("automountServiceAccountToken", True):
        _add_service_account_volume(obj, spec)
    status_obj = obj.setdefault("status", {})
    status_obj.setdefault("phase", "Pending")
    status_obj["qosClass"] = qos_class(spec)
    if creating and spec.get("schedulingGates") and isinstance(status_obj, dict) and not any(
            isinstance(c, dict) and c.get("type") == "PodScheduled" for c in status_obj.get("conditions") or []):
        # The pod strategy's PrepareForCreate (applySchedulingGatedCondition).
        status_obj["conditions"] = [*(status_obj.get("conditions") or []), {
            "type": "PodScheduled", "status": "False", "lastProbeTime": None,
            "lastTransitionTime": rfc3339(cluster.clock.now()), "reason": "SchedulingGated",
            "message": "Scheduling is blocked due to non-empty scheduling gates"}]


def _add_service_account_volume(obj: Obj, spec: Obj) -> None:
    volumes = spec.setdefault("volumes", [])
    if any(isinstance(v, dict) and str(v.get("name", "")).startswith("kube-api-access-") for v in volumes):
        return
    seed = f"{obj['metadata'].get('namespace')}/{obj['metadata'].get('name')}".encode()
    suffix = "".join("bcdfghjklmnpqrstvwxz2456789"[b % 27] for b in hashlib.sha256(seed).digest()[:5])
    name = f"kube-api-access-{suffix}"
    volumes.append({"name": name, "projected": {"defaultMode": 420, "sources": [
        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
        {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1",
                                                                       "fieldPath": "metadata.namespace"}}]}},
    ]}})
    for container in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        if isinstance(container, dict):
            mounts = container.setdefault("volumeMounts", [])
            if not any(isinstance(m, dict) and m.get("mountPath") == _ACCESS_VOLUME_PATH for m in mounts):
                mounts.append({"name": name, "readOnly": True, "mountPath": _ACCESS_VOLUME_PATH})


@defaulter("podtemplates")
def _pod_template(cluster: Cluster, obj: Obj, creating: bool) -> None:
    template_defaults(obj.get("template"), "template")


@defaulter("apps/deployments")
def _deployment(cluster: Cluster, obj: Obj, creating: bool) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    strategy = spec.setdefault("strategy", {})
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = strategy.setdefault("rollingUpdate", {})
        rolling.setdefault("maxUnavailable", "25%")
        rolling.setdefault("maxSurge", "25%")
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)
    template_defaults(spec.get("template"), "spec.template")


@defaulter("apps/replicasets", "replicationcontrollers")
def _replicaset(cluster: Cluster, obj: Obj, creating: bool) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    template_defaults(spec.get("template"), "spec.template")


@defaulter("apps/statefulsets")
def _statefulset(cluster: Cluster, obj: Obj, creating: bool) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    spec.setdefault("podManagementPolicy", "OrderedReady")
    strategy = spec.setdefault("updateStrategy", {"type": "RollingUpdate"})
    if strategy.get("type", "RollingUpdate") == "RollingUpdate":
        strategy.setdefault("type", "RollingUpdate")
        strategy.setdefault("rollingUpdate", {"partition": 0})
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("persistentVolumeClaimRetentionPolicy", {"whenDeleted": "Retain", "whenScaled": "Retain"})
    for claim in spec.get("volumeClaimTemplates") or []:
        if isinstance(claim, dict):
            claim.setdefault("apiVersion", "v1")
            claim.setdefault("kind", "PersistentVolumeClaim")
            claim_spec = claim.setdefault("spec", {})
            claim_spec.setdefault("volumeMode", "Filesystem")
            canonical_resources(claim_spec.get("resources"), "spec.volumeClaimTemplates.spec.resources")
            claim.setdefault("status", {"phase": "Pending"})
    template_defaults(spec.get("template"), "spec.template")


@defaulter("apps/daemonsets")
def _daemonset(cluster: Cluster, obj: Obj, creating: bool) -> None:
    spec = obj.setdefault("spec", {})
    strategy = spec.setdefault("updateStrategy", {"type": "RollingUpdate"})
    if strategy.get("type", "RollingUpdate") == "RollingUpdate":
        strategy.setdefault("type", "RollingUpdate")
        rolling = strategy.setdefault("rollingUpdate", {})
        rolling.setdefault("maxUnavailable", 1)
        rolling.setdefault("maxSurge", 0)
    spec.setdefault("revisionHistoryLimit", 10)
    template_defaults(spec.get("template"), "spec.template")


@defaulter("batch/jobs")
def _job(cluster: Cluster, obj: Obj, creating: bool) -> None:
    spec = obj.setdefault("spec", {})
    job_spec_defaults(spec, obj.get("metadata", {}))


def job_spec_defaults(spec: Obj, meta: Obj) -> None:
    spec.setdefault("parallelism", 1)
    if spec.get("completions") is None and spec.get("completionMode", "NonIndexed") == "NonIndexed" \
            and "completions" not in spec:
        spec["completions"] = 1
    spec.setdefault("backoffLimit", 6)
    spec.setdefault("completionMode", "NonIndexed")
    spec.setdefault("suspend", False)
    spec.setdefault("podReplacementPolicy", "TerminatingOrFailed")
    template = spec.get("template")
    if isinstance(template, dict) and meta.get("uid") and not spec.get("manualSelector"):
        uid, name = meta["uid"], meta.get("name", "")
        labels = {"batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name": name,
                  "controller-uid": uid, "job-name": name}
        template.setdefault("metadata", {}).setdefault("labels", {}).update(labels)
        spec.setdefault("selector", {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}})
    template_defaults(template, "spec.template")


@defaulter("batch/cronjobs")
def _cronjob(cluster: Cluster, obj: Obj, creating: bool) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("concurrencyPolicy", "Allow")
    spec.setdefault("suspend", False)
    spec.setdefault("successfulJobsHistoryLimit", 3)
    spec.setdefault("failedJobsHistoryLimit", 1)
    job_template = spec.get("jobTemplate")
    if isinstance(job_template, dict):
        job_template.setdefault("metadata", {})
        job_spec = job_template.setdefault("spec", {})
        for key, value in (("parallelism", 1), ("completions", 1), ("backoffLimit", 6),
                           ("completionMode", "NonIndexed"), ("suspend", False),
                           ("podReplacementPolicy", "TerminatingOrFailed")):
            job_spec.setdefault(key, value)
        template_defaults(job_spec.get("template"), "spec.jobTemplate.spec.template")


@defaulter("services")
def _service(cluster: Cluster, obj: Obj, creating: bool) -> None:
    spec = obj.setdefault("spec", {})
    service_type = spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    if service_type != "ExternalName":
        if not spec.get("clusterIP"):
            spec["clusterIP"] = cluster.allocate_cluster_ip()
        spec.setdefault("clusterIPs", [spec["clusterIP"]] if spec["clusterIP"] != "None" else ["None"])
        spec.setdefault("ipFamilies", ["IPv4"])
        spec.setdefault("ipFamilyPolicy", "SingleStack")
        spec.setdefault("internalTrafficPolicy", "Cluster")
    for port in spec.get("ports") or []:
        if not isinstance(port, dict):
            continue
        port.setdefault("protocol", "TCP")
        if "port" in port:
            port.setdefault("targetPort", port["port"])
        if service_type in ("NodePort", "LoadBalancer") and not port.get("nodePort"):
            port["nodePort"] = cluster.allocate_node_port()
    if service_type in ("NodePort", "LoadBalancer"):
        spec.setdefault("externalTrafficPolicy", "Cluster")
    if service_type == "LoadBalancer":
        spec.setdefault("allocateLoadBalancerNodePorts", True)
    obj.setdefault("status", {}).setdefault("loadBalancer", {})


@defaulter("namespaces")
def _namespace(cluster: Cluster, obj: Obj, creating: bool) -> None:
    meta = obj["metadata"]
    meta.setdefault("labels", {})["kubernetes.io/metadata.name"] = meta["name"]
    obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
    obj.setdefault("status", {}).setdefault("phase", "Active")


@defaulter("persistentvolumeclaims")
def _pvc(cluster: Cluster, obj: Obj, creating: bool) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("volumeMode", "Filesystem")
    canonical_resources(spec.get("resources"), "spec.resources")
    if creating and "storageClassName" not in spec:
        default_class = cluster.default_storage_class()
        if default_class:
            spec["storageClassName"] = default_class
    obj.setdefault("status", {}).setdefault("phase", "Pending")


@defaulter("persistentvolumes")
def _pv(cluster: Cluster, obj: Obj, creating: bool) -> None:
    spec = obj.setdefault("spec", {})
    capacity = spec.get("capacity")
    if isinstance(capacity, dict):
        canonical_resources({"limits": capacity}, "spec.capacity")
    spec.setdefault("persistentVolumeReclaimPolicy", "Retain")
    spec.setdefault("volumeMode", "Filesystem")
    obj.setdefault("status", {}).setdefault("phase", "Pending")


@defaulter("secrets")
def _secret(cluster: Cluster, obj: Obj, creating: bool) -> None:
    obj.setdefault("type", "Opaque")
    string_data = obj.pop("stringData", None)
    if isinstance(string_data, dict):
        data = obj.setdefault("data", {})
        for key, value in string_data.items():
            data[key] = base64.b64encode(str(value).encode()).decode()


@defaulter("limitranges", "resourcequotas")
def _quota(cluster: Cluster, obj: Obj, creating: bool) -> None:
    spec = obj.get("spec")
    if isinstance(spec, dict) and isinstance(spec.get("hard"), dict):
        canonical_resources({"limits": spec["hard"]}, "spec.hard")
    for limit in (spec or {}).get("limits") or []:
        if isinstance(limit, dict):
            for section in ("max", "min", "default", "defaultRequest", "maxLimitRequestRatio"):
                if isinstance(limit.get(section), dict):
                    canonical_resources({"limits": limit[section]}, f"spec.limits.{section}")


@defaulter("nodes")
def _node(cluster: Cluster, obj: Obj, creating: bool) -> None:
    node_status = obj.get("status")
    if isinstance(node_status, dict):
        for section in ("capacity", "allocatable"):
            if isinstance(node_status.get(section), dict):
                canonical_resources({"limits": node_status[section]}, f"status.{section}")


@defaulter("storage.k8s.io/storageclasses")
def _storage_class(cluster: Cluster, obj: Obj, creating: bool) -> None:
    obj.setdefault("reclaimPolicy", "Delete")
    obj.setdefault("volumeBindingMode", "Immediate")


@defaulter("networking.k8s.io/ingresses")
def _ingress(cluster: Cluster, obj: Obj, creating: bool) -> None:
    for rule in (obj.get("spec") or {}).get("rules") or []:
        for path in ((rule or {}).get("http") or {}).get("paths") or []:
            if isinstance(path, dict):
                path.setdefault("pathType", "ImplementationSpecific")
    obj.setdefault("status", {}).setdefault("loadBalancer", {})


@defaulter("networking.k8s.io/networkpolicies")
def _network_policy(cluster: Cluster, obj: Obj, creating: bool) -> None:
    spec = obj.setdefault("spec", {})
    if "policyTypes" not in spec:
        types = ["Ingress"]
        if spec.get("egress"):
            types.append("Egress")
        spec["policyTypes"] = types


@defaulter("policy/poddisruptionbudgets")
def _pdb(cluster: Cluster, obj: Obj, creating: bool) -> None:
    obj.setdefault("spec", {})
