"""The columns the inventory agent shows for each kind, in the spirit of `kubectl get`: the few facts a
person scans first. Values of ConfigMaps and Secrets are never read here, only their key counts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kubegenie.domain import quantity
from kubegenie.domain.durations import human_duration, parse_rfc3339
from kubegenie.domain.intents import ResourceKind
from kubegenie.domain.labels import format_selector
from kubegenie.domain.pods import pod_summary

Obj = dict[str, Any]
Row = list[Any]


def age(obj: Obj, now: float) -> str:
    created = (obj.get("metadata") or {}).get("creationTimestamp")
    return human_duration(now - parse_rfc3339(created).timestamp()) if created else "<unknown>"


def since(timestamp: str | None, now: float) -> str:
    return human_duration(now - parse_rfc3339(timestamp).timestamp()) if timestamp else "<unknown>"


def restarts_cell(restarts: int, last: Any, now: float) -> str:
    if restarts and last is not None:
        return f"{restarts} ({human_duration(now - last.timestamp())} ago)"
    return str(restarts)


def _pods(obj: Obj, now: float) -> Row:
    ready, reason, restarts, last = pod_summary(obj)
    return [ready, reason, restarts_cell(restarts, last, now), age(obj, now),
            (obj.get("spec") or {}).get("nodeName") or "<none>"]


def _deployments(obj: Obj, now: float) -> Row:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    return [f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 0)}", status.get("updatedReplicas", 0),
            status.get("availableReplicas", 0), age(obj, now)]


def _statefulsets(obj: Obj, now: float) -> Row:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    return [f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 0)}", age(obj, now)]


def _daemonsets(obj: Obj, now: float) -> Row:
    status = obj.get("status") or {}
    return [status.get("desiredNumberScheduled", 0), status.get("currentNumberScheduled", 0),
            status.get("numberReady", 0), status.get("numberAvailable", 0), age(obj, now)]


def _replicasets(obj: Obj, now: float) -> Row:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    return [spec.get("replicas", 0), status.get("replicas", 0), status.get("readyReplicas", 0), age(obj, now)]


def job_state(obj: Obj) -> str:
    conditions = {c.get("type"): c for c in (obj.get("status") or {}).get("conditions") or []}
    for kind in ("Failed", "Complete", "Suspended"):
        condition = conditions.get(kind)
        if condition and condition.get("status") == "True":
            return "Failed" if kind == "Failed" else kind
    return "Running"


def _jobs(obj: Obj, now: float) -> Row:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    return [job_state(obj), f"{status.get('succeeded', 0)}/{spec.get('completions', 1)}", age(obj, now)]


def _cronjobs(obj: Obj, now: float) -> Row:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    last = status.get("lastScheduleTime")
    return [spec.get("schedule", ""), "True" if spec.get("suspend") else "False", len(status.get("active") or []),
            since(last, now) if last else "<none>", age(obj, now)]


def service_ports(obj: Obj) -> str:
    ports = []
    for port in (obj.get("spec") or {}).get("ports") or []:
        text = str(port.get("port"))
        if port.get("nodePort"):
            text += f":{port['nodePort']}"
        ports.append(f"{text}/{port.get('protocol', 'TCP')}")
    return ",".join(ports) or "<none>"


def external_ip(obj: Obj) -> str:
    spec = obj.get("spec") or {}
    ingress = ((obj.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    addresses = [i.get("ip") or i.get("hostname") for i in ingress] + list(spec.get("externalIPs") or [])
    if addresses:
        return ",".join(str(a) for a in addresses)
    return "<pending>" if spec.get("type") == "LoadBalancer" else "<none>"


def _services(obj: Obj, now: float) -> Row:
    spec = obj.get("spec") or {}
    return [spec.get("type", "ClusterIP"), spec.get("clusterIP", ""), external_ip(obj), service_ports(obj),
            age(obj, now)]


def _ingresses(obj: Obj, now: float) -> Row:
    spec = obj.get("spec") or {}
    hosts = [rule.get("host") for rule in spec.get("rules") or [] if rule.get("host")]
    ingress = ((obj.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    return [spec.get("ingressClassName") or "<none>", ",".join(hosts) or "*",
            ",".join(i.get("ip") or i.get("hostname") or "" for i in ingress) or "<none>", age(obj, now)]


def _configmaps(obj: Obj, now: float) -> Row:
    return [len(obj.get("data") or {}) + len(obj.get("binaryData") or {}), age(obj, now)]


def _secrets(obj: Obj, now: float) -> Row:
    return [obj.get("type", "Opaque"), len(obj.get("data") or {}), age(obj, now)]


def _pvcs(obj: Obj, now: float) -> Row:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    capacity = (status.get("capacity") or {}).get("storage") or \
        ((spec.get("resources") or {}).get("requests") or {}).get("storage", "")
    return [status.get("phase", ""), spec.get("volumeName") or "<none>", capacity,
            spec.get("storageClassName") or "<none>", age(obj, now)]


def _pvs(obj: Obj, now: float) -> Row:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    claim = spec.get("claimRef") or {}
    return [(spec.get("capacity") or {}).get("storage", ""), spec.get("persistentVolumeReclaimPolicy", ""),
            status.get("phase", ""), f"{claim.get('namespace')}/{claim.get('name')}" if claim else "<none>",
            spec.get("storageClassName") or "<none>", age(obj, now)]


def node_ready(obj: Obj) -> str:
    for condition in (obj.get("status") or {}).get("conditions") or []:
        if condition.get("type") == "Ready":
            return "Ready" if condition.get("status") == "True" else "NotReady"
    return "Unknown"


def node_roles(obj: Obj) -> str:
    roles = sorted(label.split("/", 1)[1] for label in (obj.get("metadata") or {}).get("labels") or {}
                   if label.startswith("node-role.kubernetes.io/") and label.split("/", 1)[1])
    return ",".join(roles) or "<none>"


def node_status(obj: Obj) -> str:
    status = node_ready(obj)
    if (obj.get("spec") or {}).get("unschedulable"):
        status += ",SchedulingDisabled"
    return status


def _nodes(obj: Obj, now: float) -> Row:
    info = (obj.get("status") or {}).get("nodeInfo") or {}
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return [node_status(obj), node_roles(obj), info.get("kubeletVersion", ""),
            labels.get("node.kubernetes.io/instance-type", "<none>"), age(obj, now)]


def _namespaces(obj: Obj, now: float) -> Row:
    return [(obj.get("status") or {}).get("phase", "Active"), age(obj, now)]


def event_object(obj: Obj) -> str:
    involved = obj.get("involvedObject") or {}
    return f"{str(involved.get('kind', '')).lower()}/{involved.get('name', '')}"


def event_time(obj: Obj) -> str | None:
    value = obj.get("lastTimestamp") or obj.get("eventTime") or (obj.get("metadata") or {}).get("creationTimestamp")
    return str(value) if value else None


def _events(obj: Obj, now: float) -> Row:
    return [since(event_time(obj), now), obj.get("type", ""), obj.get("reason", ""), event_object(obj),
            obj.get("message", "")]


def _hpas(obj: Obj, now: float) -> Row:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    ref = spec.get("scaleTargetRef") or {}
    return [f"{ref.get('kind')}/{ref.get('name')}", spec.get("minReplicas", 1), spec.get("maxReplicas", ""),
            status.get("currentReplicas", 0), age(obj, now)]


def _pdbs(obj: Obj, now: float) -> Row:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    return [spec.get("minAvailable", "N/A"), spec.get("maxUnavailable", "N/A"), status.get("disruptionsAllowed", 0),
            age(obj, now)]


def _serviceaccounts(obj: Obj, now: float) -> Row:
    return [age(obj, now)]


def _storageclasses(obj: Obj, now: float) -> Row:
    default = ((obj.get("metadata") or {}).get("annotations") or {}).get(
        "storageclass.kubernetes.io/is-default-class") == "true"
    return [obj.get("provisioner", ""), "yes" if default else "", obj.get("reclaimPolicy", "Delete"),
            obj.get("volumeBindingMode", "Immediate"), age(obj, now)]


def _networkpolicies(obj: Obj, now: float) -> Row:
    selector = (obj.get("spec") or {}).get("podSelector") or {}
    text = format_selector(selector.get("matchLabels"), selector.get("matchExpressions")) or "<all pods>"
    return [text, age(obj, now)]


COLUMNS: dict[ResourceKind, tuple[list[str], Callable[[Obj, float], Row]]] = {
    ResourceKind.POD: (["Ready", "Status", "Restarts", "Age", "Node"], _pods),
    ResourceKind.DEPLOYMENT: (["Ready", "Up-to-date", "Available", "Age"], _deployments),
    ResourceKind.STATEFULSET: (["Ready", "Age"], _statefulsets),
    ResourceKind.DAEMONSET: (["Desired", "Current", "Ready", "Available", "Age"], _daemonsets),
    ResourceKind.REPLICASET: (["Desired", "Current", "Ready", "Age"], _replicasets),
    ResourceKind.JOB: (["Status", "Completions", "Age"], _jobs),
    ResourceKind.CRONJOB: (["Schedule", "Suspend", "Active", "Last schedule", "Age"], _cronjobs),
    ResourceKind.SERVICE: (["Type", "Cluster-IP", "External-IP", "Ports", "Age"], _services),
    ResourceKind.INGRESS: (["Class", "Hosts", "Address", "Age"], _ingresses),
    ResourceKind.CONFIGMAP: (["Keys", "Age"], _configmaps),
    ResourceKind.SECRET: (["Type", "Keys", "Age"], _secrets),
    ResourceKind.PVC: (["Status", "Volume", "Capacity", "Storage class", "Age"], _pvcs),
    ResourceKind.PV: (["Capacity", "Reclaim policy", "Status", "Claim", "Storage class", "Age"], _pvs),
    ResourceKind.NODE: (["Status", "Roles", "Version", "Instance type", "Age"], _nodes),
    ResourceKind.NAMESPACE: (["Status", "Age"], _namespaces),
    ResourceKind.EVENT: (["Last seen", "Type", "Reason", "Object", "Message"], _events),
    ResourceKind.HPA: (["Reference", "Min", "Max", "Replicas", "Age"], _hpas),
    ResourceKind.PDB: (["Min available", "Max unavailable", "Allowed disruptions", "Age"], _pdbs),
    ResourceKind.SERVICE_ACCOUNT: (["Age"], _serviceaccounts),
    ResourceKind.STORAGE_CLASS: (["Provisioner", "Default", "Reclaim policy", "Binding mode", "Age"], _storageclasses),
    ResourceKind.NETWORK_POLICY: (["Pod selector", "Age"], _networkpolicies),
}


def cpu_text(value: Any) -> str:
    try:
        return f"{quantity.cpu_millicores(value)}m"
    except quantity.QuantityError:
        return str(value)


def memory_text(value: Any) -> str:
    try:
        return f"{quantity.memory_bytes(value) // (1024 * 1024)}Mi"
    except quantity.QuantityError:
        return str(value)
