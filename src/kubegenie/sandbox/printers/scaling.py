"""Printers for HorizontalPodAutoscalers (Reference, Targets such as `cpu: 30%/80%`, MinPods, MaxPods,
Replicas) and PodDisruptionBudgets. autoscaling/v1 objects are printed through their autoscaling/v2 form, as
the apiserver prints every version from one internal type."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kubegenie.sandbox import conversions
from kubegenie.sandbox.printers.cells import NONE, UNSET
from kubegenie.sandbox.printers.table import AGE, NAME, Column, Printer, age, register
from kubegenie.sandbox.store import Obj

if TYPE_CHECKING:
    from kubegenie.sandbox.cluster import Cluster

_UNKNOWN = "<unknown>"
_MAX_LISTED = 2


def _quantity(value: Any) -> str:
    return "<nil>" if value is None else str(value)


def _value(target: Obj, current: Obj | None, key: str) -> tuple[str, str]:
    shown = _UNKNOWN if current is None else _quantity(current.get(key))
    return shown, _quantity(target.get(key))


def _metric_text(spec: Obj, status: Obj | None, named: bool) -> str:
    kind = spec.get("type")
    if kind in ("External", "Object"):
        source = spec.get(kind.lower()) or {}
        current = ((status or {}).get(kind.lower()) or {}).get("current") if status else None
        target = source.get("target") or {}
        if target.get("averageValue") is not None:
            now, goal = _value(target, current, "averageValue")
            return f"{now}/{goal} (avg)"
        now, goal = _value(target, current, "value")
        return f"{now}/{goal}"
    if kind == "Pods":
        current = ((status or {}).get("pods") or {}).get("current") if status else None
        now, goal = _value((spec.get("pods") or {}).get("target") or {}, current, "averageValue")
        return f"{now}/{goal}"
    if kind in ("Resource", "ContainerResource"):
        field = "resource" if kind == "Resource" else "containerResource"
        source = spec.get(field) or {}
        current = ((status or {}).get(field) or {}).get("current") if status else None
        target = source.get("target") or {}
        prefix = f"{source.get('name', '')}: " if named else ""
        if target.get("averageValue") is not None:
            now, goal = _value(target, current, "averageValue")
            return f"{prefix}{now}/{goal}"
        now = _UNKNOWN if current is None or current.get("averageUtilization") is None \
            else f"{current['averageUtilization']}%"
        goal = "<auto>" if target.get("averageUtilization") is None else f"{target['averageUtilization']}%"
        return f"{prefix}{now}/{goal}"
    return "<unknown type>"


def hpa_targets(hpa: Obj, named: bool = True) -> str:
    """The Targets cell; current values are matched to specs by position, as formatHPAMetrics does."""
    specs = (hpa.get("spec") or {}).get("metrics") or []
    if not specs:
        return NONE
    statuses = (hpa.get("status") or {}).get("currentMetrics") or []
    texts = [_metric_text(spec, statuses[index] if index < len(statuses) else None, named)
             for index, spec in enumerate(specs)]
    if len(texts) > _MAX_LISTED:
        return f"{', '.join(texts[:_MAX_LISTED])} + {len(texts) - _MAX_LISTED} more..."
    return ", ".join(texts)


def _hpa(cluster: Cluster, obj: Obj) -> list[Any]:
    hpa = conversions.convert(obj, "autoscaling/v2")
    spec, status = hpa.get("spec") or {}, hpa.get("status") or {}
    ref = spec.get("scaleTargetRef") or {}
    min_pods = UNSET if spec.get("minReplicas") is None else str(spec["minReplicas"])
    # The metric name in front of resource targets arrived in 1.30.
    return [hpa["metadata"]["name"], f"{ref.get('kind', '')}/{ref.get('name', '')}",
            hpa_targets(hpa, named=cluster.version.minor >= 30), min_pods, int(spec.get("maxReplicas") or 0),
            int(status.get("currentReplicas") or 0), age(cluster, hpa)]


register("autoscaling/horizontalpodautoscalers")(Printer([
    NAME,
    Column("Reference", description="reference to scaled resource; horizontal pod autoscaler will learn the "
                                    "current resource consumption and will set the desired number of pods by using "
                                    "its Scale subresource."),
    Column("Targets", description="the specifications for which to use to calculate the desired replica count."),
    Column("MinPods", description="minReplicas is the lower limit for the number of replicas to which the "
                                  "autoscaler can scale down."),
    Column("MaxPods", description="maxReplicas is the upper limit for the number of replicas to which the "
                                  "autoscaler can scale up."),
    Column("Replicas", description="current number of replicas of pods managed by this autoscaler."),
    AGE,
], _hpa))


def _pdb(cluster: Cluster, obj: Obj) -> list[Any]:
    spec = obj.get("spec") or {}
    min_available = "N/A" if spec.get("minAvailable") is None else str(spec["minAvailable"])
    max_unavailable = "N/A" if spec.get("maxUnavailable") is None else str(spec["maxUnavailable"])
    return [obj["metadata"]["name"], min_available, max_unavailable,
            int((obj.get("status") or {}).get("disruptionsAllowed") or 0), age(cluster, obj)]


register("policy/poddisruptionbudgets")(Printer([
    NAME,
    Column("Min Available", description="The minimum number of pods that must be available."),
    Column("Max Unavailable", description="The maximum number of pods that may be unavailable."),
    Column("Allowed Disruptions", type="integer", description="Calculated number of pods that may be disrupted at "
                                                              "this time."),
    AGE,
], _pdb))
