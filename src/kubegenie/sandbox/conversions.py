"""Conversion between the version a client asked for and the version objects are stored in.

Most types have one version, so conversion only rewrites apiVersion. Types served at several versions register
their converters here: core/v1 Event (stored) <-> events.k8s.io/v1 Event, and autoscaling/v2
HorizontalPodAutoscaler (stored) <-> autoscaling/v1, which keeps what v1 cannot express in the
`autoscaling.alpha.kubernetes.io/*` annotations exactly as kube-apiserver does. CRDs with several versions
register theirs at run time.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson

from kubegenie.sandbox.resources import ResourceType
from kubegenie.sandbox.store import Obj

if TYPE_CHECKING:
    from kubegenie.sandbox.cluster import Cluster

Converter = Callable[[Obj], Obj]
# (storage api version, served api version, kind) -> function converting a storage object to the served one
_FROM_STORAGE: dict[tuple[str, str, str], Converter] = {}
# (served api version, storage api version, kind) -> function converting a served object to storage
_TO_STORAGE: dict[tuple[str, str, str], Converter] = {}


def register(storage: str, served: str, kind: str, down: Converter, up: Converter) -> None:
    """`down` turns a stored object into the served version, `up` turns a served one into storage."""
    _FROM_STORAGE[(storage, served, kind)] = down
    _TO_STORAGE[(served, storage, kind)] = up


def storage_version(cluster: Cluster, rtype: ResourceType) -> str:
    """The apiVersion objects of this type are stored in."""
    return cluster.storage_versions.get(rtype.storage_key, rtype.api_version)


def convert(obj: Obj, api_version: str) -> Obj:
    """`obj` in another version of its kind, through whichever registered converter links the two."""
    current = obj.get("apiVersion", "")
    if current == api_version:
        return obj
    kind = str(obj.get("kind", ""))
    converter = _FROM_STORAGE.get((current, api_version, kind)) or _TO_STORAGE.get((current, api_version, kind))
    if converter is not None:
        return converter(obj)
    return {**obj, "apiVersion": api_version}


def from_storage(cluster: Cluster, rtype: ResourceType, obj: Obj) -> Obj:
    del cluster  # conversions are the same for every cluster; the parameter mirrors to_storage
    stored_as = obj.get("apiVersion", rtype.api_version)
    if stored_as == rtype.api_version:
        return obj
    converter = _FROM_STORAGE.get((stored_as, rtype.api_version, rtype.kind))
    if converter is not None:
        return converter(obj)
    return {**obj, "apiVersion": rtype.api_version}


def to_storage(cluster: Cluster, rtype: ResourceType, obj: Obj) -> Obj:
    target = storage_version(cluster, rtype)
    if target == rtype.api_version:
        return obj
    converter = _TO_STORAGE.get((rtype.api_version, target, rtype.kind))
    if converter is not None:
        return converter(obj)
    return {**obj, "apiVersion": target}


def _set(out: Obj, key: str, value: Any) -> None:
    if value is not None and value != "":
        out[key] = value


# --- events: core/v1 <-> events.k8s.io/v1 -------------------------------------------------------------------

def _core_event_to_events_v1(event: Obj) -> Obj:
    event = copy.deepcopy(event)
    out: Obj = {"kind": "Event", "apiVersion": "events.k8s.io/v1", "metadata": event.get("metadata", {}),
                # eventTime is required in events.k8s.io/v1 and serialises as null when the event never set it.
                "eventTime": event.get("eventTime")}
    _set(out, "series", event.get("series"))
    _set(out, "reportingController", event.get("reportingComponent"))
    _set(out, "reportingInstance", event.get("reportingInstance"))
    _set(out, "action", event.get("action"))
    _set(out, "reason", event.get("reason"))
    out["regarding"] = event.get("involvedObject") or {}
    _set(out, "related", event.get("related"))
    _set(out, "note", event.get("message"))
    _set(out, "type", event.get("type"))
    out["deprecatedSource"] = event.get("source") or {}
    out["deprecatedFirstTimestamp"] = event.get("firstTimestamp")
    out["deprecatedLastTimestamp"] = event.get("lastTimestamp")
    _set(out, "deprecatedCount", event.get("count") or None)
    return out


def _events_v1_to_core_event(event: Obj) -> Obj:
    event = copy.deepcopy(event)
    out: Obj = {"kind": "Event", "apiVersion": "v1", "metadata": event.get("metadata", {}),
                "involvedObject": event.get("regarding") or {}}
    _set(out, "reason", event.get("reason"))
    _set(out, "message", event.get("note"))
    out["source"] = event.get("deprecatedSource") or {}
    _set(out, "firstTimestamp", event.get("deprecatedFirstTimestamp"))
    _set(out, "lastTimestamp", event.get("deprecatedLastTimestamp"))
    _set(out, "count", event.get("deprecatedCount") or None)
    _set(out, "type", event.get("type"))
    _set(out, "eventTime", event.get("eventTime"))
    _set(out, "series", event.get("series"))
    _set(out, "action", event.get("action"))
    _set(out, "related", event.get("related"))
    out["reportingComponent"] = event.get("reportingController") or ""
    out["reportingInstance"] = event.get("reportingInstance") or ""
    return out


register("v1", "events.k8s.io/v1", "Event", _core_event_to_events_v1, _events_v1_to_core_event)


# --- HorizontalPodAutoscaler: autoscaling/v2 <-> autoscaling/v1 ---------------------------------------------

_METRICS = "autoscaling.alpha.kubernetes.io/metrics"
_CURRENT_METRICS = "autoscaling.alpha.kubernetes.io/current-metrics"
_CONDITIONS = "autoscaling.alpha.kubernetes.io/conditions"
_BEHAVIOR = "autoscaling.alpha.kubernetes.io/behavior"
_ROUND_TRIP = (_METRICS, _CURRENT_METRICS, _CONDITIONS, _BEHAVIOR,
               "autoscaling.alpha.kubernetes.io/scale-down-tolerance",
               "autoscaling.alpha.kubernetes.io/scale-up-tolerance")
_FIELD_OF = {"Object": "object", "Pods": "pods", "Resource": "resource", "ContainerResource": "containerResource",
             "External": "external"}
_ZERO = "0"  # a Quantity that is not a pointer in v1 serialises as "0" when unset


def _metric_v2_to_v1(metric: Obj, status: bool) -> Obj:
    """A v2 MetricSpec (or MetricStatus) in the v1 shape kept in the round-trip annotations."""
    kind = str(metric.get("type", ""))
    field = _FIELD_OF.get(kind)
    out: Obj = {"type": kind}
    if field is None or not isinstance(metric.get(field), dict):
        return out
    source: Obj = metric[field]
    values: Obj = source.get("current" if status else "target") or {}
    ident: Obj = source.get("metric") or {}
    prefix = "current" if status else "target"
    v1: Obj = {}
    if kind == "Object":
        v1["target"] = source.get("describedObject") or {}
        v1["metricName"] = ident.get("name", "")
        v1[f"{prefix}Value"] = values.get("value") or _ZERO
        _set(v1, "selector", ident.get("selector"))
        _set(v1, "averageValue", values.get("averageValue"))
    elif kind == "Pods":
        v1["metricName"] = ident.get("name", "")
        v1[f"{prefix}AverageValue"] = values.get("averageValue") or _ZERO
        _set(v1, "selector", ident.get("selector"))
    elif kind in ("Resource", "ContainerResource"):
        v1["name"] = source.get("name", "")
        _set(v1, f"{prefix}AverageUtilization", values.get("averageUtilization"))
        if status:
            v1["currentAverageValue"] = values.get("averageValue") or _ZERO
        else:
            _set(v1, "targetAverageValue", values.get("averageValue"))
        _set(v1, "container", source.get("container"))
    else:
        v1["metricName"] = ident.get("name", "")
        _set(v1, "metricSelector", ident.get("selector"))
        if status:
            v1["currentValue"] = values.get("value") or _ZERO
            _set(v1, "currentAverageValue", values.get("averageValue"))
        else:
            _set(v1, "targetValue", values.get("value"))
            _set(v1, "targetAverageValue", values.get("averageValue"))
    out[field] = v1
    return out


def _metric_v1_to_v2(metric: Obj, status: bool) -> Obj:
    """The inverse of `_metric_v2_to_v1`, as kube-apiserver reads the round-trip annotations."""
    kind = str(metric.get("type", ""))
    field = _FIELD_OF.get(kind)
    out: Obj = {"type": kind}
    if field is None or not isinstance(metric.get(field), dict):
        return out
    v1: Obj = metric[field]
    prefix = "current" if status else "target"
    values: Obj = {}
    source: Obj = {}
    if kind == "Object":
        source["describedObject"] = v1.get("target") or {}
        values = {"value": v1.get(f"{prefix}Value") or _ZERO}
        _set(values, "averageValue", v1.get("averageValue"))
        if not status:
            values = {"type": "AverageValue" if v1.get("averageValue") is not None else "Value", **values}
        source["metric"] = _identifier(v1.get("metricName"), v1.get("selector"))
    elif kind == "Pods":
        values = {"averageValue": v1.get(f"{prefix}AverageValue") or _ZERO}
        if not status:
            values = {"type": "AverageValue", **values}
        source["metric"] = _identifier(v1.get("metricName"), v1.get("selector"))
    elif kind in ("Resource", "ContainerResource"):
        source["name"] = v1.get("name", "")
        utilization = v1.get(f"{prefix}AverageUtilization")
        if not status:
            values["type"] = "Utilization" if utilization is not None else "AverageValue"
        _set(values, "averageValue", v1.get(f"{prefix}AverageValue"))
        _set(values, "averageUtilization", utilization)
        _set(source, "container", v1.get("container"))
    else:
        source["metric"] = _identifier(v1.get("metricName"), v1.get("metricSelector"))
        value = v1.get(f"{prefix}Value")
        if not status:
            values["type"] = "AverageValue" if value is None else "Value"
        _set(values, "value", value)
        _set(values, "averageValue", v1.get(f"{prefix}AverageValue"))
    source["current" if status else "target"] = values
    out[field] = source
    return out


def _identifier(name: Any, selector: Any) -> Obj:
    ident: Obj = {"name": name or ""}
    _set(ident, "selector", selector)
    return ident


# The behavior annotation holds the internal Go type, which has no JSON tags: its keys are Go field names.
_BEHAVIOR_KEYS = {"scaleUp": "ScaleUp", "scaleDown": "ScaleDown", "stabilizationWindowSeconds":
                  "StabilizationWindowSeconds", "selectPolicy": "SelectPolicy", "policies": "Policies",
                  "tolerance": "Tolerance", "type": "Type", "value": "Value", "periodSeconds": "PeriodSeconds"}
_BEHAVIOR_FIELDS = {go.lower(): api for api, go in _BEHAVIOR_KEYS.items()}


def _behavior_to_annotation(value: Any) -> Any:
    if isinstance(value, dict):
        return {_BEHAVIOR_KEYS.get(key, key): _behavior_to_annotation(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_behavior_to_annotation(item) for item in value]
    return value


def _behavior_from_annotation(value: Any) -> Any:
    # Go's decoder matches field names case-insensitively, so both spellings are read.
    if isinstance(value, dict):
        return {_BEHAVIOR_FIELDS.get(str(key).lower(), key): _behavior_from_annotation(item)
                for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_behavior_from_annotation(item) for item in value]
    return value


def _hpa_v2_to_v1(hpa: Obj) -> Obj:
    hpa = copy.deepcopy(hpa)
    meta: Obj = hpa.get("metadata") or {}
    spec: Obj = hpa.get("spec") or {}
    status: Obj = hpa.get("status") or {}
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k not in _ROUND_TRIP}
    v1_spec: Obj = {"scaleTargetRef": spec.get("scaleTargetRef") or {}}
    _set(v1_spec, "minReplicas", spec.get("minReplicas"))
    v1_spec["maxReplicas"] = spec.get("maxReplicas", 0)
    others = []
    cpu_seen = False
    for metric in spec.get("metrics") or []:
        target = (metric.get("resource") or {}).get("target") or {}
        is_cpu = metric.get("type") == "Resource" and (metric.get("resource") or {}).get("name") == "cpu"
        if is_cpu and not cpu_seen:
            # Only the first CPU metric can become targetCPUUtilizationPercentage.
            cpu_seen = True
            _set(v1_spec, "targetCPUUtilizationPercentage", target.get("averageUtilization"))
        if not (is_cpu and target.get("averageUtilization") is not None):
            others.append(_metric_v2_to_v1(metric, status=False))
    v1_status: Obj = {}
    _set(v1_status, "observedGeneration", status.get("observedGeneration"))
    _set(v1_status, "lastScaleTime", status.get("lastScaleTime"))
    v1_status["currentReplicas"] = status.get("currentReplicas", 0)
    v1_status["desiredReplicas"] = status.get("desiredReplicas", 0)
    current = status.get("currentMetrics") or []
    for metric in current:
        resource = metric.get("resource") or {}
        if metric.get("type") == "Resource" and resource.get("name") == "cpu":
            _set(v1_status, "currentCPUUtilizationPercentage", (resource.get("current") or {}).get(
                "averageUtilization"))
    if others:
        annotations[_METRICS] = orjson.dumps(others).decode()
    if current:
        annotations[_CURRENT_METRICS] = orjson.dumps([_metric_v2_to_v1(m, status=True) for m in current]).decode()
    if status.get("conditions"):
        annotations[_CONDITIONS] = orjson.dumps(status["conditions"]).decode()
    if spec.get("behavior"):
        annotations[_BEHAVIOR] = orjson.dumps(_behavior_to_annotation(spec["behavior"])).decode()
    meta = {**meta, "annotations": annotations} if annotations else {k: v for k, v in meta.items()
                                                                      if k != "annotations"}
    return {"kind": "HorizontalPodAutoscaler", "apiVersion": "autoscaling/v1", "metadata": meta, "spec": v1_spec,
            "status": v1_status}


def _annotation_list(annotations: Obj, key: str) -> list[Any] | None:
    """A well-formed JSON list from a round-trip annotation; anything else is ignored, as the apiserver does."""
    try:
        value = orjson.loads(annotations[key]) if key in annotations else None
    except orjson.JSONDecodeError:
        return None
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else None


def _hpa_v1_to_v2(hpa: Obj) -> Obj:
    hpa = copy.deepcopy(hpa)
    meta: Obj = hpa.get("metadata") or {}
    spec: Obj = hpa.get("spec") or {}
    status: Obj | None = hpa.get("status")
    annotations: Obj = meta.get("annotations") or {}
    v2_spec: Obj = {"scaleTargetRef": spec.get("scaleTargetRef") or {}}
    _set(v2_spec, "minReplicas", spec.get("minReplicas"))
    v2_spec["maxReplicas"] = spec.get("maxReplicas", 0)
    metrics = [_metric_v1_to_v2(m, status=False) for m in _annotation_list(annotations, _METRICS) or []]
    cpu = spec.get("targetCPUUtilizationPercentage")
    if cpu is not None:
        metrics.append(_cpu_metric(cpu))
    # autoscaling/v1 always meant "80% CPU" when nothing else was said.
    v2_spec["metrics"] = metrics or [_cpu_metric(80)]
    behavior = _parse_behavior(annotations.get(_BEHAVIOR))
    if behavior:
        v2_spec["behavior"] = behavior
    out: Obj = {"kind": "HorizontalPodAutoscaler", "apiVersion": "autoscaling/v2", "spec": v2_spec}
    kept = {k: v for k, v in annotations.items() if k not in _ROUND_TRIP}
    out["metadata"] = {**meta, "annotations": kept} if kept else {k: v for k, v in meta.items()
                                                                  if k != "annotations"}
    if isinstance(status, dict):
        v2_status: Obj = {}
        for key in ("observedGeneration", "lastScaleTime", "currentReplicas"):
            _set(v2_status, key, status.get(key))
        v2_status["desiredReplicas"] = status.get("desiredReplicas", 0)
        current = _annotation_list(annotations, _CURRENT_METRICS)
        if current is not None:
            v2_status["currentMetrics"] = [_metric_v1_to_v2(m, status=True) for m in current]
        elif status.get("currentCPUUtilizationPercentage") is not None:
            v2_status["currentMetrics"] = [{"type": "Resource", "resource": {"name": "cpu", "current": {
                "averageUtilization": status["currentCPUUtilizationPercentage"]}}}]
        conditions = _annotation_list(annotations, _CONDITIONS)
        if conditions:
            v2_status["conditions"] = conditions
        out["status"] = v2_status
    return out


def _cpu_metric(utilization: Any) -> Obj:
    return {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization",
                                                                       "averageUtilization": utilization}}}


def _parse_behavior(text: Any) -> Obj | None:
    if not isinstance(text, str):
        return None
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    behavior = _behavior_from_annotation(value) if isinstance(value, dict) else None
    return behavior or None


register("autoscaling/v2", "autoscaling/v1", "HorizontalPodAutoscaler", _hpa_v2_to_v1, _hpa_v1_to_v2)
