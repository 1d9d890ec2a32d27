"""API discovery documents: legacy (`/api`, `/apis`, per group-version resource lists) and aggregated
discovery (apidiscovery.k8s.io v2 and v2beta1), negotiated on the Accept header exactly as kubectl
1.27 to 1.33 expect."""

from __future__ import annotations

import base64
import hashlib
from typing import TYPE_CHECKING, Any

from kubegenie.sandbox.resources import ResourceType

if TYPE_CHECKING:
    from kubegenie.sandbox.cluster import Cluster

AGGREGATED_V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
AGGREGATED_V2BETA1 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"


def aggregated_version(accept: str) -> str | None:
    """Which aggregated discovery version the client asked for (v2 preferred), or None for legacy."""
    offered = [part.strip().replace(" ", "") for part in accept.split(",")]
    for version in ("v2", "v2beta1"):
        if any(f"g=apidiscovery.k8s.io;v={version};as=APIGroupDiscoveryList" in part for part in offered):
            return version
    return None


def _resource_entry(rtype: ResourceType) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": rtype.plural, "singularName": rtype.singular, "namespaced": rtype.namespaced,
                             "kind": rtype.kind, "verbs": list(rtype.verbs)}
    if rtype.short_names:
        entry["shortNames"] = list(rtype.short_names)
    if rtype.categories:
        entry["categories"] = list(rtype.categories)
    entry["storageVersionHash"] = _hash(rtype)
    return entry


def _hash(rtype: ResourceType) -> str:
    digest = hashlib.sha256(f"{rtype.group}/{rtype.version}/{rtype.kind}".encode()).digest()
    return base64.b64encode(digest[:8]).decode()


def resource_list(cluster: Cluster, group: str, version: str) -> dict[str, Any] | None:
    """`/api/v1` or `/apis/<group>/<version>`: an APIResourceList with subresource entries."""
    types = cluster.registry.in_group_version(group, version)
    if not types:
        return None
    resources = []
    for rtype in types:
        resources.append(_resource_entry(rtype))
        for sub in rtype.subresources:
            entry: dict[str, Any] = {"name": f"{rtype.plural}/{sub.name}", "singularName": "",
                                     "namespaced": rtype.namespaced, "kind": sub.kind, "verbs": list(sub.verbs)}
            if sub.group is not None:
                entry["group"] = sub.group
                entry["version"] = sub.version
            resources.append(entry)
    group_version = f"{group}/{version}" if group else version
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": resources}


def api_versions(server_address: str) -> dict[str, Any]:
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]}


def _group_entry(group: str, versions: list[str]) -> dict[str, Any]:
    listed = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
    return {"name": group, "versions": listed, "preferredVersion": listed[0]}


def api_group_list(cluster: Cluster) -> dict[str, Any]:
    groups = [_group_entry(group, versions) for group, versions in _ordered_groups(cluster) if group]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def api_group(cluster: Cluster, group: str) -> dict[str, Any] | None:
    versions = cluster.registry.group_versions().get(group)
    if not versions or not group:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group_entry(group, versions)}


def _ordered_groups(cluster: Cluster) -> list[tuple[str, list[str]]]:
    found = cluster.registry.group_versions()
    builtin = [group for group in _BUILTIN_ORDER if group in found]
    extra = sorted(group for group in found if group not in _BUILTIN_ORDER)
    return [(group, found[group]) for group in builtin + extra]


_BUILTIN_ORDER = ("", "apiregistration.k8s.io", "apps", "events.k8s.io", "authentication.k8s.io",
                  "authorization.k8s.io", "autoscaling", "batch", "certificates.k8s.io", "networking.k8s.io",
                  "policy", "rbac.authorization.k8s.io", "storage.k8s.io", "admissionregistration.k8s.io",
                  "apiextensions.k8s.io", "scheduling.k8s.io", "coordination.k8s.io", "node.k8s.io",
                  "discovery.k8s.io", "flowcontrol.apiserver.k8s.io", "metrics.k8s.io")


def _aggregated_resource(rtype: ResourceType) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "resource": rtype.plural,
        "responseKind": {"group": rtype.group, "version": rtype.version, "kind": rtype.kind},
        "scope": "Namespaced" if rtype.namespaced else "Cluster",
        "singularResource": rtype.singular,
        "verbs": list(rtype.verbs),
    }
    if rtype.short_names:
        entry["shortNames"] = list(rtype.short_names)
    if rtype.categories:
        entry["categories"] = list(rtype.categories)
    subresources = []
    for sub in rtype.subresources:
        subresources.append({"subresource": sub.name,
                             "responseKind": {"group": sub.group if sub.group is not None else rtype.group,
                                              "version": sub.version or rtype.version, "kind": sub.kind},
                             "verbs": list(sub.verbs)})
    if subresources:
        entry["subresources"] = subresources
    return entry


def aggregated(cluster: Cluster, legacy_core: bool, version: str) -> dict[str, Any]:
    """The APIGroupDiscoveryList for `/api` (core only) or `/apis` (every named group)."""
    items = []
    for group, versions in _ordered_groups(cluster):
        if (group == "") != legacy_core:
            continue
        version_entries = []
        for each in versions:
            resources = [_aggregated_resource(t) for t in cluster.registry.in_group_version(group, each)]
            version_entries.append({"version": each, "resources": resources, "freshness": "Current"})
        metadata: dict[str, Any] = {"name": group} if group else {}
        metadata["creationTimestamp"] = None
        items.append({"metadata": metadata, "versions": version_entries})
    return {"kind": "APIGroupDiscoveryList", "apiVersion": f"apidiscovery.k8s.io/{version}",
            "metadata": {}, "items": items}
