"""Printers for the smaller core/v1 kinds: Namespaces, ConfigMaps, Secrets, ServiceAccounts, ResourceQuotas,
LimitRanges and PodTemplates."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kubegenie.sandbox.printers.cells import containers_and_images, labels_text
from kubegenie.sandbox.printers.table import AGE, METADATA_ONLY, NAME, Column, Printer, age, register
from kubegenie.sandbox.store import Obj

if TYPE_CHECKING:
    from kubegenie.sandbox.cluster import Cluster

register("namespaces")(Printer([
    NAME, Column("Status", description="The status of the namespace"), AGE,
], lambda cluster, obj: [obj["metadata"]["name"], (obj.get("status") or {}).get("phase", ""), age(cluster, obj)]))

register("configmaps")(Printer([
    NAME,
    Column("Data", description="Data contains the configuration data."),
    AGE,
], lambda cluster, obj: [obj["metadata"]["name"], len(obj.get("data") or {}) + len(obj.get("binaryData") or {}),
                         age(cluster, obj)]))

register("secrets")(Printer([
    NAME,
    Column("Type", description="Used to facilitate programmatic handling of secret data."),
    Column("Data", description="Data contains the secret data."),
    AGE,
], lambda cluster, obj: [obj["metadata"]["name"], obj.get("type", ""), len(obj.get("data") or {}),
                         age(cluster, obj)]))

register("serviceaccounts")(Printer([
    NAME,
    Column("Secrets", description="Secrets is a list of the secrets in the same namespace that pods running "
                                  "using this ServiceAccount are allowed to use."),
    AGE,
], lambda cluster, obj: [obj["metadata"]["name"], len(obj.get("secrets") or []), age(cluster, obj)]))

# LimitRanges have no printer of their own in the apiserver.
register("limitranges")(METADATA_ONLY)


def quota_usage(quota: Obj) -> tuple[str, str]:
    """`resource: used/hard` pairs, sorted by resource name, split into requests and `limits.*`."""
    status = quota.get("status") or {}
    hard, used = status.get("hard") or {}, status.get("used") or {}
    requests: list[str] = []
    limits: list[str] = []
    for resource in sorted(hard):
        text = f"{resource}: {used.get(resource, '0')}/{hard[resource]}"
        pieces = resource.split(".")
        (limits if len(pieces) > 1 and pieces[0] == "limits" else requests).append(text)
    return ", ".join(requests), ", ".join(limits)


def _resource_quota(cluster: Cluster, obj: Obj) -> list[Any]:
    requests, limits = quota_usage(obj)
    created = age(cluster, obj)
    return [obj["metadata"]["name"], created, requests, limits, created]


# The Age column moved after Limit in 1.33.
register("resourcequotas")(Printer([
    NAME,
    Column("Age", description=AGE.description, until=32),
    Column("Request", description="Request represents a minimum amount of cpu/memory that a container may "
                                  "consume."),
    Column("Limit", description="Limits control the maximum amount of cpu/memory that a container may use "
                                "independent of contention on the node."),
    Column("Age", description=AGE.description, since=33),
], _resource_quota))


def _pod_template(_cluster: Cluster, obj: Obj) -> list[Any]:
    template = obj.get("template") or {}
    names, images = containers_and_images((template.get("spec") or {}).get("containers"))
    return [obj["metadata"]["name"], names, images, labels_text((template.get("metadata") or {}).get("labels"))]


register("podtemplates")(Printer([
    NAME,
    Column("Containers", description="Names of each container in the template."),
    Column("Images", description="Images referenced by each container in the template."),
    Column("Pod Labels", description="The labels for the pod template."),
], _pod_template))
