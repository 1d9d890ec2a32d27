"""The ground truth of what a sandbox cluster was given: every container's usage pattern, base values and
runs (with the OOM kills of leaking containers), when spiky containers spike, which pods follow the weekday
CPU peak, the failures declared through annotations, the declared node conditions and prices, and the
problems the scenario lists. Tests and benchmarks score agents against it; agents must never read it.
"""

from __future__ import annotations

from typing import Any

from kubegenie.sandbox.scenarios.model import Problem
from kubegenie.sandbox.scenarios.nodes import PRICE_ANNOTATION
from kubegenie.sandbox.sim import images, usage
from kubegenie.sandbox.sim.annotations import node_conditions, pod_behaviours
from kubegenie.sandbox.sim.kube import timestamp
from kubegenie.sandbox.store import Obj
from kubegenie.sandbox.telemetry import series
from kubegenie.sandbox.telemetry.history import ContainerSeries, History

SCHEMA = "sandbox.kubegenie.io/ground-truth/v1"


def _container(item: ContainerSeries, start: float, end: float) -> dict[str, Any]:
    spec = item.spec
    entry: dict[str, Any] = {
        "namespace": item.namespace, "pod": item.pod, "container": item.container, "node": item.node,
        "pattern": spec.pattern, "cpuMillicores": round(spec.cpu_base, 3), "memoryBytes": int(spec.memory_base),
        "cpuLimitMillicores": spec.cpu_limit, "memoryLimitBytes": spec.memory_limit,
        "runs": [{"start": run.start, "end": run.end, "exitCode": run.exit_code, "reason": run.reason}
                 for run in item.runs if run.end is None or run.end > start],
    }
    if spec.pattern == "spiky":
        windows = []
        for run in item.runs:
            lo, hi = max(start, run.start), min(end, run.end if run.end is not None else end)
            if hi > lo:
                windows.extend(series.spike_windows(spec.key, lo, hi))
        entry["spikes"] = [{"start": begin, "end": finish, "cpuMillicores": round(
            series.smooth_cpu_millicores(spec, begin), 3)} for begin, finish in windows]
    if spec.pattern == "leak":
        entry["leak"] = {"growthBytesPerHour": int(spec.memory_base * 3600 / usage.LEAK_GROWTH_SECONDS),
                         "oomEverySeconds": spec.oom_delay,
                         "oomKills": [run.end for run in item.runs if run.reason == "OOMKilled" and run.end is not None
                                      and run.end > start]}
    return entry


def _declared_failures(pod: Obj) -> list[dict[str, Any]]:
    """What the pod's annotations and images make fail, as the kubelet will show it."""
    meta, spec = pod["metadata"], pod.get("spec") or {}
    found = []
    behaviours = pod_behaviours(pod)
    for container in (spec.get("initContainers") or []) + (spec.get("containers") or []):
        name = str(container.get("name", ""))
        behaviour = behaviours.get(name)
        base = {"namespace": meta.get("namespace", ""), "pod": meta["name"], "container": name}
        image = str(container.get("image", ""))
        if images.pull_error(image) is not None:
            found.append({**base, "kind": "ImagePullBackOff", "detail": f"image {image} cannot be pulled"})
            continue
        if behaviour is None:
            continue
        if behaviour.exit_code not in (None, 0):
            restarts = spec.get("restartPolicy", "Always") != "Never"
            found.append({**base, "kind": "CrashLoopBackOff" if restarts else "Failed", "exitCode": behaviour.exit_code,
                          "detail": f"exits with code {behaviour.exit_code} after {behaviour.run_seconds:g}s"})
        spec = series.spec_for(pod, container, 0)
        limit, memory = spec.memory_limit, spec.memory_base
        if limit is not None and memory > limit:
            found.append({**base, "kind": "OOMKilled", "exitCode": 137,
                          "detail": f"uses {int(memory)} bytes with a {int(limit)} byte limit"})
        elif limit is not None and behaviour.pattern == "leak":
            found.append({**base, "kind": "OOMKilled", "exitCode": 137,
                          "detail": "memory leak reaches the limit and is OOM-killed periodically"})
        if not behaviour.ready:
            found.append({**base, "kind": "ReadinessProbeFailed", "detail": "readiness probe always fails"})
    return found


def ground_truth(history: History, cluster_name: str, scenario: str, problems: tuple[Problem, ...]) -> dict[str, Any]:
    now = history.now()
    start = history.start
    store = history.cluster.store
    containers = [_container(item, start, now) for item in history.containers()]
    failures = [failure for pod in store.list_sorted("pods") for failure in _declared_failures(pod)]
    nodes = []
    for node in store.list_sorted("nodes"):
        meta = node["metadata"]
        labels = meta.get("labels") or {}
        price = (meta.get("annotations") or {}).get(PRICE_ANNOTATION)
        eks_capacity = {"SPOT": "spot", "ON_DEMAND": "on-demand"}.get(labels.get("eks.amazonaws.com/capacityType", ""))
        nodes.append({"name": meta["name"], "instanceType": labels.get("node.kubernetes.io/instance-type"),
                      "zone": labels.get("topology.kubernetes.io/zone"),
                      "capacityType": labels.get("karpenter.sh/capacity-type") or eks_capacity,
                      "hourlyPrice": float(price) if price else None,
                      "declaredConditions": node_conditions(node),
                      "unschedulable": bool((node.get("spec") or {}).get("unschedulable"))})
    diurnal = [f"{c['namespace']}/{c['pod']}/{c['container']}" for c in containers if c["pattern"] == "diurnal"]
    return {
        "schema": SCHEMA, "cluster": cluster_name, "scenario": scenario, "seed": history.seed,
        "generatedAt": now, "loadedAt": history.loaded_at, "loadedAtTime": timestamp(history.loaded_at),
        "history": {"start": start, "end": now, "seconds": history.history},
        "patterns": {
            "diurnal": {"peakHourUtc": usage.PEAK_HOUR_UTC, "amplitude": usage.DIURNAL_AMPLITUDE,
                        "weekendFactor": usage.WEEKEND_FACTOR, "weekdays": "Monday-Friday"},
            "spiky": {"factor": usage.SPIKE_FACTOR, "bucketSeconds": usage.SPIKE_BUCKET_SECONDS,
                      "spikeSeconds": usage.SPIKE_SECONDS, "probability": usage.SPIKE_PROBABILITY},
            "leak": {"growthSeconds": usage.LEAK_GROWTH_SECONDS,
                     "meaning": "memory grows by its base value every growthSeconds until the limit kills it"},
            "noise": {"relative": usage.NOISE, "cpuCounter": "integrates the noise-free curve"},
        },
        "weekdayPeak": {"hourUtc": usage.PEAK_HOUR_UTC, "containers": diurnal},
        "containers": containers,
        "failures": failures,
        "nodes": nodes,
        "problems": [problem.to_json() for problem in problems],
    }
