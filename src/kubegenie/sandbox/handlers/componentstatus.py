"""`componentstatuses` (v1, deprecated upstream but still served): the health of the control plane the
sandbox pretends to run, listed or read by name, with the deprecation warning and `kubectl get cs` columns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from kubegenie.sandbox import handlers, printers, responses, status
from kubegenie.sandbox.printers.table import NAME, Column, Printer
from kubegenie.sandbox.request import ApiRequest
from kubegenie.sandbox.selectors import parse_field_selector, parse_label_selector
from kubegenie.sandbox.store import Obj

if TYPE_CHECKING:
    from kubegenie.sandbox.cluster import Cluster

COMPONENTS = ("controller-manager", "etcd-0", "scheduler")
DEPRECATION = "v1 ComponentStatus is deprecated in v1.19+"


def component(name: str) -> Obj:
    return {"kind": "ComponentStatus", "apiVersion": "v1", "metadata": {"name": name, "creationTimestamp": None},
            "conditions": [{"type": "Healthy", "status": "True", "message": "ok"}]}


def _healthy(obj: Obj) -> Obj:
    return next((c for c in obj.get("conditions") or [] if c.get("type") == "Healthy"), {})


def _row(cluster: Cluster, obj: Obj) -> list[object]:
    del cluster
    condition = _healthy(obj)
    healthy = condition.get("status") == "True"
    return [obj["metadata"]["name"], "Healthy" if healthy else "Unhealthy", condition.get("message", ""),
            condition.get("error", "")]


printers.register("componentstatuses")(Printer(
    [NAME, Column("Status", description="Status of the component conditions"),
     Column("Message", description="Message of the component conditions"),
     Column("Error", description="Error of the component conditions")], _row))


@handlers.virtual("", "componentstatuses")
async def component_statuses(req: ApiRequest) -> web.StreamResponse:
    path = req.path
    warnings = [*req.warnings, DEPRECATION]
    if path.verb == "get":
        assert path.name is not None
        if path.name not in COMPONENTS:
            raise status.not_found(path.rtype, path.name)
        found = component(path.name)
        if req.wants_table:
            return responses.json_response(printers.build_table(req.cluster, path.rtype, [found]), warnings=warnings)
        return responses.json_response(found, warnings=warnings)
    if path.verb != "list":
        raise status.method_not_allowed()
    labels = parse_label_selector(req.query.get("labelSelector"))
    fields = parse_field_selector(req.query.get("fieldSelector"), path.rtype.plural)
    items = [component(name) for name in COMPONENTS]
    items = [obj for obj in items if labels.matches(obj["metadata"].get("labels")) and fields.matches(obj)]
    if req.wants_table:
        return responses.json_response(printers.build_table(req.cluster, path.rtype, items), warnings=warnings)
    return responses.json_response({"kind": "ComponentStatusList", "apiVersion": "v1", "metadata": {},
                                    "items": items}, warnings=warnings)
