"""Turns a request path and method into what the apiserver calls request info: verb, resource type,
namespace, name and subresource (k8s.io/apiserver/pkg/endpoints/request.RequestInfoFactory)."""

from __future__ import annotations

from dataclasses import dataclass

from kubegenie.domain.names import unsafe_path_segment
from kubegenie.sandbox import status
from kubegenie.sandbox.resources import ResourceRegistry, ResourceType


@dataclass(frozen=True)
class ResourcePath:
    rtype: ResourceType
    namespace: str | None
    """The namespace from the path; None for cluster-scoped types and all-namespace lists."""
    name: str | None
    subresource: str | None
    verb: str


_COLLECTION_VERBS = {"GET": "list", "POST": "create", "DELETE": "deletecollection"}
_ITEM_VERBS = {"GET": "get", "PUT": "update", "PATCH": "patch", "DELETE": "delete", "POST": "create"}


def resolve(registry: ResourceRegistry, group: str, version: str, method: str, segments: list[str],
            watch: bool) -> ResourcePath:
    if segments and segments[0] == "watch":
        segments, watch = segments[1:], True
    if not segments or any(not part for part in segments):
        raise status.not_found_path()
    for part in segments:
        if unsafe_path_segment(part):
            raise status.not_found_path()
    namespace: str | None = None
    rest = segments
    if segments[0] == "namespaces" and len(segments) >= 3:
        candidate = registry.lookup(group, version, segments[2])
        if candidate is not None and candidate.namespaced:
            namespace, rest = segments[1], segments[2:]
    plural = rest[0]
    rtype = registry.lookup(group, version, plural)
    if rtype is None:
        raise status.not_found_path()
    if rtype.namespaced and namespace is None and len(rest) > 1:
        # A namespaced type addressed without a namespace: only the all-namespaces list exists.
        raise status.not_found_path()
    name = rest[1] if len(rest) > 1 else None
    subresource = rest[2] if len(rest) > 2 else None
    if len(rest) > 3:
        raise status.not_found_path()
    if subresource is not None and rtype.subresource(subresource) is None:
        raise status.not_found_path()
    if name is None:
        verb = _COLLECTION_VERBS.get(method)
        if method == "GET" and watch:
            verb = "watch"
    else:
        verb = _ITEM_VERBS.get(method)
        if method == "GET" and watch:
            verb = "watch"
    if verb is None:
        raise status.method_not_allowed()
    sub = rtype.subresource(subresource) if subresource else None
    allowed = sub.verbs if sub is not None else rtype.verbs
    if verb not in allowed and not (verb == "watch" and "watch" in rtype.verbs):
        raise status.method_not_allowed()
    return ResourcePath(rtype, namespace, name, subresource, verb)
