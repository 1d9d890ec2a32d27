"""The scale subresource (autoscaling/v1 Scale) of deployments, replicasets, statefulsets and
replicationcontrollers: get, update and every patch type (`kubectl scale` sends a merge patch). Writes go
through the object API as an update of spec.replicas recorded under the `scale` subresource.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from kubegenie.sandbox import bodies, handlers, responses, status
from kubegenie.sandbox.objects import WriteOptions, deep_copy
from kubegenie.sandbox.patch import jsonpatch, merge
from kubegenie.sandbox.request import ApiRequest
from kubegenie.sandbox.resources import ResourceType
from kubegenie.sandbox.selectors import format_selector
from kubegenie.sandbox.store import Obj

SCALE_API_VERSION = "autoscaling/v1"
_SCALE_FIELDS = {"spec": {"replicas"}, "status": {"replicas", "selector"}}
_SCALE_META = ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")


def _selector(rtype: ResourceType, obj: Obj) -> str:
    selector = (obj.get("spec") or {}).get("selector") or {}
    if rtype.kind == "ReplicationController":
        return ",".join(f"{key}={value}" for key, value in sorted(selector.items()))
    return format_selector(selector.get("matchLabels"), selector.get("matchExpressions"))


def to_scale(rtype: ResourceType, obj: Obj) -> Obj:
    """The Scale view of a workload, as scaleFromDeployment and friends build it."""
    meta = obj["metadata"]
    spec: Obj = {}
    replicas = (obj.get("spec") or {}).get("replicas")
    if replicas:  # ScaleSpec.replicas is omitempty
        spec["replicas"] = replicas
    scale_status: Obj = {"replicas": int((obj.get("status") or {}).get("replicas") or 0)}
    selector = _selector(rtype, obj)
    if selector:
        scale_status["selector"] = selector
    return {"kind": "Scale", "apiVersion": SCALE_API_VERSION,
            "metadata": {key: meta[key] for key in _SCALE_META if key in meta},
            "spec": spec, "status": scale_status}


def _unknown_fields(scale: Obj) -> list[str]:
    unknown = [key for key in scale if key not in ("apiVersion", "kind", "metadata", *_SCALE_FIELDS)]
    for section, allowed in _SCALE_FIELDS.items():
        value = scale.get(section)
        if isinstance(value, dict):
            unknown += [f"{section}.{key}" for key in value if key not in allowed]
    return unknown


def _check_fields(scale: Obj, options: WriteOptions, warnings: list[str]) -> None:
    mode = options.field_validation
    if mode not in ("Strict", "Warn", "Ignore"):
        raise status.bad_request(f'fieldValidation parameter unsupported: "{mode}"; use one of Ignore, Warn, '
                                 f"or Strict")
    unknown = [f'unknown field "{path}"' for path in _unknown_fields(scale)]
    if not unknown or mode == "Ignore":
        return
    if mode == "Strict":
        raise status.bad_request(f'Scale in version "v1" cannot be handled as a Scale: strict decoding error: '
                                 f"{', '.join(unknown)}")
    warnings.extend(unknown)


def _replicas(scale: Obj, name: str) -> int:
    spec = scale.get("spec")
    if spec is None:
        spec = {}
    if not isinstance(spec, dict):
        raise status.bad_request('Scale in version "v1" cannot be handled as a Scale: json: cannot unmarshal into '
                                 "Go struct field Scale.spec of type v1.ScaleSpec")
    replicas = spec.get("replicas", 0)
    if replicas is None:
        replicas = 0
    if isinstance(replicas, bool) or not isinstance(replicas, int):
        json_type = {str: "string", float: "number", list: "array", dict: "object", bool: "bool"}.get(
            type(replicas), "value")
        raise status.bad_request(f'Scale in version "v1" cannot be handled as a Scale: json: cannot unmarshal '
                                 f"{json_type} into Go struct field ScaleSpec.spec.replicas of type int32")
    if replicas < 0 or replicas > 2**31 - 1:
        message = f"Invalid value: {replicas}: must be greater than or equal to 0"
        raise status.ApiError(422, "Invalid", f'Scale.autoscaling "{name}" is invalid: spec.replicas: {message}',
                              {"name": name, "group": "autoscaling", "kind": "Scale",
                               "causes": [{"reason": "FieldValueInvalid", "message": message,
                                           "field": "spec.replicas"}]})
    return replicas


def _check_type(scale: Obj, name: str) -> None:
    api_version, kind = scale.get("apiVersion"), scale.get("kind")
    if api_version is not None and api_version != SCALE_API_VERSION:
        raise status.bad_request(f"the API version in the data ({api_version}) does not match the expected API "
                                 f"version ({SCALE_API_VERSION})")
    if kind is not None and kind != "Scale":
        raise status.bad_request(f"the kind in the data ({kind}) does not match the expected kind (Scale)")
    meta = scale.get("metadata") or {}
    if not isinstance(meta, dict):
        raise status.bad_request("metadata must be an object")
    if meta.get("name") not in (None, name):
        raise status.bad_request(f"the name of the object ({meta.get('name')}) does not match the name on the URL "
                                 f"({name})")


async def _patched(req: ApiRequest, current: Obj) -> Obj:
    """The Scale after applying the request's patch to the current Scale."""
    content_type = req.content_type
    if content_type not in bodies.PATCH_TYPES:
        raise status.unsupported_media_type(bodies.PATCH_TYPES)
    raw = await req.body()
    if content_type == bodies.JSON_PATCH:
        operations = bodies.parse_patch(raw, apply=False)
        if not isinstance(operations, list):
            raise status.bad_request("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
        return jsonpatch.apply(current, operations)
    if content_type == bodies.APPLY_PATCH and not req.query.get("fieldManager"):
        raise status.bad_request("PATCH, field manager is required for apply requests: fieldManager: Required "
                                 "value: is required for apply patch")
    document = bodies.parse_patch(raw, apply=content_type == bodies.APPLY_PATCH)
    if not isinstance(document, dict):
        raise status.bad_request("patch body must be a JSON object")
    # Scale has no lists and no patch directives of its own: a strategic or apply patch merges like JSON.
    result = merge.merge_patch(current, _without_directives(document))
    assert isinstance(result, dict)
    return result


def _without_directives(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _without_directives(item) for key, item in value.items() if not str(key).startswith("$")}
    return value


async def scale(req: ApiRequest) -> web.StreamResponse:
    path = req.path
    assert path.name is not None
    rtype, name = path.rtype, path.name
    current = req.cluster.objects.get(rtype, req.namespace, name)
    if path.verb == "get":
        return responses.json_response(to_scale(rtype, current), warnings=req.warnings)
    options = req.write_options()
    if path.verb == "update":
        requested = await req.object_body()
    elif path.verb == "patch":
        requested = await _patched(req, to_scale(rtype, current))
    else:
        raise status.method_not_allowed()
    _check_type(requested, name)
    _check_fields(requested, options, req.warnings)
    replicas = _replicas(requested, name)
    new = deep_copy(current)
    new.setdefault("spec", {})["replicas"] = replicas
    requested_rv = (requested.get("metadata") or {}).get("resourceVersion")
    new["metadata"]["resourceVersion"] = requested_rv if isinstance(requested_rv, str) and requested_rv else None
    updated = req.cluster.objects.update(rtype, req.namespace, name, new, options, subresource="scale",
                                         warnings=req.warnings)
    return responses.json_response(to_scale(rtype, updated), warnings=req.warnings)


for _key in ("apps/deployments", "apps/replicasets", "apps/statefulsets", "replicationcontrollers"):
    handlers.subresource(_key, "scale")(scale)
