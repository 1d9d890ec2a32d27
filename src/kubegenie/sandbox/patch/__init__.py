"""Patch application for every content type the apiserver accepts: JSON patch (RFC 6902), JSON merge
patch (RFC 7386), strategic merge patch (built-in kinds only) and server-side apply."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kubegenie.sandbox import bodies, status
from kubegenie.sandbox.patch import jsonpatch, merge
from kubegenie.sandbox.resources import ResourceType
from kubegenie.sandbox.store import Obj

if TYPE_CHECKING:
    from kubegenie.sandbox.cluster import Cluster
    from kubegenie.sandbox.objects import WriteOptions

_KINDS = {bodies.JSON_PATCH: "json", bodies.MERGE_PATCH: "merge", bodies.STRATEGIC_PATCH: "strategic",
          bodies.APPLY_PATCH: "apply"}


def patch_kind(rtype: ResourceType, content_type: str) -> str:
    kind = _KINDS.get(content_type)
    if kind is None:
        raise status.unsupported_media_type(bodies.PATCH_TYPES)
    if kind == "strategic" and rtype.custom:
        # apply-patch+cbor is offered only behind the CBORServingAndStorage gate, off in every release.
        raise status.unsupported_media_type([bodies.JSON_PATCH, bodies.MERGE_PATCH, bodies.APPLY_PATCH])
    return kind


def apply_patch(cluster: Cluster, rtype: ResourceType, current: Obj, body: bytes, kind: str,
                options: WriteOptions, subresource: str | None) -> Obj:
    """The object after applying the patch to `current` (a fresh dict; `current` is not changed)."""
    document = bodies.parse_patch(body, apply=kind == "apply")
    if kind == "json":
        return jsonpatch.apply(current, document)
    if not isinstance(document, dict):
        raise status.bad_request("patch body must be a JSON object")
    if kind == "merge":
        result = merge.merge_patch(current, document)
        assert isinstance(result, dict)
        return result
    if kind == "strategic":
        from kubegenie.sandbox.patch import strategic

        return strategic.apply(cluster, rtype, current, document)
    from kubegenie.sandbox.patch import apply as server_side_apply

    return server_side_apply.apply(cluster, rtype, current, document, options, subresource)


def apply_to_new(cluster: Cluster, rtype: ResourceType, namespace: str, name: str, body: bytes,
                 options: WriteOptions) -> Obj:
    """Server-side apply on an absent object: the applied configuration becomes the object, owned by
    the applier (its metadata.managedFields hold one Apply entry)."""
    document = bodies.parse_patch(body, apply=True)
    if not isinstance(document, dict):
        raise status.bad_request("apply patch body must be an object")
    meta = document.setdefault("metadata", {})
    if meta.get("name") not in (None, name):
        raise status.bad_request(f"the name of the object ({meta.get('name')}) does not match the name on the URL "
                                 f"({name})")
    meta["name"] = name
    if rtype.namespaced:
        meta.setdefault("namespace", namespace)
    from kubegenie.sandbox.patch import apply as server_side_apply

    return server_side_apply.create(cluster, rtype, document, options)
