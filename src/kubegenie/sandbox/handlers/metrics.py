"""metrics.k8s.io/v1beta1 as metrics-server serves it for `kubectl top`: NodeMetrics and PodMetrics, listed
(with label and field selectors) or read by name (a single object, never a list), with usage in
nanocores and KiB. The numbers come from `cluster.usage`; objects without a sample are absent (404).
"""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from kubegenie.domain.durations import rfc3339
from kubegenie.sandbox import handlers, printers, responses, status
from kubegenie.sandbox.metricsource import Usage, format_cpu, format_memory
from kubegenie.sandbox.request import ApiRequest
from kubegenie.sandbox.selectors import parse_field_selector, parse_label_selector
from kubegenie.sandbox.store import Obj

API_VERSION = "metrics.k8s.io/v1beta1"


def _time(seconds: float) -> str:
    return rfc3339(datetime.fromtimestamp(seconds, UTC))


def _window(seconds: float) -> str:
    """A Go duration string ("15s", "10.062s")."""
    text = f"{seconds:.3f}".rstrip("0").rstrip(".")
    return f"{text}s"


def _usage(usage: Usage) -> dict[str, str]:
    return {"cpu": format_cpu(usage.cpu), "memory": format_memory(usage.memory)}


def _metadata(req: ApiRequest, obj: Obj) -> Obj:
    meta = obj["metadata"]
    found: Obj = {"name": meta["name"]}
    if meta.get("namespace"):
        found["namespace"] = meta["namespace"]
    found["creationTimestamp"] = rfc3339(req.cluster.clock.now())
    if meta.get("labels"):
        found["labels"] = dict(meta["labels"])
    return found


def pod_metrics_of(req: ApiRequest, pod: Obj) -> Obj | None:
    sample = req.cluster.usage.pod(pod)
    if sample is None:
        return None
    return {"kind": "PodMetrics", "apiVersion": API_VERSION, "metadata": _metadata(req, pod),
            "timestamp": _time(sample.timestamp), "window": _window(sample.window),
            "containers": [{"name": name, "usage": _usage(usage)} for name, usage in sample.containers]}


def _not_found(resource: str, plural: str, name: str) -> status.ApiError:
    return status.ApiError(404, "NotFound", f'{resource}.metrics.k8s.io "{name}" not found',
                           {"name": name, "group": "metrics.k8s.io", "kind": plural})


def _answer(req: ApiRequest, items: list[Obj], list_kind: str) -> web.Response:
    if req.wants_table:
        return responses.json_response(printers.build_table(req.cluster, req.path.rtype, items),
                                       warnings=req.warnings)
    listed = [{key: value for key, value in item.items() if key not in ("kind", "apiVersion")} for item in items]
    return responses.json_response({"kind": list_kind, "apiVersion": API_VERSION, "metadata": {},
                                    "items": listed}, warnings=req.warnings)


def _single(req: ApiRequest, item: Obj) -> web.Response:
    if req.wants_table:
        return responses.json_response(printers.build_table(req.cluster, req.path.rtype, [item]),
                                       warnings=req.warnings)
    return responses.json_response(item, warnings=req.warnings)


@handlers.virtual("metrics.k8s.io", "pods")
async def pods(req: ApiRequest) -> web.StreamResponse:
    path = req.path
    store = req.cluster.store
    if path.verb == "get":
        assert path.name is not None
        pod = store.get("pods", req.namespace, path.name)
        found = pod_metrics_of(req, pod) if pod is not None else None
        if found is None:
            raise _not_found("podmetrics", "pods", f"{req.namespace}/{path.name}")
        return _single(req, found)
    if path.verb != "list":
        raise status.method_not_allowed()
    labels = parse_label_selector(req.query.get("labelSelector"))
    fields = parse_field_selector(req.query.get("fieldSelector"), "pods")
    items = []
    for pod in store.list_sorted("pods", path.namespace):
        if labels.matches(pod["metadata"].get("labels")) and fields.matches(pod):
            found = pod_metrics_of(req, pod)
            if found is not None:
                items.append(found)
    return _answer(req, items, "PodMetricsList")


@handlers.virtual("metrics.k8s.io", "nodes")
async def nodes(req: ApiRequest) -> web.StreamResponse:
    path = req.path
    store = req.cluster.store
    if path.verb == "get":
        assert path.name is not None
        node = store.get("nodes", "", path.name)
        candidates = [node] if node is not None else []
    elif path.verb == "list":
        labels = parse_label_selector(req.query.get("labelSelector"))
        fields = parse_field_selector(req.query.get("fieldSelector"), "nodes")
        candidates = [node for node in store.list_sorted("nodes")
                      if labels.matches(node["metadata"].get("labels")) and fields.matches(node)]
    else:
        raise status.method_not_allowed()
    samples = req.cluster.usage.nodes(candidates)
    items = [{"kind": "NodeMetrics", "apiVersion": API_VERSION, "metadata": _metadata(req, node),
              "timestamp": _time(samples[node["metadata"]["name"]].timestamp),
              "window": _window(samples[node["metadata"]["name"]].window),
              "usage": _usage(samples[node["metadata"]["name"]].usage)}
             for node in candidates if node["metadata"]["name"] in samples]
    if path.verb == "get":
        if not items:
            raise _not_found("nodemetrics", "nodes", str(path.name))
        return _single(req, items[0])
    return _answer(req, items, "NodeMetricsList")
