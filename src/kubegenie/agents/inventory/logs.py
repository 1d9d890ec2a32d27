"""Container logs: the pod (or a workload's pod) and container a person means, the last lines or those
matching a word, from the current or the previous container; sensitive values in lines are masked."""

from __future__ import annotations

from typing import Any

from kubegenie import errors
from kubegenie.agents.base import AgentResult, ResultStatus
from kubegenie.agents.clusterview import ClusterView
from kubegenie.agents.inventory.describe import find
from kubegenie.domain.intents import PodLogsRequest, ResourceKind
from kubegenie.domain.labels import selector_from_match
from kubegenie.domain.pods import pod_summary
from kubegenie.domain.redaction import redact_text

Obj = dict[str, Any]
_WORKLOADS = (ResourceKind.DEPLOYMENT, ResourceKind.STATEFULSET, ResourceKind.DAEMONSET, ResourceKind.JOB,
              ResourceKind.REPLICASET)


def _pods_of(view: ClusterView, workload: Obj) -> list[Obj]:
    selector = (workload.get("spec") or {}).get("selector") or {}
    parsed = selector_from_match(selector.get("matchLabels"), selector.get("matchExpressions"))
    return view.cache.select("pods", workload["metadata"].get("namespace"), selector=parsed)


def resolve_pod(view: ClusterView, request: PodLogsRequest) -> tuple[Obj, str]:
    """(pod, how it was found): the pod itself, or the most interesting pod of a workload of that name."""
    if request.kind == ResourceKind.POD:
        try:
            return find(view, ResourceKind.POD, request.name, request.namespace), ""
        except errors.NotFound:
            pass  # "logs of checkout" may name a deployment rather than a pod.
    kinds = [request.kind] if request.kind in _WORKLOADS else list(_WORKLOADS)
    for kind in kinds:
        try:
            workload = find(view, kind, request.name, request.namespace)
        except errors.NotFound:
            continue
        pods = _pods_of(view, workload)
        if not pods:
            raise errors.NotFound(f"{kind.value.rstrip('s').capitalize()} {request.name} has no pods.",
                                  "Its pods may not have been created yet; describe it to see why.")
        # Prefer a pod that restarted or is failing: that is almost always why someone asks for logs.
        pods.sort(key=lambda p: (-pod_summary(p)[2], p["metadata"]["name"]))
        chosen = pods[0]
        return chosen, f" (pod of {kind.value.rstrip('s')} {workload['metadata']['name']}, 1 of {len(pods)})"
    return find(view, ResourceKind.POD, request.name, request.namespace), ""


def _container(pod: Obj, wanted: str | None) -> tuple[str, list[str]]:
    names = [c.get("name", "") for c in (pod.get("spec") or {}).get("containers") or []]
    if wanted is None:
        return names[0], names[1:]
    if wanted not in names:
        raise errors.InvalidInput(f"Pod {pod['metadata']['name']} has no container '{wanted}'.",
                                  f"Its containers: {', '.join(names)}.")
    return wanted, [n for n in names if n != wanted]


async def pod_logs(request: PodLogsRequest, view: ClusterView) -> AgentResult:
    pod, origin = resolve_pod(view, request)
    meta = pod["metadata"]
    container, others = _container(pod, request.container)
    since_seconds = None
    if request.window is not None:
        since_seconds = max(1, int(view.now() - request.window.since.timestamp()))
    tail = None if request.grep else request.tail
    try:
        text = await view.client.logs(meta["name"], meta["namespace"], container=container, tail_lines=tail,
                                      previous=request.previous, since_seconds=since_seconds)
    except errors.InvalidInput as exc:
        if request.previous and "previous terminated container" in exc.message:
            return AgentResult(status=ResultStatus.NO_DATA,
                               text=f"Container {container} of pod {meta['name']} has not restarted, so there are "
                                    f"no previous logs. Ask for its current logs instead.")
        raise
    lines = [redact_text(line) for line in text.splitlines()]
    if request.grep:
        needle = request.grep.lower()
        lines = [line for line in lines if needle in line.lower()][-request.tail:]
    which = "previous" if request.previous else "current"
    where = f"pod **{meta['name']}**{origin} in {meta['namespace']}, container {container} ({which})"
    if others:
        where += f"; other containers: {', '.join(others)}"
    if not lines:
        found = f"matching '{request.grep}' " if request.grep else ""
        return AgentResult(status=ResultStatus.NO_DATA, text=f"No log lines {found}from {where}.{view.stale_note()}")
    errors_seen = sum(1 for line in lines if any(w in line.lower() for w in ("error", "exception", "fatal", "panic")))
    header = f"{'Lines matching ' + repr(request.grep) if request.grep else 'Last ' + str(len(lines)) + ' lines'} " \
             f"of {where}"
    if errors_seen:
        header += f" - {errors_seen} mention errors"
    body = "\n".join(lines)
    return AgentResult(text=f"{header}:\n\n```\n{body}\n```")
