"""The ResourceQuota admission plugin: a write that would take a namespace past one of its quotas is refused
with kube-apiserver's 403 (`exceeded quota: q, requested: ..., used: ..., limited: ...`), a pod that does not
state what a cpu or memory quota tracks is refused (`failed quota: q: must specify ...`), and what is admitted
is charged to each matching quota's `status.used` at once. Quotas whose status the quota controller has not
filled in yet (no `status.hard`) limit nothing, as upstream.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from kubegenie.sandbox import status
from kubegenie.sandbox.admission import usage
from kubegenie.sandbox.admission.usage import Amount, ResourceList, add, mask, parse_list, pretty
from kubegenie.sandbox.store import Obj

if TYPE_CHECKING:
    from kubegenie.sandbox.cluster import Cluster
    from kubegenie.sandbox.resources import ResourceType

QUOTAS = "resourcequotas"
UPDATABLE = frozenset({"services", "persistentvolumeclaims"})
"""Types whose updates can use more (a Service turned LoadBalancer, a claim resized); others count at create."""


def admit(cluster: Cluster, rtype: ResourceType, obj: Obj, old: Obj | None, dry_run: bool) -> None:
    """Refuse `obj` when it breaks a quota of its namespace; otherwise charge it (not on a dry run)."""
    namespace = obj["metadata"].get("namespace") or ""
    if not rtype.namespaced or rtype.storage_key in usage.IGNORED or not cluster.store.count(QUOTAS, namespace):
        return
    if old is not None and rtype.storage_key not in UPDATABLE:
        return
    now = cluster.clock.time()
    name = str(obj["metadata"].get("name") or obj["metadata"].get("generateName") or "")
    quotas = [quota for quota in cluster.store.list_sorted(QUOTAS, namespace) if usage.matches(quota, rtype, obj)]
    for quota in quotas:
        hard = parse_list((quota.get("status") or {}).get("hard"))
        tracked = [resource for resource in hard if usage.tracks(rtype, resource)]
        if rtype.storage_key == "pods":
            missing = usage.pod_constraints(obj, tracked)
            if missing:
                raise _forbidden(rtype, name, f"failed quota: {quota['metadata']['name']}: {missing}")
        used = (quota.get("status") or {}).get("used") or {}
        unknown = sorted(resource for resource in tracked if resource not in used)
        if unknown:
            raise _forbidden(rtype, name, f"status unknown for quota: {quota['metadata']['name']}, resources: "
                                          f"{','.join(unknown)}")
    if not quotas:
        return
    delta = usage.usage(rtype, obj, now)
    if old is not None:
        before = usage.usage(rtype, old, now)
        delta = {resource: Amount(max(amount.value - before[resource].value, Decimal(0)), amount.binary)
                 if resource in before else amount for resource, amount in delta.items()}
    if not any(amount.value for amount in delta.values()):
        return
    charged: list[tuple[Obj, ResourceList]] = []
    for quota in quotas:
        hard = parse_list((quota.get("status") or {}).get("hard"))
        used = parse_list((quota.get("status") or {}).get("used"))
        requested = mask(delta, hard)
        new_usage = add(used, requested)
        exceeded = sorted(resource for resource in requested
                          if new_usage[resource].value > hard[resource].value)
        if exceeded:
            raise _forbidden(rtype, name, f"exceeded quota: {quota['metadata']['name']}, "
                                          f"requested: {pretty(mask(requested, exceeded))}, "
                                          f"used: {pretty(mask(used, exceeded))}, "
                                          f"limited: {pretty(mask(hard, exceeded))}")
        charged.append((quota, new_usage))
    if not dry_run:
        for quota, new_usage in charged:
            write_used(cluster, quota, new_usage)


def write_used(cluster: Cluster, quota: Obj, used: ResourceList) -> None:
    """Store a quota's `status.used` (the apiserver charges admitted writes this way)."""
    from kubegenie.sandbox.objects import WriteOptions

    current = quota.get("status") or {}
    text = {resource: amount.text() for resource, amount in sorted(used.items())}
    if current.get("used") == text:
        return
    rtype = cluster.registry.lookup("", "v1", QUOTAS)
    assert rtype is not None
    meta = quota["metadata"]
    body = {**quota, "metadata": {**meta, "resourceVersion": None}, "status": {**current, "used": text}}
    cluster.objects.update(rtype, meta["namespace"], meta["name"], body,
                           WriteOptions(field_manager=None, field_validation="Ignore"), subresource="status")


def _forbidden(rtype: ResourceType, name: str, why: str) -> status.ApiError:
    return status.forbidden(f'{rtype.qualified} "{name}" is forbidden: {why}', rtype, name)
