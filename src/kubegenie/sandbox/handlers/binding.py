"""Binding a pod to a node, as the scheduler does: `POST pods/{name}/binding` and the `bindings` resource.
It sets spec.nodeName, copies the binding's annotations and marks the pod PodScheduled, in one write;
a pod that is already bound, terminating or scheduling-gated is a 409, as upstream.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from kubegenie.domain.durations import rfc3339
from kubegenie.sandbox import handlers, responses, status
from kubegenie.sandbox.objects import deep_copy
from kubegenie.sandbox.request import ApiRequest
from kubegenie.sandbox.store import Obj


def _conflict(pod_name: str, why: str) -> status.ApiError:
    return status.ApiError(409, "Conflict", f'Operation cannot be fulfilled on pods/binding "{pod_name}": {why}',
                           {"name": pod_name, "kind": "pods/binding"})


def _check_binding(binding: Obj, name: str, namespace: str) -> Obj:
    """Type, name and target of the Binding; returns the target."""
    api_version, kind = binding.get("apiVersion"), binding.get("kind")
    if api_version is not None and api_version != "v1":
        raise status.bad_request(f"the API version in the data ({api_version}) does not match the expected API "
                                 f"version (v1)")
    if kind is not None and kind != "Binding":
        raise status.bad_request(f"the kind in the data ({kind}) does not match the expected kind (Binding)")
    meta = binding.get("metadata")
    if not isinstance(meta, dict):
        raise status.bad_request("metadata must be an object")
    if meta.get("name") != name:
        raise status.bad_request("name in URL does not match name in Binding object")
    if meta.get("namespace") not in (None, "", namespace):
        raise status.bad_request("the namespace of the provided object does not match the namespace sent on the "
                                 "request")
    target = binding.get("target")
    if not isinstance(target, dict):
        target = {}
    causes = []
    if target.get("kind") not in (None, "", "Node"):
        causes.append({"reason": "FieldValueNotSupported", "field": "target.kind",
                       "message": f'Unsupported value: "{target.get("kind")}": supported values: "Node", "<empty>"'})
    if not isinstance(target.get("name"), str) or not target.get("name"):
        causes.append({"reason": "FieldValueRequired", "field": "target.name", "message": "Required value"})
    if causes:
        parts = [f"{cause['field']}: {cause['message']}" for cause in causes]
        summary = parts[0] if len(parts) == 1 else "[" + ", ".join(parts) + "]"
        raise status.ApiError(422, "Invalid", f'Binding "{name}" is invalid: {summary}',
                              {"name": name, "kind": "Binding", "causes": causes})
    return target


async def _bind(req: ApiRequest, pod_name: str, binding: Obj) -> web.StreamResponse:
    target = _check_binding(binding, pod_name, req.namespace)
    dry_run = req.dry_run()
    store = req.cluster.store
    pod = store.get("pods", req.namespace, pod_name)
    if pod is None:
        raise status.ApiError(404, "NotFound", f'pods "{pod_name}" not found', {"name": pod_name, "kind": "pods"})
    spec = pod.get("spec") or {}
    if pod["metadata"].get("deletionTimestamp"):
        raise _conflict(pod_name, f"pod {pod_name} is being deleted, cannot be assigned to a host")
    if spec.get("nodeName"):
        raise _conflict(pod_name, f'pod {pod_name} is already assigned to node "{spec["nodeName"]}"')
    if spec.get("schedulingGates"):
        raise _conflict(pod_name, f"pod {pod_name} has non-empty .spec.schedulingGates")
    annotations = binding["metadata"].get("annotations")
    if not dry_run:
        store.replace("pods", bound(pod, str(target["name"]), annotations if isinstance(annotations, dict) else {},
                                    rfc3339(req.cluster.clock.now())))
    return responses.json_response({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                                    "code": 201}, 201, req.warnings)


def bound(pod: Obj, node: str, annotations: dict[str, Any], now: str) -> Obj:
    """A copy of `pod` assigned to `node`, with its PodScheduled condition set to True."""
    new = deep_copy(pod)
    new["spec"]["nodeName"] = node
    if annotations:
        new["metadata"]["annotations"] = {**(new["metadata"].get("annotations") or {}),
                                          **{str(k): str(v) for k, v in annotations.items()}}
    pod_status = new.setdefault("status", {})
    conditions = [c for c in pod_status.get("conditions") or [] if c.get("type") != "PodScheduled"]
    previous = next((c for c in pod_status.get("conditions") or [] if c.get("type") == "PodScheduled"), None)
    since = previous.get("lastTransitionTime") if previous and previous.get("status") == "True" else now
    conditions.append({"type": "PodScheduled", "status": "True", "lastProbeTime": None,
                       "lastTransitionTime": since})
    pod_status["conditions"] = conditions
    return new


@handlers.subresource("pods", "binding")
async def pod_binding(req: ApiRequest) -> web.StreamResponse:
    assert req.path.name is not None
    return await _bind(req, req.path.name, await req.object_body())


@handlers.virtual("", "bindings")
async def bindings(req: ApiRequest) -> web.StreamResponse:
    if req.path.verb != "create" or req.path.name is not None:
        raise status.method_not_allowed()
    body = await req.object_body()
    meta = body.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    if not isinstance(name, str) or not name:
        message = "Required value: name or generateName is required"
        raise status.ApiError(422, "Invalid", f'Binding "" is invalid: metadata.name: {message}',
                              {"kind": "Binding", "causes": [{"reason": "FieldValueRequired", "message": message,
                                                              "field": "metadata.name"}]})
    return await _bind(req, name, body)
