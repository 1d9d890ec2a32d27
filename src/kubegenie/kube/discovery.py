"""Discovery of every API resource a cluster serves, CRDs included (Crossplane kinds appear when it is
installed): aggregated discovery when the server offers it, the per-group-version lists otherwise."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from kubegenie.kube.client import ClusterClient

_AGGREGATED = ("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
               "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json")


@dataclass(frozen=True)
class ApiResource:
    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    verbs: tuple[str, ...] = ()
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


@dataclass
class Discovery:
    resources: list[ApiResource] = field(default_factory=list)

    def find(self, name: str) -> list[ApiResource]:
        """Resources matching a plural, kind, short name or `plural.group`, preferred versions first."""
        lowered = name.lower()
        plural, _, group = lowered.partition(".")
        return [r for r in self.resources
                if (group and r.plural == plural and r.group == group)
                or (not group and (r.plural == lowered or r.kind.lower() == lowered or lowered in r.short_names))]

    def groups(self) -> list[str]:
        return sorted({r.group for r in self.resources})


async def discover(client: ClusterClient) -> Discovery:
    """Every resource the cluster serves (subresources left out), preferred version first per group."""
    core, named = await asyncio.gather(_aggregated_or_none(client, "/api"), _aggregated_or_none(client, "/apis"))
    if core is not None and named is not None:
        return Discovery(_from_aggregated(core) + _from_aggregated(named))
    return await _legacy(client)


async def _aggregated_or_none(client: ClusterClient, path: str) -> Any:
    response = await client.request_json("GET", path, accept=_AGGREGATED, verb="get", resource=path)
    if isinstance(response, dict) and response.get("kind") == "APIGroupDiscoveryList":
        return response
    return None


def _from_aggregated(document: dict[str, Any]) -> list[ApiResource]:
    found: list[ApiResource] = []
    for item in document.get("items") or []:
        group = (item.get("metadata") or {}).get("name", "")
        for version in item.get("versions") or []:
            for resource in version.get("resources") or []:
                kind = (resource.get("responseKind") or {}).get("kind", "")
                found.append(ApiResource(group, version.get("version", ""), resource.get("resource", ""), kind,
                                         resource.get("scope") == "Namespaced", tuple(resource.get("verbs") or ()),
                                         tuple(resource.get("shortNames") or ()),
                                         tuple(resource.get("categories") or ())))
    return found


async def _legacy(client: ClusterClient) -> Discovery:
    groups = await client.request_json("GET", "/apis", verb="get", resource="/apis")
    paths = ["/api/v1"]
    for group in (groups or {}).get("groups") or []:
        for version in group.get("versions") or []:
            paths.append(f"/apis/{version['groupVersion']}")
    lists = await asyncio.gather(*(client.request_json("GET", path, verb="get", resource=path) for path in paths))
    found: list[ApiResource] = []
    for document in lists:
        group_version = str((document or {}).get("groupVersion", "v1"))
        group, _, version = group_version.rpartition("/")
        for resource in (document or {}).get("resources") or []:
            if "/" in resource.get("name", ""):
                continue
            found.append(ApiResource(group, version, resource["name"], resource.get("kind", ""),
                                     bool(resource.get("namespaced")), tuple(resource.get("verbs") or ()),
                                     tuple(resource.get("shortNames") or ()), tuple(resource.get("categories") or ())))
    return Discovery(found)
