"""The `scale` subresource of custom resources: an autoscaling/v1 Scale read from and written to the paths a
CRD version declares (specReplicasPath, statusReplicasPath, labelSelectorPath), as apiextensions' ScaleREST
serves it. GET, PUT and JSON/merge PATCH; strategic merge patch is refused as for every custom resource.
"""

from __future__ import annotations

import copy
from typing import Any

from aiohttp import web

from kubegenie.sandbox import bodies, responses, status
from kubegenie.sandbox.request import ApiRequest
from kubegenie.sandbox.store import Obj

_MIN_INT32 = -(2**31)


def _parts(path: str) -> list[str]:
    return [part for part in path.strip().lstrip(".").split(".") if part]


def _read(obj: Obj, path: str) -> Any:
    node: Any = obj
    for part in _parts(path):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _write(obj: Obj, path: str, value: int) -> None:
    node = obj
    parts = _parts(path)
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[parts[-1]] = value


def scale_of(obj: Obj, spec_path: str, status_path: str, selector_path: str) -> tuple[Obj, bool]:
    """The Scale of a custom resource and whether its spec replicas field is set."""
    spec_replicas = _read(obj, spec_path)
    found = isinstance(spec_replicas, int) and not isinstance(spec_replicas, bool)
    status_replicas = _read(obj, status_path)
    selector = _read(obj, selector_path) if selector_path else None
    meta = obj["metadata"]
    scale_meta = {key: meta[key] for key in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
                  if key in meta}
    scale_status: Obj = {"replicas": status_replicas if isinstance(status_replicas, int) else 0}
    if isinstance(selector, str) and selector:
        scale_status["selector"] = selector
    # ScaleSpec.replicas is omitempty: zero replicas is an empty spec.
    spec = {"replicas": spec_replicas} if found and spec_replicas else {}
    return ({"kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": scale_meta, "spec": spec,
             "status": scale_status}, found)


async def serve(req: ApiRequest) -> web.StreamResponse:
    from kubegenie.sandbox import patch as patching

    rtype = req.path.rtype
    name = req.path.name
    spec = req.cluster.crds.scale_spec(rtype)
    if spec is None or name is None:
        raise status.not_found_path()
    paths = (spec.spec_replicas_path, spec.status_replicas_path, spec.label_selector_path)
    current = req.cluster.objects.get(rtype, req.namespace, name)
    scale, found = scale_of(current, *paths)
    if req.path.verb == "get":
        if not found:
            raise status.internal(f'the spec replicas field "{spec.spec_replicas_path}" does not exist')
        return responses.json_response(scale, warnings=req.warnings)
    if req.path.verb == "update":
        wanted = await req.object_body()
    else:
        content_type = req.content_type
        kind = patching.patch_kind(rtype, content_type)
        raw = await req.body()
        if not found:
            scale["spec"] = {"replicas": _MIN_INT32}  # marks "not set before", as upstream does
        if kind == "json":
            wanted = patching.jsonpatch.apply(scale, bodies.parse_patch(raw, apply=False))
        else:
            document = bodies.parse_patch(raw, apply=kind == "apply")
            if not isinstance(document, dict):
                raise status.bad_request("patch body must be a JSON object")
            merged = patching.merge.merge_patch(scale, document)
            assert isinstance(merged, dict)
            wanted = merged
    replicas = (wanted.get("spec") or {}).get("replicas", 0)
    if replicas == _MIN_INT32:
        raise status.bad_request(f'the spec replicas field "{spec.spec_replicas_path}" cannot be empty')
    _check_replicas(name, replicas)
    # The stored object is shared with the store: write a copy.
    updated = copy.deepcopy(current)
    _write(updated, spec.spec_replicas_path, int(replicas))
    updated["metadata"]["resourceVersion"] = (wanted.get("metadata") or {}).get("resourceVersion") or None
    stored = req.cluster.objects.update(rtype, req.namespace, name, updated, req.write_options(),
                                        warnings=req.warnings)
    result, _ = scale_of(stored, *paths)
    return responses.json_response(result, warnings=req.warnings)


def _check_replicas(name: str, replicas: Any) -> None:
    if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 0:
        shown = replicas if isinstance(replicas, int) else f'"{replicas}"'
        raise status.ApiError(422, "Invalid", f'Scale.autoscaling "{name}" is invalid: spec.replicas: Invalid '
                                              f"value: {shown}: must be greater than or equal to 0",
                              {"name": name, "group": "autoscaling", "kind": "Scale",
                               "causes": [{"reason": "FieldValueInvalid", "field": "spec.replicas",
                                           "message": f"Invalid value: {shown}: must be greater than or equal "
                                                      f"to 0"}]})
