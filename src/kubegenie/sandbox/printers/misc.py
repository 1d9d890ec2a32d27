"""Printers for cluster plumbing: Leases, PriorityClasses, RuntimeClasses, admission webhook configurations,
and CustomResourceDefinitions (the default Name / Created At table)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kubegenie.sandbox.printers.table import AGE, METADATA_ONLY, NAME, Column, Printer, age, register
from kubegenie.sandbox.store import Obj

if TYPE_CHECKING:
    from kubegenie.sandbox.cluster import Cluster

register("coordination.k8s.io/leases")(Printer([
    NAME,
    Column("Holder", description="holderIdentity contains the identity of the holder of a current lease."),
    AGE,
], lambda cluster, obj: [obj["metadata"]["name"], (obj.get("spec") or {}).get("holderIdentity") or "",
                         age(cluster, obj)]))


def _priority_class(cluster: Cluster, obj: Obj) -> list[Any]:
    return [obj["metadata"]["name"], int(obj.get("value") or 0), bool(obj.get("globalDefault")), age(cluster, obj),
            obj.get("preemptionPolicy") or ""]


register("scheduling.k8s.io/priorityclasses")(Printer([
    NAME,
    Column("Value", type="integer", description="value represents the integer value of this priority class."),
    Column("Global-Default", type="boolean", description="globalDefault specifies whether this PriorityClass "
                                                         "should be considered as the default priority for pods "
                                                         "that do not have any priority class."),
    AGE,
    Column("PreemptionPolicy", priority=1, description="preemptionPolicy is the Policy for preempting pods with "
                                                       "lower priority."),
], _priority_class))

register("node.k8s.io/runtimeclasses")(Printer([
    NAME,
    Column("Handler", description="handler specifies the underlying runtime and configuration that the CRI "
                                  "implementation will use to handle pods of this class."),
    AGE,
], lambda cluster, obj: [obj["metadata"]["name"], obj.get("handler", ""), age(cluster, obj)]))

_WEBHOOKS = Printer([
    NAME,
    Column("Webhooks", type="integer", description="Webhooks indicates the number of webhooks registered in this "
                                                   "configuration"),
    AGE,
], lambda cluster, obj: [obj["metadata"]["name"], len(obj.get("webhooks") or []), age(cluster, obj)])
register("admissionregistration.k8s.io/mutatingwebhookconfigurations",
         "admissionregistration.k8s.io/validatingwebhookconfigurations")(_WEBHOOKS)

# The apiextensions apiserver serves CRDs themselves with its default table convertor.
register("apiextensions.k8s.io/customresourcedefinitions")(METADATA_ONLY)
