"""The HorizontalPodAutoscaler controller (autoscaling/v2) on the simulated container usage: every 15 s it
reads the target's scale, computes desired = ceil(current * usage / target) with the 10 % tolerance and the
replica calculator's handling of unready and missing pods, applies the scaling behaviour (stabilisation
windows, rate policies) and min/max bounds, scales the target, and reports AbleToScale, ScalingActive and
ScalingLimited with upstream's reasons and messages (a missing target is FailedGetScale).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from kubegenie.domain import quantity
from kubegenie.sandbox.sim.controller import Controller
from kubegenie.sandbox.sim.kube import Key, pod_ready, set_condition, spec_selector
from kubegenie.sandbox.store import Change, Obj

if TYPE_CHECKING:
    from kubegenie.sandbox.sim import Simulation

SYNC_PERIOD = 15.0
TOLERANCE = 0.1
DOWNSCALE_WINDOW = 300
TARGETS = {("apps", "Deployment"): "apps/deployments", ("apps", "StatefulSet"): "apps/statefulsets",
           ("apps", "ReplicaSet"): "apps/replicasets", ("", "ReplicationController"): "replicationcontrollers"}
DEFAULT_SCALE_UP = {"stabilizationWindowSeconds": 0, "selectPolicy": "Max",
                    "policies": [{"type": "Pods", "value": 4, "periodSeconds": 15},
                                 {"type": "Percent", "value": 100, "periodSeconds": 15}]}
DEFAULT_SCALE_DOWN = {"stabilizationWindowSeconds": DOWNSCALE_WINDOW, "selectPolicy": "Max",
                      "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]}


class MetricError(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass
class _Recommendation:
    replicas: int
    at: float


@dataclass
class _ScaleEvent:
    change: int
    at: float


def _quantity(value: object) -> Decimal:
    try:
        return quantity.parse(value) if isinstance(value, str | int | float) else Decimal(0)
    except quantity.QuantityError:
        return Decimal(0)


def _milli(value: float) -> str:
    return quantity.canonical(str(Decimal(round(value)) / 1000)) if value else "0"


class HorizontalPodAutoscalerController(Controller):
    name = "horizontal-pod-autoscaler"
    primary = "autoscaling/horizontalpodautoscalers"
    watches = ("autoscaling/horizontalpodautoscalers",)

    def __init__(self, sim: Simulation) -> None:
        super().__init__(sim)
        self._recommendations: dict[str, list[_Recommendation]] = {}
        self._ups: dict[str, list[_ScaleEvent]] = {}
        self._downs: dict[str, list[_ScaleEvent]] = {}

    def on_change(self, change: Change) -> None:
        old = change.old
        if change.type == "DELETED":
            uid = change.obj["metadata"].get("uid", "")
            for table in (self._recommendations, self._ups, self._downs):
                table.pop(uid, None)
            return
        if old is None or old.get("spec") != change.obj.get("spec"):
            super().on_change(change)

    def reconcile(self, key: Key) -> None:
        hpa = self.get(key)
        if hpa is None:
            return
        self.enqueue_after(key, SYNC_PERIOD)
        spec = hpa.get("spec") or {}
        status = dict(hpa.get("status") or {})
        conditions = list(status.get("conditions") or [])
        now = self.stamp()
        ref = spec.get("scaleTargetRef") or {}
        group = str(ref.get("apiVersion") or "").rpartition("/")[0]
        storage_key = TARGETS.get((group, str(ref.get("kind"))))
        target = self.store.get(storage_key, key[0], str(ref.get("name"))) if storage_key else None
        if target is None:
            plural = storage_key.rpartition("/")[2] if storage_key else f"{str(ref.get('kind', '')).lower()}s"
            what = f'{plural}/scale{"." + group if group else ""} "{ref.get("name")}" not found' if storage_key else \
                f'no matches for kind "{ref.get("kind")}" in group "{group}"'
            self.event(hpa, "Warning", "FailedGetScale", what)
            conditions = set_condition(conditions, "AbleToScale", "False", "FailedGetScale",
                                       f"the HPA controller was unable to get the target's current scale: {what}", now)
            status["conditions"] = conditions
            status.setdefault("currentReplicas", 0)
            status.setdefault("desiredReplicas", 0)
            self._write(hpa, status)
            return
        conditions = set_condition(conditions, "AbleToScale", "True", "SucceededGetScale",
                                   "the HPA controller was able to get the target's current scale", now)
        current = int((target.get("spec") or {}).get("replicas", 1))
        minimum = int(spec.get("minReplicas") or 1)
        maximum = int(spec.get("maxReplicas") or 1)
        metric_statuses = status.get("currentMetrics") or []
        reason = ""
        if current == 0 and minimum != 0:
            desired, rescale = 0, False
            conditions = set_condition(conditions, "ScalingActive", "False", "ScalingDisabled",
                                       "scaling is disabled since the replica count of the target is zero", now)
        elif current > maximum:
            desired, rescale, reason = maximum, True, "Current number of replicas above Spec.MaxReplicas"
        elif current < minimum:
            desired, rescale, reason = minimum, True, "Current number of replicas below Spec.MinReplicas"
        else:
            try:
                proposal, metric, metric_statuses = self._metrics(hpa, target, current)
            except MetricError as exc:
                self.event(hpa, "Warning", exc.reason, str(exc))
                conditions = set_condition(conditions, "ScalingActive", "False", exc.reason,
                                           f"the HPA was unable to compute the replica count: {exc}", now)
                status.update({"conditions": conditions, "currentReplicas": current})
                status.setdefault("desiredReplicas", current)
                self._write(hpa, status)
                return
            conditions = set_condition(conditions, "ScalingActive", "True", "ValidMetricFound",
                                       f"the HPA was able to successfully calculate a replica count from {metric}", now)
            if proposal > current:
                reason = f"{metric} above target"
            elif proposal < current:
                reason = "All metrics below target"
            desired, conditions = self._normalize(hpa, current, proposal, minimum, maximum, conditions, now)
            rescale = desired != current
        if rescale and storage_key is not None:
            self.writer.update(storage_key, {**target, "spec": {**(target.get("spec") or {}), "replicas": desired}})
            conditions = set_condition(conditions, "AbleToScale", "True", "SucceededRescale",
                                       f"the HPA controller was able to update the target scale to {desired}", now)
            self.event(hpa, "Normal", "SuccessfulRescale", f"New size: {desired}; reason: {reason}")
            events = self._ups if desired > current else self._downs
            events.setdefault(hpa["metadata"]["uid"], []).append(_ScaleEvent(abs(desired - current), self.now()))
            status["lastScaleTime"] = now
        else:
            desired = current
        status.update({"conditions": conditions, "currentReplicas": current, "desiredReplicas": desired})
        if metric_statuses:
            status["currentMetrics"] = metric_statuses
        self._write(hpa, status)

    def _write(self, hpa: Obj, status: Obj) -> None:
        if status != (hpa.get("status") or {}):
            self.writer.update_status(self.primary, {**hpa, "status": status})

    # --- metrics -------------------------------------------------------------------------------------------

    def _metrics(self, hpa: Obj, target: Obj, current: int) -> tuple[int, str, list[Obj]]:
        metrics = (hpa.get("spec") or {}).get("metrics") or [
            {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization",
                                                                        "averageUtilization": 80}}}]
        best, best_name, statuses, first_error = 0, "", [], None
        invalid = 0
        for metric in metrics:
            try:
                proposal, name, metric_status = self._metric(hpa, target, metric, current)
            except MetricError as exc:
                invalid += 1
                first_error = first_error or exc
                continue
            statuses.append(metric_status)
            if best == 0 or proposal > best:
                best, best_name = proposal, name
        if invalid >= len(metrics) and first_error is not None:
            raise first_error
        return best, best_name, statuses

    def _metric(self, hpa: Obj, target: Obj, metric: Obj, current: int) -> tuple[int, str, Obj]:
        kind = metric.get("type")
        if kind not in ("Resource", "ContainerResource"):
            name = ((metric.get(str(kind)[0].lower() + str(kind)[1:]) or {}).get("metric") or {}).get("name", "")
            source = {"Pods": "FailedGetPodsMetric", "Object": "FailedGetObjectMetric",
                      "External": "FailedGetExternalMetric"}.get(str(kind), "InvalidMetricSourceType")
            raise MetricError(source, f"unable to get metric {name}: no metrics returned from custom metrics API")
        body = metric.get("resource") or metric.get("containerResource") or {}
        resource = str(body.get("name") or "cpu")
        container = body.get("container") if kind == "ContainerResource" else None
        goal = body.get("target") or {}
        pods = self._pods(hpa, target)
        if not pods:
            raise MetricError("FailedGetResourceMetric", f"failed to get {resource} utilization: unable to get "
                              f"metrics for resource {resource}: no metrics returned from resource metrics API")
        usage, requests, unready, missing, lacking = self._usage(pods, resource, container)
        if lacking and goal.get("averageValue") is None:
            pod_name, container_name = lacking
            raise MetricError("FailedGetResourceMetric", f"failed to get {resource} utilization: missing request for "
                              f"{resource} in container {container_name} of Pod {pod_name}")
        if not usage:
            raise MetricError("FailedGetResourceMetric", f"failed to get {resource} utilization: did not receive "
                              f"metrics for targeted pods (pods might be unready)")
        if goal.get("averageValue") is not None:
            wanted = float(_quantity(goal["averageValue"]) * 1000)
            average = sum(usage.values()) / len(usage)
            ratio = average / wanted if wanted else 0.0
            replicas = current if abs(1 - ratio) <= TOLERANCE else math.ceil(ratio * len(usage))
            return replicas, f"{resource} resource", {"type": "Resource", "resource": {
                "name": resource, "current": {"averageValue": _milli(average)}}}
        target_utilization = int(goal.get("averageUtilization") or 80)
        replicas, utilization, raw = _replicas(current, usage, requests, unready, missing, target_utilization)
        return replicas, f"{resource} resource utilization (percentage of request)", {
            "type": "Resource", "resource": {"name": resource, "current": {
                "averageUtilization": utilization, "averageValue": _milli(raw)}}}

    def _pods(self, hpa: Obj, target: Obj) -> list[Obj]:
        selector = spec_selector(target.get("spec") or {})
        if selector is None or selector.empty:
            return []
        return [pod for pod in self.sim.pods.selected(hpa["metadata"]["namespace"], selector)
                if not pod["metadata"].get("deletionTimestamp")
                and (pod.get("status") or {}).get("phase") != "Failed"]

    def _usage(self, pods: list[Obj], resource: str, container: str | None
               ) -> tuple[dict[str, float], dict[str, float], set[str], set[str], tuple[str, str] | None]:
        """Per-pod usage (milli-units) of ready pods with metrics, per-pod requests, unready and missing pods, and
        the first (pod, container) without a request for the resource."""
        lacking: tuple[str, str] | None = None
        usage: dict[str, float] = {}
        requests: dict[str, float] = {}
        unready: set[str] = set()
        missing: set[str] = set()
        for pod in pods:
            name = pod["metadata"]["name"]
            containers = [c for c in (pod.get("spec") or {}).get("containers") or []
                          if container is None or c.get("name") == container]
            total_request = Decimal(0)
            complete = True
            for c in containers:
                request = ((c.get("resources") or {}).get("requests") or {}).get(resource)
                if request is None:
                    complete = False
                    lacking = lacking or (name, str(c.get("name")))
                else:
                    total_request += _quantity(request)
            if complete and containers:
                requests[name] = float(total_request * 1000)
            if (pod.get("status") or {}).get("phase") == "Pending":
                unready.add(name)
                continue
            sample = self.cluster.usage.pod(pod)
            wanted = {str(c.get("name")) for c in containers}
            measured = [u for n, u in sample.containers if n in wanted] if sample is not None else []
            if not measured:
                missing.add(name)
                continue
            value = float(sum(u.cpu for u in measured) * 1000) if resource == "cpu" \
                else float(sum(u.memory for u in measured))
            if resource == "cpu" and not pod_ready(pod):
                unready.add(name)
                continue
            usage[name] = value if resource == "cpu" else value * 1000
        return usage, requests, unready, missing, lacking

    # --- normalisation -------------------------------------------------------------------------------------

    def _normalize(self, hpa: Obj, current: int, proposal: int, minimum: int, maximum: int,
                   conditions: list[Obj], now: str) -> tuple[int, list[Obj]]:
        behavior = (hpa.get("spec") or {}).get("behavior") or {}
        up = {**DEFAULT_SCALE_UP, **(behavior.get("scaleUp") or {})}
        down = {**DEFAULT_SCALE_DOWN, **(behavior.get("scaleDown") or {})}
        uid = hpa["metadata"]["uid"]
        history = self._recommendations.setdefault(uid, [_Recommendation(current, self.now())])
        at = self.now()
        if proposal >= current:
            window, pick = int(up.get("stabilizationWindowSeconds") or 0), min
            reason, message = "ScaleUpStabilized", ("recent recommendations were lower than current one, applying "
                                                    "the lowest recent recommendation")
        else:
            window, pick = int(down.get("stabilizationWindowSeconds") or 0), max
            reason, message = "ScaleDownStabilized", ("recent recommendations were higher than current one, applying "
                                                      "the highest recent recommendation")
        stabilized = proposal
        for rec in history:
            if rec.at > at - window:
                stabilized = pick(stabilized, rec.replicas)
        longest = max(int(up.get("stabilizationWindowSeconds") or 0), int(down.get("stabilizationWindowSeconds") or 0))
        history[:] = [rec for rec in history if rec.at >= at - longest] + [_Recommendation(proposal, at)]
        if stabilized != proposal:
            conditions = set_condition(conditions, "AbleToScale", "True", reason, message, now)
        else:
            conditions = set_condition(conditions, "AbleToScale", "True", "ReadyForNewScale",
                                       "recommended size matches current size", now)
        desired, limit_reason, limit_message = stabilized, "DesiredWithinRange", \
            "the desired count is within the acceptable range"
        if stabilized > current:
            ceiling = max(current, self._limit(uid, current, up, up=True))
            if maximum > ceiling:
                bound, why, text = ceiling, "ScaleUpLimit", ("the desired replica count is increasing faster than "
                                                             "the maximum scale rate")
            else:
                bound, why, text = maximum, "TooManyReplicas", ("the desired replica count is more than the maximum "
                                                                "replica count")
            if stabilized > bound:
                desired, limit_reason, limit_message = bound, why, text
        elif stabilized < current:
            floor = min(current, self._limit(uid, current, down, up=False))
            if minimum < floor:
                bound, why, text = floor, "ScaleDownLimit", ("the desired replica count is decreasing faster than "
                                                             "the maximum scale rate")
            else:
                bound, why, text = minimum, "TooFewReplicas", ("the desired replica count is less than the minimum "
                                                               "replica count")
            if stabilized < bound:
                desired, limit_reason, limit_message = bound, why, text
        conditions = set_condition(conditions, "ScalingLimited", "True" if desired != stabilized else "False",
                                   limit_reason, limit_message, now)
        return desired, conditions

    def _limit(self, uid: str, current: int, rules: Obj, up: bool) -> int:
        """The most (up) or fewest (down) replicas the rate policies allow now."""
        policy = rules.get("selectPolicy") or "Max"
        if policy == "Disabled":
            return current
        events = (self._ups if up else self._downs).get(uid, [])
        at = self.now()
        results = []
        for rule in rules.get("policies") or []:
            period = float(rule.get("periodSeconds") or 15)
            changed = sum(e.change for e in events if e.at > at - period)
            start = current - changed if up else current + changed
            value = int(rule.get("value") or 0)
            if rule.get("type") == "Pods":
                results.append(start + value if up else start - value)
            else:
                results.append(math.ceil(start * (1 + value / 100)) if up else int(start * (1 - value / 100)))
        if not results:
            return current
        if up:
            return max(results) if policy == "Max" else min(results)
        return min(results) if policy == "Max" else max(results)


def _replicas(current: int, usage: dict[str, float], requests: dict[str, float], unready: set[str],
              missing: set[str], target: int) -> tuple[int, int, float]:
    """The replica calculator's GetResourceReplicas: (replicas, utilization %, average usage in milli-units)."""

    def ratio(values: dict[str, float]) -> tuple[float, int, float]:
        total_request = sum(requests.get(name, 0.0) for name in values)
        if total_request <= 0:
            return 0.0, 0, 0.0
        utilization = int(sum(values.values()) * 100 / total_request)
        return utilization / target, utilization, sum(values.values()) / len(values)

    usage_ratio, utilization, raw = ratio(usage)
    scale_up_unready = bool(unready) and usage_ratio > 1.0
    if not scale_up_unready and not missing:
        if abs(1.0 - usage_ratio) <= TOLERANCE:
            return current, utilization, raw
        return math.ceil(usage_ratio * len(usage)), utilization, raw
    adjusted = dict(usage)
    for name in missing:
        if name in requests:
            adjusted[name] = requests[name] if usage_ratio < 1.0 else 0.0
    if scale_up_unready:
        for name in unready:
            adjusted[name] = 0.0
    new_ratio, _, _ = ratio(adjusted)
    if abs(1.0 - new_ratio) <= TOLERANCE or (usage_ratio < 1.0 < new_ratio) or (usage_ratio > 1.0 > new_ratio):
        return current, utilization, raw
    replicas = math.ceil(new_ratio * len(adjusted))
    if (new_ratio < 1.0 and replicas > current) or (new_ratio > 1.0 and replicas < current):
        return current, utilization, raw
    return replicas, utilization, raw

