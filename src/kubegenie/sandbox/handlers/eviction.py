"""pods/eviction (policy/v1 Eviction, POST): deletes the pod unless that would break its PodDisruptionBudget,
which is computed from the live pods at request time; a blocked eviction is the apiserver's 429 that
`kubectl drain` retries. Pods that are not running (Pending, Succeeded, Failed) or already terminating
skip the budget, as upstream.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from kubegenie.sandbox import disruption, handlers, responses, status
from kubegenie.sandbox.objects import DeleteOptions
from kubegenie.sandbox.request import ApiRequest
from kubegenie.sandbox.store import Obj

EVICTION_VERSIONS = ("policy/v1", "policy/v1beta1")
BLOCKED = "Cannot evict pod as it would violate the pod's disruption budget."


def _delete_options(req: ApiRequest, eviction: Obj) -> DeleteOptions:
    options = eviction.get("deleteOptions")
    if options is None:
        options = {}
    if not isinstance(options, dict):
        raise status.bad_request(f"json: cannot unmarshal {_json_type(options)} into Go struct field "
                                 f"Eviction.deleteOptions of type v1.DeleteOptions")
    dry_run_values = options.get("dryRun") or []
    if not isinstance(dry_run_values, list) or any(value != "All" for value in dry_run_values):
        raise status.bad_request(f'Invalid value: "{dry_run_values}": supported values: "All"')
    preconditions = options.get("preconditions")
    if preconditions is None:
        preconditions = {}
    if not isinstance(preconditions, dict):
        raise status.bad_request(f"json: cannot unmarshal {_json_type(preconditions)} into Go struct field "
                                 f"DeleteOptions.deleteOptions.preconditions of type v1.Preconditions")
    grace = options.get("gracePeriodSeconds")
    propagation = options.get("propagationPolicy")
    if propagation not in (None, "Background", "Foreground", "Orphan"):
        raise status.bad_request(f'propagationPolicy: Unsupported value: "{propagation}": supported values: '
                                 f'"Foreground", "Background", "Orphan"')
    return DeleteOptions(propagation=propagation, grace_period=grace if isinstance(grace, int) else None,
                         precondition_uid=preconditions.get("uid"),
                         precondition_rv=preconditions.get("resourceVersion"),
                         dry_run=req.dry_run() or bool(dry_run_values))


def _json_type(value: Any) -> str:
    return {list: "array", str: "string", bool: "bool", int: "number", float: "number"}.get(type(value), "value")


def _check_body(eviction: Obj, name: str, namespace: str) -> None:
    api_version, kind = eviction.get("apiVersion"), eviction.get("kind")
    if api_version is not None and api_version not in EVICTION_VERSIONS:
        raise status.bad_request(f"the API version in the data ({api_version}) does not match the expected API "
                                 f"version (policy/v1)")
    if kind is not None and kind != "Eviction":
        raise status.bad_request(f"the kind in the data ({kind}) does not match the expected kind (Eviction)")
    meta = eviction.get("metadata") or {}
    if not isinstance(meta, dict):
        raise status.bad_request("metadata must be an object")
    if meta.get("name") != name:
        raise status.bad_request("name in URL does not match name in Eviction object")
    if meta.get("namespace") not in (None, "", namespace):
        raise status.bad_request("the namespace of the provided object does not match the namespace sent on the "
                                 "request")


def _too_many_requests(message: str, cause: str | None = None) -> status.ApiError:
    causes = [{"reason": "DisruptionBudget", "message": cause}] if cause else None
    return status.too_many_requests(message, causes=causes)


def _check_budget(req: ApiRequest, pod: Obj) -> None:
    """Raises 429 when evicting `pod` now would take its budget below what it needs."""
    budgets = disruption.budgets_for(req.cluster.store, pod)
    if not budgets:
        return
    if len(budgets) > 1:
        raise _too_many_requests("This pod has more than one PodDisruptionBudget, which the eviction subresource "
                                 "does not support.")
    pdb = budgets[0]
    budget = disruption.budget(req.cluster.store, pdb)
    if not disruption.is_ready(pod):
        policy = (pdb.get("spec") or {}).get("unhealthyPodEvictionPolicy", "IfHealthyBudget")
        if policy == "AlwaysAllow":
            return
        if budget.current_healthy >= budget.desired_healthy > 0:
            return
    if budget.disruptions_allowed <= 0:
        raise _too_many_requests(BLOCKED, f"The disruption budget {pdb['metadata']['name']} needs "
                                          f"{budget.desired_healthy} healthy pods and has "
                                          f"{budget.current_healthy} currently")


@handlers.subresource("pods", "eviction")
async def evict(req: ApiRequest) -> web.StreamResponse:
    path = req.path
    assert path.name is not None
    eviction: dict[str, Any] = await req.object_body()
    _check_body(eviction, path.name, req.namespace)
    options = _delete_options(req, eviction)
    pod = req.cluster.objects.get(path.rtype, req.namespace, path.name)
    phase = (pod.get("status") or {}).get("phase")
    exempt = phase in ("Pending", "Succeeded", "Failed") or bool(pod["metadata"].get("deletionTimestamp"))
    if not exempt:
        _check_budget(req, pod)
    req.cluster.objects.delete(path.rtype, req.namespace, path.name, options)
    return responses.json_response({**status.success_status(), "code": 201}, 201, req.warnings)
