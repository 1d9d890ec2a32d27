"""What an object counts against a ResourceQuota, as kube's quota evaluators measure it: pods (requests and
limits of cpu, memory, ephemeral storage and extended resources; `pods` only while not terminal), services
(load balancers, node ports), claims (storage, per StorageClass) and an object count for every type; which
quotas' scopes match a pod; and a namespace's total usage for a quota's status. No API semantics here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from kubegenie.domain import quantity
from kubegenie.domain.durations import parse_rfc3339
from kubegenie.sandbox.store import Obj

if TYPE_CHECKING:
    from kubegenie.sandbox.cluster import Cluster
    from kubegenie.sandbox.resources import ResourceType

STORAGE_CLASS_SUFFIX = ".storageclass.storage.k8s.io/"
LEGACY_COUNTS = {"configmaps": "configmaps", "secrets": "secrets", "resourcequotas": "resourcequotas",
                 "replicationcontrollers": "replicationcontrollers"}
"""Object counts quota also knows by their old names."""
NATIVE = ("cpu", "memory", "ephemeral-storage")
IGNORED = frozenset({"events", "events.k8s.io/events"})
"""Types kube-apiserver's quota admission never evaluates."""


@dataclass(frozen=True)
class Amount:
    """A quantity and the suffix family it was written in (memory stays in Mi/Gi when summed)."""

    value: Decimal
    binary: bool = False

    @classmethod
    def of(cls, text: object) -> Amount:
        try:
            value = quantity.parse(text)  # type: ignore[arg-type]
        except (quantity.QuantityError, TypeError):
            return cls(Decimal(0))
        return cls(value, isinstance(text, str) and text.strip()[-2:] in ("Ki", "Mi", "Gi", "Ti", "Pi", "Ei"))

    def __add__(self, other: Amount) -> Amount:
        # Quantity.Add: the sum keeps the receiver's format, unless the receiver is zero.
        return Amount(self.value + other.value, other.binary if self.value == 0 else self.binary)

    def __sub__(self, other: Amount) -> Amount:
        return Amount(self.value - other.value, self.binary)

    def text(self) -> str:
        """Quantity.String(): binary values that are whole multiples of 1024 keep a binary suffix."""
        if self.binary and self.value == self.value.to_integral_value() and abs(self.value) >= 1024 \
                and int(self.value) % 1024 == 0:
            return quantity.canonical(f"{int(self.value) // 1024}Ki")
        return quantity.canonical(str(self.value))


ResourceList = dict[str, Amount]
ONE = Amount(Decimal(1))


def parse_list(values: object) -> ResourceList:
    if not isinstance(values, dict):
        return {}
    return {str(name): Amount.of(value) for name, value in values.items()}


def add(a: ResourceList, b: ResourceList) -> ResourceList:
    result = dict(a)
    for name, amount in b.items():
        result[name] = result[name] + amount if name in result else amount
    return result


def mask(values: ResourceList, names: Iterable[str]) -> ResourceList:
    wanted = set(names)
    return {name: amount for name, amount in values.items() if name in wanted}


def pretty(values: ResourceList) -> str:
    """`a=1,b=2Gi`, sorted by name, as the quota admission's errors print resource lists."""
    return ",".join(f"{name}={values[name].text()}" for name in sorted(values))


def count_name(rtype: ResourceType) -> str:
    return f"count/{rtype.plural}.{rtype.group}" if rtype.group else f"count/{rtype.plural}"


# --- pods --------------------------------------------------------------------------------------------------

def _extended(name: str) -> bool:
    """Extended resources (nvidia.com/gpu): fully qualified and outside kubernetes.io."""
    return "/" in name and not name.split("/", 1)[0].endswith("kubernetes.io") and not name.startswith("requests.")


def compute_usage(requests: ResourceList, limits: ResourceList) -> ResourceList:
    """podComputeUsageHelper: what one set of requests and limits counts as."""
    result: ResourceList = {"pods": ONE}
    for name in NATIVE:
        if name in requests:
            result[name] = requests[name]
            result[f"requests.{name}"] = requests[name]
        if name in limits:
            result[f"limits.{name}"] = limits[name]
    for name, amount in requests.items():
        if name.startswith("hugepages-"):
            result[name] = amount
            result[f"requests.{name}"] = amount
        elif _extended(name):
            result[f"requests.{name}"] = amount
    for name, amount in limits.items():
        if name.startswith("hugepages-"):
            result[f"limits.{name}"] = amount
    return result


def _container_lists(container: Obj) -> tuple[ResourceList, ResourceList]:
    resources = container.get("resources") or {}
    return parse_list(resources.get("requests")), parse_list(resources.get("limits"))


def _pod_totals(spec: Obj, section: str) -> ResourceList:
    """Sum over containers, at least the largest init container, plus overhead (PodRequests/PodLimits)."""
    index = 0 if section == "requests" else 1
    total: ResourceList = {}
    for container in spec.get("containers") or []:
        total = add(total, _container_lists(container)[index])
    for container in spec.get("initContainers") or []:
        for name, amount in _container_lists(container)[index].items():
            if name not in total or amount.value > total[name].value:
                total[name] = amount
    return add(total, parse_list(spec.get("overhead")))


def pod_counts(pod: Obj, now: float) -> bool:
    """QuotaV1Pod: terminal pods, and pods stuck terminating past their grace period, are not charged."""
    if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
        return False
    meta = pod["metadata"]
    grace = meta.get("deletionGracePeriodSeconds")
    if not meta.get("deletionTimestamp") or grace is None:
        return True
    return now <= parse_rfc3339(str(meta["deletionTimestamp"])).timestamp() + float(grace)


def pod_usage(pod: Obj, now: float) -> ResourceList:
    result: ResourceList = {"count/pods": ONE}
    if not pod_counts(pod, now):
        return result
    spec = pod.get("spec") or {}
    return add(result, compute_usage(_pod_totals(spec, "requests"), _pod_totals(spec, "limits")))


VALIDATED = ("cpu", "memory", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory")


def pod_constraints(pod: Obj, tracked: Iterable[str]) -> str | None:
    """Every container must state what a quota on cpu or memory tracks: `must specify limits.cpu for: app`."""
    required = sorted(set(tracked) & set(VALIDATED))
    if not required:
        return None
    spec = pod.get("spec") or {}
    missing: dict[str, list[str]] = {}
    for container in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        stated = compute_usage(*_container_lists(container))
        for name in required:
            if name not in stated:
                missing.setdefault(name, []).append(str(container.get("name", "")))
    if not missing:
        return None
    return "must specify " + "; ".join(f"{name} for: {','.join(sorted(set(names)))}"
                                       for name, names in sorted(missing.items()))


def _qos_best_effort(spec: Obj) -> bool:
    for container in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        resources = container.get("resources") or {}
        for section in ("requests", "limits"):
            if any(name in NATIVE[:2] for name in resources.get(section) or {}):
                return False
    return True


def pod_in_scope(pod: Obj, scope: str, operator: str = "Exists", values: Iterable[str] = ()) -> bool:
    spec = pod.get("spec") or {}
    deadline = spec.get("activeDeadlineSeconds")
    if scope == "Terminating":
        return deadline is not None and int(deadline) >= 0
    if scope == "NotTerminating":
        return deadline is None or int(deadline) < 0
    if scope == "BestEffort":
        return _qos_best_effort(spec)
    if scope == "NotBestEffort":
        return not _qos_best_effort(spec)
    if scope == "PriorityClass":
        name = spec.get("priorityClassName")
        wanted = set(values)
        if operator == "In":
            return name in wanted
        if operator == "NotIn":
            return name not in wanted
        if operator == "DoesNotExist":
            return not name
        return bool(name)
    return False


def scopes(quota: Obj) -> list[tuple[str, str, list[str]]]:
    """(scope, operator, values) from `spec.scopes` and `spec.scopeSelector`."""
    spec = quota.get("spec") or {}
    found: list[tuple[str, str, list[str]]] = [(str(scope), "Exists", []) for scope in spec.get("scopes") or []]
    for expression in (spec.get("scopeSelector") or {}).get("matchExpressions") or []:
        found.append((str(expression.get("scopeName")), str(expression.get("operator") or "Exists"),
                      [str(v) for v in expression.get("values") or []]))
    return found


# --- every kind ----------------------------------------------------------------------------------------------

def _claim_usage(claim: Obj) -> ResourceList:
    spec = claim.get("spec") or {}
    result: ResourceList = {"count/persistentvolumeclaims": ONE, "persistentvolumeclaims": ONE}
    class_name = spec.get("storageClassName") or (claim["metadata"].get("annotations") or {}).get(
        "volume.beta.kubernetes.io/storage-class")
    if class_name:
        result[f"{class_name}{STORAGE_CLASS_SUFFIX}persistentvolumeclaims"] = ONE
    requested = ((spec.get("resources") or {}).get("requests") or {}).get("storage")
    if requested is not None:
        amount = Amount.of(requested)
        allocated = ((claim.get("status") or {}).get("allocatedResources") or {}).get("storage")
        if allocated is not None and Amount.of(allocated).value > amount.value:
            amount = Amount.of(allocated)
        result["requests.storage"] = amount
        if class_name:
            result[f"{class_name}{STORAGE_CLASS_SUFFIX}requests.storage"] = amount
    return result


def _service_usage(service: Obj) -> ResourceList:
    spec = service.get("spec") or {}
    result: ResourceList = {"count/services": ONE, "services": ONE}
    kind = spec.get("type") or "ClusterIP"
    ports = len(spec.get("ports") or [])
    if kind == "LoadBalancer":
        result["services.loadbalancers"] = ONE
        if spec.get("allocateLoadBalancerNodePorts", True) is not False:
            result["services.nodeports"] = Amount(Decimal(ports))
    elif kind == "NodePort":
        result["services.nodeports"] = Amount(Decimal(ports))
    return result


def usage(rtype: ResourceType, obj: Obj, now: float) -> ResourceList:
    """What `obj` counts against quota."""
    key = rtype.storage_key
    if key == "pods":
        return pod_usage(obj, now)
    if key == "persistentvolumeclaims":
        return _claim_usage(obj)
    if key == "services":
        return _service_usage(obj)
    result: ResourceList = {count_name(rtype): ONE}
    if key in LEGACY_COUNTS:
        result[LEGACY_COUNTS[key]] = ONE
    return result


def tracks(rtype: ResourceType, name: str) -> bool:
    """Whether a quota resource name is something objects of `rtype` use."""
    key = rtype.storage_key
    if name == count_name(rtype) or name == LEGACY_COUNTS.get(key):
        return True
    if key == "pods":
        return name == "pods" or name in NATIVE \
            or (name.startswith(("requests.", "limits.", "hugepages-")) and name != "requests.storage")
    if key == "persistentvolumeclaims":
        return name in ("persistentvolumeclaims", "requests.storage") or STORAGE_CLASS_SUFFIX in name
    if key == "services":
        return name in ("services", "services.loadbalancers", "services.nodeports")
    return False


def matches(quota: Obj, rtype: ResourceType, obj: Obj) -> bool:
    """The quota tracks something this object uses, and its scopes (pods only) select it."""
    hard = (quota.get("status") or {}).get("hard") or {}
    if not any(tracks(rtype, name) for name in hard):
        return False
    found = scopes(quota)
    if not found:
        return True
    if rtype.storage_key != "pods":
        return False
    return all(pod_in_scope(obj, scope, operator, values) for scope, operator, values in found)


def namespace_usage(cluster: Cluster, quota: Obj, now: float) -> ResourceList:
    """What the namespace's objects use of each resource `spec.hard` names (the quota controller's sum)."""
    hard = parse_list((quota.get("spec") or {}).get("hard"))
    namespace = quota["metadata"]["namespace"]
    spec_view = {**quota, "status": {"hard": (quota.get("spec") or {}).get("hard") or {}}}
    used: ResourceList = {name: Amount(Decimal(0), amount.binary) for name, amount in hard.items()}
    for key, rtype in _served(cluster, hard):
        for obj in cluster.store.iter(key, namespace):
            if matches(spec_view, rtype, obj):
                for name, amount in mask(usage(rtype, obj, now), hard).items():
                    used[name] = used[name] + amount
    return used


def _served(cluster: Cluster, hard: ResourceList) -> list[tuple[str, ResourceType]]:
    """The stored types whose objects can use one of `hard`'s resources, with a type serving each."""
    found: list[tuple[str, ResourceType]] = []
    for key in cluster.store.storage_keys():
        rtype = next(iter(cluster.registry.versions_of(key)), None)
        if key not in IGNORED and rtype is not None and rtype.namespaced and any(tracks(rtype, name) for name in hard):
            found.append((key, rtype))
    return found


def quota_status(cluster: Cluster, quota: Obj, now: float) -> Obj:
    """The status the quota controller writes: `hard` from the spec, `used` summed over the namespace."""
    hard = dict((quota.get("spec") or {}).get("hard") or {})
    used = namespace_usage(cluster, quota, now)
    return {"hard": hard, "used": {name: used[name].text() for name in sorted(used)}}
